"""The toolchain every generated project ships, run the way its users and its CI run it.

A representative set of combinations, one that includes every value of every answer
that changes files, is installed with `uv sync` (one shared uv cache) and checked with
the project's own commands: `uv run pytest --cov` (the coverage minimum of its
pyproject.toml), `uv run mypy .` and `pre-commit run --all-files` (one shared
pre-commit cache). Every combination is rendered for the static checks: compose.yaml
(services, healthchecks, `depends_on` conditions), the Dockerfile (uv's multi-stage
build from uv.lock, non-root, HEALTHCHECK), dependabot, and mypy with stackpick's own
environment. No Docker daemon exists here, so the services' healthcheck commands are
run against the same Debian packages (PostgreSQL, Redis) started by the fixtures, and
the image's HEALTHCHECK command against the project served by gunicorn.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import (
    BIN,
    HttpClient,
    assert_hand_written,
    assert_ruff_clean,
    gunicorn,
    rendered_files,
    require,
    run,
    smtp_inbox,
)

SLUG = "my_site"
PASSWORD = "a long and unusual passphrase"
FLASK = {"needs_auth": False, "needs_api": False, "needs_admin": False}
DJANGO = {"needs_api": False, "needs_admin": False}
# Every value of every file-changing answer appears at least once per framework.
REPRESENTATIVE: list[dict[str, Any]] = [
    {
        "framework": "flask",
        "needs_auth": True,
        "needs_api": True,
        "needs_admin": True,
        "data": "relational",
        "database": "postgresql",
        "background_jobs": "celery",
        "needs_roles": True,
        "multi_tenant": True,
    },
    {**FLASK, "framework": "flask", "needs_api": True, "data": "document"},
    {**FLASK, "framework": "flask", "data": "none"},
    {
        **FLASK,
        "framework": "flask",
        "needs_admin": True,
        "data": "none",
        "database": "sqlite",
        "background_jobs": "celery",
    },
    {
        "framework": "django",
        "needs_api": True,
        "needs_admin": True,
        "database": "postgresql",
        "background_jobs": "celery",
    },
    {**DJANGO, "framework": "django", "database": "sqlite"},
]


def uses_sql(combo: Mapping[str, Any]) -> bool:
    """Whether the project has a SQL database (Django always does)."""
    if combo["framework"] == "django":
        return True
    accounts = combo["needs_auth"] or combo["needs_admin"]
    return combo["data"] == "relational" or (combo["data"] == "none" and accounts)


def uses_postgres(combo: Mapping[str, Any]) -> bool:
    return uses_sql(combo) and combo.get("database") == "postgresql"


def combo_id(combo: Mapping[str, Any]) -> str:
    parts = [combo["framework"]]
    parts += [
        k.removeprefix("needs_")
        for k in ("needs_auth", "needs_api", "needs_admin")
        if combo.get(k)
    ]
    parts.append(combo.get("data", ""))
    parts += [
        n
        for n, k in (("roles", "needs_roles"), ("tenants", "multi_tenant"))
        if combo.get(k)
    ]
    parts.append(combo.get("database", "") if uses_sql(combo) else "")
    parts.append(combo.get("background_jobs", ""))
    parts.append("apionly" if combo.get("html_pages") is False else "")
    return "-".join(p for p in parts if p)


def all_combinations() -> list[dict[str, Any]]:
    """The generated suites' combinations; background jobs alternate along the list."""
    from test_generated_django import COMBINATIONS as DJANGO_COMBOS
    from test_generated_flask import COMBINATIONS as FLASK_COMBOS

    combos = [{**c, "framework": "flask"} for c in FLASK_COMBOS]
    combos += [{**c, "framework": "django"} for c in DJANGO_COMBOS]
    return [
        {**c, "background_jobs": "celery" if i % 2 else "none"}
        for i, c in enumerate(combos)
    ]


def render(copie: Any, combo: Mapping[str, Any]) -> Path:
    result = copie.copy(extra_answers={"project_name": "My Site", **combo})
    assert result.exit_code == 0, result.exception
    assert result.project_dir is not None
    return result.project_dir


