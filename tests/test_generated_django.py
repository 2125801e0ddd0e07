"""Generated Django projects, run the way their users and their CI would run them.

Every combination of the options that change files (needs_api x needs_admin x
database) is rendered once and then checked end to end in one test: lint, system
checks, migrations, the deployment checklist, bandit, the project's own test suite
and, for two of them, a real gunicorn server spoken to over HTTP. The PostgreSQL
combinations run against a real server (the `postgres_database` fixture).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from leftovers import assert_no_leftovers
from support import (
    BIN,
    assert_hand_written,
    assert_ruff_clean,
    assert_suite_ran_on,
    gunicorn,
    render_copie,
    run,
    run_generated_suite,
    venv_with_project,
    worker_rss_kib,
)

# Roles ride along with the admin (they are assigned there), with and without the
# API; tenants with two combinations without the admin, one with the API on SQLite
# and one without it on PostgreSQL (neither is among the served ones).
TENANTS = {(True, "sqlite"), (False, "postgresql")}
COMBINATIONS = [
    {
        "needs_api": api,
        "needs_admin": admin,
        "needs_roles": admin,
        "multi_tenant": not admin and (api, database) in TENANTS,
        "database": database,
    }
    for api, admin, database in itertools.product(
        (True, False), (True, False), ("sqlite", "postgresql")
    )
]
# API-only (html_pages=false, which needs the API): no pages at all (no accounts
# asked, no admin), account pages only (with roles and tenants, on PostgreSQL), and
# the admin alone.
COMBINATIONS += [
    {
        "needs_api": True,
        "needs_auth": auth,
        "needs_admin": admin,
        "needs_roles": auth,
        "multi_tenant": auth,
        "database": database,
        "html_pages": False,
    }
    for auth, admin, database in (
        (False, False, "sqlite"),
        (True, False, "postgresql"),
        (False, True, "sqlite"),
    )
]
# The combinations also served by gunicorn: one per database, both with the API.
SERVED = [
    {
        "needs_api": True,
        "needs_admin": True,
        "needs_roles": True,
        "multi_tenant": False,
        "database": "sqlite",
    },
    {
        "needs_api": True,
        "needs_admin": False,
        "needs_roles": False,
        "multi_tenant": False,
        "database": "postgresql",
    },
]


def combo_id(combo: Mapping[str, Any]) -> str:
    api = "api" if combo["needs_api"] else "noapi"
    admin = "admin" if combo["needs_admin"] else "noadmin"
    roles = "-roles" if combo.get("needs_roles") else ""
    tenants = "-tenants" if combo.get("multi_tenant") else ""
    pages = "-apionly" if combo.get("html_pages") is False else ""
    noauth = "-noauth" if combo.get("needs_auth") is False else ""
    return f"{api}-{admin}{roles}{tenants}{noauth}-{combo['database']}{pages}"


def render(copie: Any, **answers: Any) -> Path:
    """Render a Django project with these answers; its folder."""
    return render_copie(copie, "django", **answers)


def production_env(database_url: str) -> dict[str, str]:
    """What a deployment sets: a random 50+ character key, hosts, the database."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
    }


def manage(project: Path, *args: str, env: Mapping[str, str]) -> str:
    """Run manage.py in the project; its output (stdout then stderr)."""
    proc = run([sys.executable, "manage.py", *args], cwd=project, env=env)
    return proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("combo", COMBINATIONS, ids=combo_id)
