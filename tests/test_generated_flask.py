"""Generated Flask projects, run the way their users and their CI would run them.

Every combination of the options that change files (needs_auth x needs_api x
needs_admin x data, and database where a SQL database is used) is rendered once, and
roles (needs_roles) and tenants (multi_tenant) in combinations with the API and the
admin on and off, on SQLite and PostgreSQL, with notes and accounts only; each is
checked end to end in one test: hand-written look, lint, bandit, migrations
(`flask db upgrade` and `flask db check`), and the project's own test suite. The
PostgreSQL combinations run their migrations and tests on a real server (the
`postgres_database` fixture). Two combinations are also served by gunicorn and
spoken to over HTTP, in the development and the production configuration.
"""

from __future__ import annotations

import http.cookiejar
import itertools
import os
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
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
    free_port,
    gunicorn,
    mailed_link,
    render_copie,
    run,
    run_generated_suite,
    venv_with_project,
    worker_rss_kib,
)

SLUG = "my_site"


def uses_sql(combo: Mapping[str, Any]) -> bool:
    """Whether the project has a SQL database (data, or user accounts only)."""
    accounts = combo["needs_auth"] or combo["needs_admin"]
    return combo["data"] == "relational" or (combo["data"] == "none" and accounts)


def _combinations() -> list[dict[str, Any]]:
    """Every feature combination once. Where it has a SQL database, the database is
    SQLite or PostgreSQL by the parity of its features, so each value of each feature
    still meets both databases (pairwise) at half the renders of trying both: the
    database changes the configuration, the dependencies and the compose and CI files,
    never the models, views or migrations."""
    combos = []
    datas = ("relational", "none", "document")
    for auth, api, admin, data in itertools.product(
        (True, False), (True, False), (True, False), datas
    ):
        combo = {"needs_auth": auth, "needs_api": api, "needs_admin": admin}
        combo["data"] = data
        parity = (auth + api + admin + datas.index(data)) % 2
        combo["database"] = "sqlite" if parity or not uses_sql(combo) else "postgresql"
        combos.append(combo)
    return combos + ROLES_AND_TENANTS


def _roles_and_tenants(
    api: bool, admin: bool, data: str, database: str, roles: bool, tenants: bool
) -> dict[str, Any]:
    return {
        "needs_auth": True,
        "needs_api": api,
        "needs_admin": admin,
        "data": data,
        "database": database,
        "needs_roles": roles,
        "multi_tenant": tenants,
    }


# Roles and tenants need accounts; each of them with and without the API and the
# admin, with notes and with accounts only, on both databases.
ROLES_AND_TENANTS = [
    _roles_and_tenants(True, True, "relational", "sqlite", True, True),
    _roles_and_tenants(False, False, "relational", "postgresql", True, True),
    _roles_and_tenants(True, False, "relational", "sqlite", True, False),
    _roles_and_tenants(False, True, "relational", "sqlite", False, True),
    _roles_and_tenants(True, True, "none", "postgresql", True, True),
    _roles_and_tenants(False, False, "none", "sqlite", True, False),
]


# API-only (html_pages=false, which needs the API): the microservice (no accounts,
# no data), accounts on SQLite (kind=api), the admin alone on PostgreSQL, documents,
# and accounts with roles and tenants (roles enforced on the API only, no admin).
API_ONLY = [
    {
        "needs_auth": auth,
        "needs_api": True,
        "needs_admin": admin,
        "data": data,
        "database": database,
        "html_pages": False,
        "needs_roles": extras,
        "multi_tenant": extras,
    }
    for auth, admin, data, database, extras in (
        (False, False, "none", "sqlite", False),
        (True, False, "relational", "sqlite", False),
        (False, True, "relational", "postgresql", False),
        (False, False, "document", "sqlite", False),
        (True, False, "relational", "sqlite", True),
    )
]
COMBINATIONS = _combinations() + API_ONLY
FULLEST = {
    "needs_auth": True,
    "needs_api": True,
    "needs_admin": True,
    "data": "relational",
    "database": "sqlite",
}
# Served by gunicorn: the fullest one, and accounts-only storage on PostgreSQL.
SERVED = [
    FULLEST,
    {
        "needs_auth": True,
        "needs_api": False,
        "needs_admin": False,
        "data": "none",
        "database": "postgresql",
    },
]