@pytest.fixture(scope="session")
def tool_caches() -> dict[str, str]:
    """The tools' environment: uv's and pre-commit's caches are shared by every project.

    By default those are the user's own caches (both are safe for parallel use, so the
    xdist workers share them); STACKPICK_TOOL_CACHE names another folder, e.g. one CI
    keeps between runs.
    """
    env = {
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON": sys.executable,
        "UV_NO_PROGRESS": "1",
    }
    base = os.environ.get("STACKPICK_TOOL_CACHE")
    if base:
        env["UV_CACHE_DIR"] = str(Path(base) / "uv")
        env["PRE_COMMIT_HOME"] = str(Path(base) / "pre-commit")
    return env


# ---- static: every combination --------------------------------------------------


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache per framework and test process: the libraries and stubs are
    analysed once, each project's own modules every time (their hashes differ)."""
    return tmp_path_factory.mktemp("mypy")


def sends_mail(combo: Mapping[str, Any]) -> bool:
    """Django's allauth always mails (verification, reset); Flask with accounts."""
    return combo["framework"] == "django" or bool(combo.get("needs_auth"))


def expected_services(combo: Mapping[str, Any]) -> set[str]:
    services = {"web"}
    if sends_mail(combo):
        services.add("mailpit")
    if uses_postgres(combo):
        services.add("db")
    if combo.get("data") == "document":
        services.add("mongo")
    if combo["background_jobs"] == "celery":
        services |= {"redis", "worker", "beat"}
    return services


def prepares(combo: Mapping[str, Any]) -> bool:
    """Whether compose runs a one-shot `migrate` service (migrations, or indexes)."""
    return uses_sql(combo) or combo.get("data") == "document"


EXACT_IMAGE = re.compile(r"^[\w./-]+:v?\d+\.\d+(\.\d+)?$")


def check_compose(project: Path, combo: Mapping[str, Any]) -> dict[str, Any]:
    text = (project / "compose.yaml").read_text()
    assert "Needs Docker Compose 2.24 or later" in text  # env_file's `required`
    compose = yaml.safe_load(text)  # PyYAML resolves the `<<: *app` merge keys
    services = compose["services"]
    expected = expected_services(combo) | ({"migrate"} if prepares(combo) else set())
    assert set(services) == expected
    needs = expected_services(combo) & {"db", "mongo", "redis", "mailpit"}
    healthy = {need: {"condition": "service_healthy"} for need in needs}
    for name, service in services.items():
        if name in {"web", "worker", "beat", "migrate"}:
            assert service["build"] == "."
            assert service["env_file"] == [{"path": ".env", "required": False}]
            # Whatever sends mail (the web app, the welcome-mail worker) sends it to
            # Mailpit's SMTP port, never to the console or a real server.
            assert (mail_settings(service) is not None) == sends_mail(combo)
        if name == "migrate":
            # Once, before the app: only the databases need to be up.
            databases = {k: v for k, v in healthy.items() if k in {"db", "mongo"}}
            assert service.get("depends_on", {}) == databases
        elif name in {"web", "worker", "beat"}:
            # Migrated first, and every service the app needs healthy.
            done = {"condition": "service_completed_successfully"}
            first = {"migrate": done} if prepares(combo) else {}
            assert service.get("depends_on", {}) == first | healthy
        else:
            assert EXACT_IMAGE.match(service["image"]), service["image"]
            test = service["healthcheck"]["test"]
            assert test[0] == "CMD" and service["healthcheck"]["retries"] >= 3
            # Hybrid mode: published on this machine only, where .env points.
            assert all(p.startswith("127.0.0.1:") for p in service["ports"])
    check_database_volumes(compose, combo)
    env_text = (project / ".env").read_text()
    if "mailpit" in services:
        mailpit = services["mailpit"]
        assert mailpit["image"].startswith("axllent/mailpit:v")
        assert mailpit["healthcheck"]["test"] == ["CMD", "/mailpit", "readyz"]
        assert set(mailpit["ports"]) == {"127.0.0.1:1025:1025", "127.0.0.1:8025:8025"}
        # Hybrid mode: .env shows how the app on this machine reaches the same port.
        assert ("MAIL_PORT=1025" in env_text) or ("smtp://localhost:1025" in env_text)
    if "db" in services:
        assert services["db"]["environment"]["POSTGRES_DB"] == SLUG
        assert f"@localhost:5432/{SLUG}" in env_text
    if "worker" in services:
        app = "config" if combo["framework"] == "django" else "make_celery"
        assert services["worker"]["command"][:3] == ["celery", "-A", app]
        assert services["worker"]["healthcheck"] == {"disable": True}
    return compose