def test_generated_project(
    copie: Any, request: pytest.FixtureRequest, combo: dict[str, Any]
) -> None:
    project = render(copie, **combo)

    # As rendered: looks hand-written and lints clean with the project's own config.
    assert_hand_written(project)
    assert_ruff_clean(project)
    # Nothing left from features not asked for (issue 24).
    assert_no_leftovers(project, "django")
    bandit = run([BIN / "bandit", "-q", "-r", ".", "-ll"], cwd=project, check=False)
    assert bandit.returncode == 0, f"bandit (medium/high):\n{bandit.stdout}"

    server = None  # the PostgreSQL server the combination uses
    if combo["database"] == "postgresql":
        database_url = request.getfixturevalue("postgres_database")
        server = request.getfixturevalue("postgres_server")
    else:
        database_url = f"sqlite:///{project / 'empty.sqlite3'}"
    local = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    local["DATABASE_URL"] = database_url

    assert "no issues" in manage(project, "check", env=local)
    assert "No changes detected" in manage(
        project, "makemigrations", "--check", "--dry-run", env=local
    )
    migrated = manage(project, "migrate", "--noinput", env=local)
    assert "Applying accounts.0001_initial... OK" in migrated
    assert "Applying accounts.0002_cache_table... OK" in migrated
    assert ("accounts.0003_roles" in migrated) == combo["needs_roles"]
    assert "Applying axes." in migrated and "Applying account." in migrated
    assert "Applying items.0001_initial... OK" in migrated
    assert ("authtoken" in migrated) == combo["needs_api"]

    if combo["needs_api"]:
        schema = project / "schema.yml"
        manage(
            project,
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(schema),
            env=local,
        )
        assert schema.read_text().startswith("openapi: 3")

    production = production_env(database_url)
    assert "no issues" in manage(
        project, "check", "--deploy", "--fail-level", "WARNING", env=production
    )

    # The project's own suite, with its own pytest settings (config.settings.test).
    # On PostgreSQL, pytest-django creates and drops a test_ copy of the database.
    # Every collected test passed, on the database the combination names.
    suite = run_generated_suite(
        project,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
        },
    )
    print(
        f"\n{combo_id(combo)}: generated suite {suite.passed} of {suite.collected}"
        f" tests passed in {suite.seconds:.1f} s"
    )
    assert_suite_ran_on(suite, server)

    if combo in SERVED:
        serve(project, production)


def request_url(
    url: str,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """GET (or POST a form) without following redirects: status, headers, body."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def serve(project: Path, env: dict[str, str]) -> None:
    """gunicorn config.wsgi with the production settings, spoken to over HTTP."""
    manage(project, "collectstatic", "--noinput", env=env)
    manage(
        project,
        "createsuperuser",
        "--noinput",
        "--username",
        "alice",
        "--email",
        "alice@example.com",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": "a-long-server-test-password"},
    )
    # TLS would end at a proxy; here the app is reached over plain HTTP.
    served = {**env, "DJANGO_SECURE_SSL_REDIRECT": "false"}
    with gunicorn("config.wsgi", cwd=project, env=served) as (base, proc):
        status, _, page = request_url(base + "/")
        print(f"worker RSS after the first request: {worker_rss_kib(proc.pid)} KiB")
        assert status == 200
        assert b"My Site" in page
        stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]+\.css)"', page)
        assert stylesheet, "the page links the hashed stylesheet"
        status, headers, _ = request_url(base + stylesheet.group(1).decode())
        assert status == 200 and "max-age=315360000" in headers["Cache-Control"]

        # Behind the TLS proxy, responses carry HSTS.
        _, headers, _ = request_url(base + "/", headers={"X-Forwarded-Proto": "https"})
        # A year, with includeSubDomains and preload (only ever together).
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert "script-src 'self'" in headers["Content-Security-Policy"]

        assert request_url(base + "/admin/login/")[0] == 200
        assert request_url(base + "/accounts/login/")[0] == 200

        status, _, body = request_url(base + "/api/")
        assert status == 200 and "items" in json.loads(body)
        status, _, body = request_url(base + "/api/schema/")
        assert status == 200 and body.startswith(b"openapi: 3")
        assert request_url(base + "/api/docs/")[0] == 200

        items = base + "/api/items/"
        assert request_url(items, {"title": "anonymous"})[0] in (401, 403)
        status, _, body = request_url(
            base + "/api/auth/token/",
            {"username": "alice", "password": "a-long-server-test-password"},
        )
        assert status == 200
        token = json.loads(body)["token"]
        auth = {"Authorization": f"Token {token}"}
        status, _, body = request_url(items, {"title": "Over HTTP"}, headers=auth)
        assert status == 201, body
        assert json.loads(body)["owner"] == "alice"
        assert request_url(items)[0] == 401, "items are private by default"
        status, _, body = request_url(items, headers=auth)
        assert json.loads(body)["count"] == 1


@pytest.mark.slow
@pytest.mark.venv
def test_installs_and_passes_in_a_fresh_venv(copie: Any, tmp_path: Path) -> None:
    """The README's own steps in a new virtual environment, dependencies from PyPI."""
    project = render(copie, needs_api=True, needs_admin=True, database="postgresql")
    python = venv_with_project(
        project, tmp_path, "psycopg, rest_framework, drf_spectacular_sidecar"
    )
    sqlite = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    run(
        [python, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=project,
        env=sqlite,
    )
    run([python, "manage.py", "migrate", "--noinput"], cwd=project, env=sqlite)
    run_generated_suite(
        project,
        env={**sqlite, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        python=python,
    )
