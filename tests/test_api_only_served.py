"""API-only projects (html_pages=false) served by a real gunicorn on 127.0.0.1.

What a client of the running service meets: `/` says what it is in JSON, an
unknown address is a JSON 404, a wrong method a JSON 405 with `Allow`, the API docs
page and its (vendored) Swagger UI files are served, and no response sets a session
or CSRF cookie; `/healthz` is 200 while PostgreSQL answers and 503 when it does not.
The projects' own suites check the same in-process; this checks the production
configuration behind a real WSGI server.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest

from support import HttpClient, free_port, gunicorn, render_copie, run


def flask_service(copie: Any, **answers: Any) -> tuple[Path, str, dict[str, str]]:
    answers = {"kind": "microservice", **answers}
    project = render_copie(copie, "flask", project_name="My Site", **answers)
    env = {
        "FLASK_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    return project, "wsgi:app", env


def django_service(copie: Any) -> tuple[Path, str, dict[str, str]]:
    project = render_copie(copie, "django", project_name="My Site", kind="microservice")
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{project / 'db.sqlite3'}",
        # TLS would end at a proxy; here the app is reached over plain HTTP.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        run([sys.executable, "manage.py", *command], cwd=project, env=env)
    return project, "config.wsgi", env


def json_of(reply: Any) -> dict[str, Any]:
    assert reply.headers["Content-Type"].startswith("application/json"), reply.text
    return json.loads(reply.body)


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["flask", "django"])
def test_gunicorn_answers_json_for_the_root_and_every_error(
    copie: Any, framework: str
) -> None:
    service = flask_service if framework == "flask" else django_service
    project, app, env = service(copie)
    with gunicorn(app, cwd=project, env=env, probe="/healthz") as (base, _):
        client = HttpClient(base)
        root = client.request("GET", "/")
        assert root.status == 200
        body = json_of(root)
        assert body["name"] == "My Site" and body["version"] == "0.1.0"
        assert body["links"]["docs"] == "/api/docs/"
        assert body["links"]["schema"] == "/api/schema/"

        missing = client.request("GET", "/no-such-page")
        assert missing.status == 404
        assert json_of(missing)

        refused = client.request("DELETE", "/")
        assert refused.status == 405
        assert "GET" in refused.headers["Allow"]
        assert json_of(refused)

        docs = client.request("GET", "/api/docs/")
        assert docs.status == 200 and b"swagger-ui" in docs.body
        assert client.request("GET", "/api/schema/").status == 200
        # Every script and stylesheet the docs page names is served by the project.
        assets = re.findall(r'(?:src|href)="(/[^"]+)"', docs.text)
        assert any("swagger-ui" in url and ".js" in url for url in assets), assets
        for url in assets:
            assert client.request("GET", html.unescape(url)).status == 200, url
        # Nothing here is for a browser session.
        assert not client.cookies, client.cookies


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["flask", "django"])
def test_healthz_follows_the_database(
    copie: Any, postgres_server: str, framework: str
) -> None:
    """200 with a real PostgreSQL behind the app, 503 where no server listens."""
    if framework == "flask":
        project, app, env = flask_service(copie, kind="api", database="postgresql")
    else:
        project, app, env = django_service(copie)
    cases = [
        (f"{postgres_server}/postgres", 200, {"status": "ok", "database": "ok"}),
        (
            f"postgresql://nobody@127.0.0.1:{free_port()}/gone",
            503,
            {"status": "unavailable", "database": "unreachable"},
        ),
    ]
    for url, status, body in cases:
        served = {**env, "DATABASE_URL": url}
        with gunicorn(app, cwd=project, env=served, probe="/") as (base, _):
            reply = HttpClient(base).request("GET", "/healthz")
            assert reply.status == status, reply.text
            assert json_of(reply) == body