def check_database_volumes(
    compose: Mapping[str, Any], combo: Mapping[str, Any]
) -> None:
    """Every database file outlives its container: a named volume holds it."""
    services, volumes = compose["services"], set(compose.get("volumes") or {})
    mounts = {
        name: {m.split(":")[1]: m.split(":")[0] for m in s.get("volumes", [])}
        for name, s in services.items()
    }
    if "db" in services:
        assert mounts["db"]["/var/lib/postgresql/data"] in volumes
    if "mongo" in services:
        assert mounts["mongo"]["/data/db"] in volumes
    if uses_sql(combo) and not uses_postgres(combo):
        folder = "/app/data" if combo["framework"] == "django" else "/app/instance"
        for name in ("migrate", "web"):
            assert mounts[name][folder] in volumes, name
        if combo["framework"] == "django":
            url = services["web"]["environment"]["DATABASE_URL"]
            assert url == "sqlite:////app/data/db.sqlite3"


def mail_settings(service: Mapping[str, Any]) -> tuple[str, int] | None:
    """The SMTP (host, port) a compose service's environment sends mail to, if any."""
    env = service.get("environment", {})
    if "EMAIL_URL" in env:  # Django (django-environ)
        url = urllib.parse.urlsplit(env["EMAIL_URL"])
        assert url.scheme == "smtp" and url.hostname and url.port
        return url.hostname, url.port
    if "MAIL_SERVER" in env:  # Flask-Mailman
        assert env["MAIL_BACKEND"] == "smtp"
        return env["MAIL_SERVER"], int(env["MAIL_PORT"])
    return None


def dockerfile_instructions(project: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (project / "Dockerfile").read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def check_dockerfile(project: Path) -> list[str]:
    """uv's multi-stage pattern; returns the HEALTHCHECK's exec form."""
    steps = dockerfile_instructions(project)
    froms = [args for op, args in steps if op == "FROM"]
    assert len(froms) == 2 and froms[0].endswith(" AS builder")
    assert froms[0].startswith("ghcr.io/astral-sh/uv:")
    runs = [args for op, args in steps if op == "RUN"]
    assert any(
        "--mount=type=bind,source=uv.lock" in r
        and "uv sync --locked --no-install-project --no-dev" in r
        for r in runs
    )
    assert any(r.endswith("uv sync --locked --no-dev") for r in runs)
    final = steps[[i for i, (op, _) in enumerate(steps) if op == "FROM"][1] :]
    ops = dict(final)
    assert "--from=builder" in ops["COPY"] and "--chown=999:999" in ops["COPY"]
    assert ops["USER"] == "999:999"  # numeric: runAsNonRoot can verify it
    assert "uv" not in ops["FROM"]
    health = ops["HEALTHCHECK"]
    assert "--interval=" in health
    return json.loads(health.split("CMD", 1)[1])


ACTION_PIN = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def check_supply_chain(project: Path) -> None:
    """What a supply-chain review runs, with zero findings: zizmor offline (default
    and auditor personas), actionlint, hadolint, and the vendored JSON schemas of
    GitHub workflows, Dependabot and the compose spec; every action pinned by SHA
    with its release in a comment, no job without its own permissions."""
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    zizmor = require("zizmor")["zizmor"]
    for persona in ("regular", "auditor"):
        found = run(
            [
                zizmor,
                "--offline",
                "--no-progress",
                "--persona",
                persona,
                "--format",
                "json",
                ".",
            ],
            cwd=project,
            check=False,
        )
        assert (found.returncode, json.loads(found.stdout)) == (0, []), found.stdout
    run([require("actionlint")["actionlint"], *map(str, workflows)], cwd=project)
    hadolint = require("hadolint")["hadolint"]
    run([hadolint, "--failure-threshold", "info", "Dockerfile"], cwd=project)
    schema = require("check-jsonschema")["check-jsonschema"]
    for name, files in (
        ("github-workflows", workflows),
        ("dependabot", [project / ".github" / "dependabot.yml"]),
        ("compose-spec", [project / "compose.yaml"]),
    ):
        run(
            [schema, "--builtin-schema", f"vendor.{name}", *map(str, files)],
            cwd=project,
        )
    for workflow in workflows:
        text = workflow.read_text()
        data = yaml.safe_load(text)
        assert data["permissions"] == {}
        for job in data["jobs"].values():
            assert "permissions" in job and job.get("name")
            for step in job["steps"]:
                if "uses" in step:
                    assert ACTION_PIN.match(step["uses"]), step["uses"]
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
        for line in text.splitlines():
            if "uses: " in line:  # the release, for readers and Dependabot
                assert re.search(r"  # v\d+\.\d+\.\d+$", line), line


@pytest.mark.slow
@pytest.mark.parametrize("combo", all_combinations(), ids=combo_id)
def test_static_toolchain_files(
    copie: Any, mypy_cache: Path, combo: dict[str, Any]
) -> None:
    project = render(copie, combo)
    # The celery half of these combinations is rendered nowhere else.
    assert_hand_written(project)
    assert_ruff_clean(project)
    check_compose(project, combo)
    check_dockerfile(project)
    check_supply_chain(project)
    for ignored in (".venv", ".env"):
        assert ignored in (project / ".dockerignore").read_text().split()
    bots = yaml.safe_load((project / ".github/dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in bots["updates"]} >= {
        "uv",
        "github-actions",
        "docker",
    }
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert "if [ -f uv.lock ]; then uv sync --locked; else uv sync; fi" in ci
    for step in ("mypy .", "pre-commit run --all-files", "pytest --cov"):
        assert step in ci
    # The same dev tools for uv (PEP 735 group) and pip (the extra).
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    group = meta["dependency-groups"]["dev"]
    assert group == meta["project"]["optional-dependencies"]["dev"]
    assert any(t.startswith("mypy") for t in group) and any(
        t.startswith("pytest-cov") for t in group
    )
    if combo["framework"] == "django":
        assert any(t.startswith("django-stubs") for t in group)
        assert (
            any(t.startswith("djangorestframework-stubs") for t in group)
            == combo["needs_api"]
        )
    assert (project / "uv.lock").exists() is False  # rendering stays offline
    # mypy passes on every combination (stackpick's environment has the stubs).
    run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(mypy_cache / combo["framework"]),
            ".",
        ],
        cwd=project,
    )


