"""The rendered services load only what serving needs (issue 15), checked by structure.

No timings here (benchmarks/run.py prints those): these tests hold the causes away.
A Flask worker never imports Alembic or Flask-Migrate, while `flask db` still works;
neither a Flask nor a Django worker imports the Sentry SDK without SENTRY_DSN (the
projects' own tests turn it on). The Django API routes drf-spectacular's own views,
imported with the URLs as its documentation shows (issue 24).
(That the Django home page opens no transaction is the project's own test,
test_pages.py, run by test_generated_django.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from support import BIN, run

FULL_FLASK = {
    "framework": "flask",
    "project_name": "My Site",
    "needs_auth": True,
    "needs_admin": True,
    "needs_api": True,
    "data": "relational",
}
FULL_DJANGO = {"framework": "django", "needs_api": True, "needs_admin": True}
# API-only, no accounts (html_pages=false by the kind's defaults).
MICRO_FLASK = {"framework": "flask", "project_name": "My Site", "kind": "microservice"}

FLASK_WORKER = """
import sys
from wsgi import app

response = app.test_client().get("/")
assert response.status_code == 200, response.status_code
loaded = sorted(
    name for name in ("alembic", "flask_migrate", "my_site.commands", "sentry_sdk")
    if name in sys.modules
)
print("loaded:", loaded)
"""

# What a page-less, account-less Flask worker must not load (issue 15's microservice
# row): forms and CSRF, log-ins, mail, request limits, Sentry without a DSN, .env
# reading outside development, JSON logging when logs are plain text.
PAGE_AND_ACCOUNT_MODULES = (
    "flask_wtf",
    "wtforms",
    "flask_login",
    "flask_mailman",
    "flask_limiter",
    "sentry_sdk",
    "dotenv",
    "pythonjsonlogger",
)
MICRO_WORKER = f"""
import sys
from wsgi import app

response = app.test_client().get("/")
assert response.status_code == 200 and response.is_json, response.status_code
loaded = sorted(name for name in {PAGE_AND_ACCOUNT_MODULES!r} if name in sys.modules)
print("loaded:", loaded)
"""

DJANGO_WORKER = """
import sys
from django.core.wsgi import get_wsgi_application
from django.test import Client

get_wsgi_application()
client = Client()
assert client.get("/").status_code == 200
assert client.get("/api/schema/").status_code == 200
print("sentry:", "sentry_sdk" in sys.modules)
"""


def render(copie: Any, answers: dict[str, Any]) -> Path:
    result = copie.copy(extra_answers=answers)
    assert result.exit_code == 0, result.exception
    return result.project_dir


@pytest.mark.slow
def test_flask_worker_leaves_the_command_line_tools_out(copie: Any) -> None:
    project = render(copie, FULL_FLASK)
    env = {
        "SENTRY_DSN": "",
        "FLASK_CONFIG": "production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{project / 'lean.sqlite3'}",
    }
    served = run([sys.executable, "-c", FLASK_WORKER], cwd=project, env=env)
    assert "loaded: []" in served.stdout
    # The command line still has Flask-Migrate's `flask db` and create-admin.
    heads = run([BIN / "flask", "--app", "my_site", "db", "heads"], project, env)
    assert "(head)" in heads.stdout
    commands = run([BIN / "flask", "--app", "my_site", "--help"], project, env)
    assert "create-admin" in commands.stdout


@pytest.mark.slow
def test_django_worker_serves_the_schema_without_sentry(copie: Any) -> None:
    project = render(copie, FULL_DJANGO)
    env = {
        "SENTRY_DSN": "",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{project / 'lean.sqlite3'}",
    }
    # The throttles count in the database cache, whose table a migration makes.
    run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=project, env=env)
    served = run([sys.executable, "-c", DJANGO_WORKER], cwd=project, env=env)
    assert "sentry: False" in served.stdout


@pytest.mark.slow
def test_flask_microservice_worker_loads_no_page_or_account_machinery(
    copie: Any,
) -> None:
    project = render(copie, MICRO_FLASK)
    env = {"FLASK_CONFIG": "production", "SECRET_KEY": "x" * 50, "LOG_FORMAT": "plain"}
    served = run([sys.executable, "-c", MICRO_WORKER], cwd=project, env=env)
    assert "loaded: []" in served.stdout
    # Each one comes in when its setting asks for it.
    env |= {"SENTRY_DSN": "https://key@sentry.invalid/1", "LOG_FORMAT": "json"}
    served = run([sys.executable, "-c", MICRO_WORKER], cwd=project, env=env)
    loaded = served.stdout.split("loaded:", 1)[1]
    assert "'pythonjsonlogger'" in loaded and "'sentry_sdk'" in loaded