def combo_id(combo: Mapping[str, Any]) -> str:
    parts = [
        "auth" if combo["needs_auth"] else "noauth",
        "api" if combo["needs_api"] else "noapi",
        "admin" if combo["needs_admin"] else "noadmin",
        combo["data"],
    ]
    parts += [name for name, key in EXTRAS if combo.get(key)]
    if uses_sql(combo):
        parts.append(combo["database"])
    if combo.get("html_pages") is False:
        parts.append("apionly")
    return "-".join(parts)


EXTRAS = (("roles", "needs_roles"), ("tenants", "multi_tenant"))


def create_database(server: str) -> str:
    """One more empty database on the test server (dropped with the server)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    for attempt in range(50):
        try:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            return f"{server}/{name}"
        except psycopg.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def render(copie: Any, **answers: Any) -> Path:
    """Render a Flask project with these answers; its folder."""
    return render_copie(copie, "flask", **{"project_name": "My Site", **answers})


def flask_cli(project: Path, *args: str, env: Mapping[str, str]) -> str:
    """Run `flask --app SLUG ...` in the project; its output (stdout then stderr)."""
    proc = run([BIN / "flask", "--app", SLUG, *args], cwd=project, env=env)
    return proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("combo", COMBINATIONS, ids=combo_id)
def test_generated_project(
    copie: Any, request: pytest.FixtureRequest, combo: dict[str, Any]
) -> None:
    project = render(copie, **combo)

    # As rendered: looks hand-written, lints clean with the project's own config.
    assert_hand_written(project)
    assert_ruff_clean(project)
    # Nothing left from features not asked for (issue 24).
    assert_no_leftovers(project, "flask")
    bandit = run([BIN / "bandit", "-q", "-r", SLUG, "-ll"], cwd=project, check=False)
    assert bandit.returncode == 0, f"bandit (medium/high):\n{bandit.stdout}"

    test_env: dict[str, str] = {}
    database_url = ""
    server = None  # the PostgreSQL server the combination uses
    if uses_sql(combo):
        if combo["database"] == "postgresql":
            database_url = request.getfixturevalue("postgres_database")
            # The project's suite runs on the same real server, in its own database.
            server = request.getfixturevalue("postgres_server")
            test_env["TEST_DATABASE_URL"] = create_database(server)
        else:
            database_url = f"sqlite:///{project / 'migrated.sqlite3'}"
        env = {"FLASK_CONFIG": "development", "DATABASE_URL": database_url}
        upgraded = flask_cli(project, "db", "upgrade", env=env)
        assert "Running upgrade  -> 39a3b617795d" in upgraded
        # The roles (as data) and the organisations come with their own revisions.
        assert ("-> b6f0c2d4e8a1, Roles" in upgraded) == bool(combo.get("needs_roles"))
        tenants = "-> c3a9e5f1d7b2, Tenants" in upgraded
        assert tenants == bool(combo.get("multi_tenant"))
        assert "No new upgrade operations detected" in flask_cli(
            project, "db", "check", env=env
        )
    else:
        assert not (project / "migrations").exists()

    # Every collected test passed, on the database the combination names.
    suite = run_generated_suite(project, test_env)
    print(
        f"\n{combo_id(combo)}: generated suite {suite.passed} of {suite.collected}"
        f" tests passed in {suite.seconds:.1f} s"
    )
    if uses_sql(combo):
        assert_suite_ran_on(suite, server)

    if combo in SERVED:
        for config in ("development", "production"):
            serve(project, database_url, config)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Let the tests see redirects instead of following them."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """A urllib client with a cookie jar, like a browser without JavaScript."""

    def __init__(self, base: str, behind_tls: bool = False) -> None:
        """`behind_tls`: as if a TLS proxy stood in front, so `Secure` cookies are
        sent back over this plain-HTTP connection (a browser speaks HTTPS to the proxy).
        """
        self.base = base
        protocols = ("https", "wss", "http") if behind_tls else ("https", "wss")
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=protocols)
        self.jar = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(
        self, path: str, data: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the form on `path`."""
        status, _, page = self.request(path)
        assert status == 200, page
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, f"no CSRF token in {path}"
        return token[1]