# ---- run for real: the representative set ---------------------------------------


def coverage_total(output: str) -> float:
    found = re.search(r"Total coverage: ([\d.]+)%", output)
    assert found, output
    return float(found[1])


@pytest.mark.slow
@pytest.mark.parametrize("combo", REPRESENTATIVE, ids=combo_id)
def test_uv_mypy_precommit_coverage(
    copie: Any,
    request: pytest.FixtureRequest,
    tool_caches: dict[str, str],
    combo: dict[str, Any],
) -> None:
    project = render(copie, combo)
    env = dict(tool_caches)
    # uv must not reuse the environment this test runs in.
    env["VIRTUAL_ENV"] = ""
    if uses_postgres(combo):
        server = request.getfixturevalue("postgres_server")
        database = request.getfixturevalue("postgres_database")
        if combo["framework"] == "django":
            env["DATABASE_URL"] = database.replace("postgresql://", "postgres://")
        else:
            env["TEST_DATABASE_URL"] = database
        assert server
    uv = [str(BIN / "uv")]
    run(["git", "init", "-q"], cwd=project)

    synced = run([*uv, "sync"], cwd=project, env=env, timeout=900)
    assert (project / "uv.lock").is_file(), synced.stderr
    run([*uv, "sync", "--locked"], cwd=project, env=env)

    tests = run(
        [*uv, "run", "pytest", "-q", "-p", "no:cacheprovider", "--cov"],
        cwd=project,
        env=env,
    )
    covered = coverage_total(tests.stdout)
    # The project's own bar (the README promises 90%), and the suite meets it.
    settings = tomllib.loads((project / "pyproject.toml").read_text())
    bar = settings["tool"]["coverage"]["report"]["fail_under"]
    assert bar >= 90 and covered >= bar, f"coverage {covered:.1f}% < {bar}%"
    mypy = run([*uv, "run", "mypy", "."], cwd=project, env=env)
    assert mypy.stdout.startswith("Success: no issues found")

    run(["git", "add", "-A"], cwd=project)
    hooks = run(
        [*uv, "run", "pre-commit", "run", "--all-files", "--show-diff-on-failure"],
        cwd=project,
        env=env,
        timeout=900,
    )
    passed = [line for line in hooks.stdout.splitlines() if line.endswith("Passed")]
    assert len(passed) >= 5, hooks.stdout
    print(
        f"\n{combo_id(combo)}: coverage {covered:.1f}%, {mypy.stdout.strip()}, "
        f"{len(passed)} pre-commit hooks passed"
    )


# ---- the services' and the image's healthchecks, against real servers -----------


def compose_of(copie: Any, combo: Mapping[str, Any]) -> tuple[Path, dict[str, Any]]:
    project = render(copie, combo)
    return project, check_compose(project, combo)


@pytest.mark.slow
def test_compose_healthchecks_against_debian_servers(
    copie: Any, postgres_server: str, redis_server: str
) -> None:
    _, compose = compose_of(copie, REPRESENTATIVE[0])
    pg_port = postgres_server.rsplit(":", 1)[1]
    redis_port = redis_server.rsplit(":", 1)[1]
    pg = compose["services"]["db"]["healthcheck"]["test"][1:]
    redis = compose["services"]["redis"]["healthcheck"]["test"][1:]
    # The compose command, pointed at this machine's server instead of the container's.
    ready = run([pg[0], "-h", "127.0.0.1", "-p", pg_port, *pg[1:]], cwd=Path.cwd())
    assert "accepting connections" in ready.stdout
    pong = run(
        [redis[0], "-h", "127.0.0.1", "-p", redis_port, *redis[1:]], cwd=Path.cwd()
    )
    assert pong.stdout.strip() == "PONG"


def local_command(command: list[str]) -> list[str]:
    """A compose `command:` with its program taken from this environment."""
    program = sys.executable if command[0] == "python" else str(BIN / command[0])
    return [program, *command[1:]]


@pytest.mark.slow
def test_compose_command_lines_against_local_services(
    copie: Any, postgres_database: str, redis_server: str
) -> None:
    """migrate, the image's gunicorn and the worker, as compose.yaml runs them (its
    own command lines and environment), against this machine's PostgreSQL and Redis
    in place of the `db` and `redis` containers."""
    project, compose = compose_of(copie, REPRESENTATIVE[4])  # Django, PG, Celery
    services = compose["services"]
    env = dict(services["web"]["environment"])
    assert (
        env == services["migrate"]["environment"] == services["worker"]["environment"]
    )
    assert env["DATABASE_URL"].startswith("postgres://postgres@db:5432/")
    env |= {"DATABASE_URL": postgres_database, "REDIS_URL": f"{redis_server}/3"}
    run(local_command(services["migrate"]["command"]), cwd=project, env=env)
    cmd = json.loads(dict(dockerfile_instructions(project))["CMD"])
    assert cmd[0] == "gunicorn"
    with gunicorn(cmd[1], cwd=project, env=env, probe="/healthz") as (base, _):
        assert HttpClient(base).request("GET", "/healthz").status == 200
    log = project.parent / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            local_command(services["worker"]["command"]),
            cwd=project,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        counted = run(
            [sys.executable, "manage.py", "count_users", "--timeout", "120"],
            cwd=project,
            env=env,
        )
        assert counted.stdout.splitlines()[-1] == "0", log.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=60)


MAIL_SENDERS: dict[str, dict[str, Any]] = {
    "flask": {**FLASK, "framework": "flask", "needs_auth": True, "data": "none"},
    "django": {**DJANGO, "framework": "django"},
}


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["flask", "django"])
def test_compose_mail_settings_deliver_sign_up_mail(copie: Any, framework: str) -> None:
    """The web service's mail settings from compose.yaml, with Mailpit's address
    swapped for a real SMTP server's: a sign-up's verification mail arrives there."""
    combo = {**MAIL_SENDERS[framework], "database": "sqlite", "background_jobs": "none"}
    project, compose = compose_of(copie, combo)
    web = compose["services"]["web"]
    assert mail_settings(web) == ("mailpit", 1025)
    address = "newcomer@example.com"
    with smtp_inbox() as (smtp_port, messages):
        # The image's /app is the project folder here (Django's SQLite data/ too).
        (project / "data").mkdir(exist_ok=True)
        env = {
            key: str(value)
            .replace("mailpit", "127.0.0.1")
            .replace("1025", str(smtp_port))
            .replace("/app/", f"{project}/")
            for key, value in web["environment"].items()
        }
        if framework == "flask":
            run([BIN / "flask", "--app", SLUG, "db", "upgrade"], cwd=project, env=env)
            app, path, link = "wsgi:app", "/auth/register", "/verify/"
            form = {"email": address, "password": PASSWORD, "confirm": PASSWORD}
        else:
            run([sys.executable, "manage.py", "migrate", "-v0"], cwd=project, env=env)
            app, path, link = "config.wsgi", "/accounts/signup/", "/confirm-email/"
            form = {"email": address, "password1": PASSWORD, "password2": PASSWORD}
        with gunicorn(app, cwd=project, env=env) as (base, _):
            client = HttpClient(base)
            if framework == "flask":
                reply = client.submit(path, form)
            else:
                reply = client.post_form(path, form, csrf_from=path)
            assert reply.status == 302
        assert [m["To"] for m in messages] == [address]
        body = messages[0].get_payload(decode=True) or b""
        assert link in body.decode()