def serve(project: Path, database_url: str, config: str) -> None:
    """gunicorn wsgi:app with FLASK_CONFIG=`config`, spoken to over HTTP.

    The database is already migrated. Production gets a random SECRET_KEY, as a
    deployment sets it, and is spoken to as if through its TLS proxy.
    """
    outbox = project / f"mail-{config}"
    env = {
        "FLASK_CONFIG": config,
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(outbox),
    }
    production = config == "production"
    if production:
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
        env["ALLOWED_HOSTS"] = "127.0.0.1"

    with gunicorn("wsgi:app", cwd=project, env=env) as (base, proc):
        browser = Browser(base, behind_tls=production)
        status, headers, page = browser.request("/")
        print(
            f"{config}: worker RSS after the first request: "
            f"{worker_rss_kib(proc.pid)} KiB"
        )
        assert status == 200 and "A web project started with stackpick." in page
        assert headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert ("Strict-Transport-Security" in headers) == production
        assert browser.request("/static/style.css")[0] == 200

        email, password = f"ada-{config}@example.com", "a-long-server-test-password"
        token = browser.csrf_token("/auth/register")
        status, headers, _ = browser.request(
            "/auth/register",
            {
                "email": email,
                "password": password,
                "confirm": password,
                "csrf_token": token,
            },
        )
        assert status == 302 and headers["Location"] == "/auth/login"
        # The mailed link confirms the address.
        status, headers, _ = browser.request(mailed_link(outbox, email, "/verify/"))
        assert status == 302 and headers["Location"] == "/auth/login"

        # The protected page sends a visitor to the login form.
        status, headers, _ = browser.request("/auth/account")
        assert status == 302 and "/auth/login" in headers["Location"]

        # A POST without the CSRF token is refused.
        login = {"email": email, "password": password}
        assert browser.request("/auth/login", login)[0] == 400

        token = browser.csrf_token("/auth/login")
        wrong = {**login, "password": "not-the-password", "csrf_token": token}
        status, _, page = browser.request("/auth/login", wrong)
        assert status == 200 and "Wrong email address or password." in page

        status, headers, _ = browser.request(
            "/auth/login", {**login, "csrf_token": token}
        )
        assert status == 302 and headers["Location"] == "/auth/account"
        status, _, page = browser.request("/auth/account")
        assert status == 200 and email in page
        # Production's session cookie is Secure, development's is not.
        assert {cookie.secure for cookie in browser.jar} == {production}


@pytest.mark.slow
def test_production_refuses_to_boot_without_secret_key(copie: Any) -> None:
    """gunicorn with FLASK_CONFIG=production and no SECRET_KEY exits with the reason."""
    project = render(copie, **FULLEST)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "FLASK_CONFIG"}
    }
    proc = subprocess.run(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{free_port()}",
            "--workers",
            "1",
            "--no-control-socket",
            "wsgi:app",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY is not set" in proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.venv
def test_installs_and_passes_in_a_fresh_venv(copie: Any, tmp_path: Path) -> None:
    """The README's own steps in a new virtual environment, dependencies from PyPI."""
    project = render(copie, **{**FULLEST, "database": "postgresql"})
    python = venv_with_project(project, tmp_path, "psycopg, flask_admin, flask_limiter")
    venv = python.parent.parent
    env = {
        "FLASK_CONFIG": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    run([venv / "bin" / "flask", "--app", SLUG, "db", "upgrade"], cwd=project, env=env)
    run([venv / "bin" / "flask", "--app", SLUG, "db", "check"], cwd=project, env=env)
    run_generated_suite(project, python=python)