def healthcheck_command(cmd: list[str], port: int) -> list[str]:
    """The image's HEALTHCHECK with this test server's port instead of 8000."""
    return [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in cmd]


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["flask", "django"])
def test_image_healthcheck_against_gunicorn(copie: Any, framework: str) -> None:
    combo = REPRESENTATIVE[2] if framework == "flask" else REPRESENTATIVE[5]
    project = render(copie, combo)
    cmd = check_dockerfile(project)
    if framework == "flask":
        env = {
            "FLASK_CONFIG": "production",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "example.com",
        }
        app = "wsgi:app"
    else:
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "example.com",
            "DATABASE_URL": f"sqlite:///{project / 'db.sqlite3'}",
        }
        app = "config.wsgi"
    with gunicorn(app, cwd=project, env=env, probe="/healthz") as (base, _):
        port = int(base.rsplit(":", 1)[1])
        check = healthcheck_command(cmd, port)
        assert check[0] == "python"
        run([sys.executable, *check[1:]], cwd=project, env=env)
        # And it fails when nothing answers (a check that cannot fail proves nothing).
    failed = run([sys.executable, *check[1:]], cwd=project, env=env, check=False)
    assert failed.returncode != 0


@pytest.mark.slow
def test_readme_leads_with_uv(copie: Any) -> None:
    for combo in (REPRESENTATIVE[2], REPRESENTATIVE[5]):
        readme = (render(copie, combo) / "README.md").read_text()
        start = readme.split("## Start", 1)[1]
        first = next(
            line
            for line in start.splitlines()
            if line and not line.startswith(("`", "#"))
        )
        # uv when it is there, else pip in the project's own activated .venv.
        assert first.startswith("if command -v uv >/dev/null; then uv sync;"), first
        assert '.venv/bin/pip install -e ".[dev]"' in first
        assert "python3 -m pip install uv" in start
        assert 'pip install -e ".[dev]"' in readme
        assert "uv run pytest" in readme


CELERY_FILES = {
    "flask": {
        "make_celery.py",
        f"{SLUG}/jobs.py",
        f"{SLUG}/tasks.py",
        "tests/test_jobs.py",
    },
    "django": {
        "config/celery.py",
        "jobs/__init__.py",
        "jobs/apps.py",
        "jobs/tasks.py",
        "jobs/views.py",
        "jobs/urls.py",
        "jobs/management/__init__.py",
        "jobs/management/commands/__init__.py",
        "jobs/management/commands/count_users.py",
        "tests/test_jobs.py",
        # Account mail goes through the worker instead of after the response.
        "accounts/tasks.py",
    },
}


# What the worker takes over: Django's account mail waits for the end of the response
# without Celery (config/after_response.py) and goes through a task with it.
REPLACED_BY_CELERY: dict[str, set[str]] = {
    "flask": set(),
    "django": {"config/after_response.py", "tests/test_after_response.py"},
}


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["flask", "django"])
def test_background_jobs_adds_whole_files(copie: Any, framework: str) -> None:
    base = REPRESENTATIVE[2] if framework == "flask" else REPRESENTATIVE[5]

    def files(combo: Mapping[str, Any]) -> set[str]:
        project = render(copie, combo)
        return {p.relative_to(project).as_posix() for p in rendered_files(project)}

    without = files({**base, "background_jobs": "none"})
    with_celery = files({**base, "background_jobs": "celery"})
    assert with_celery - without == CELERY_FILES[framework]
    assert without - with_celery == REPLACED_BY_CELERY[framework]
