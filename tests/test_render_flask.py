"""What a Flask render contains: the files each option adds, dependencies, secrets.

Renders only (no installs, no servers); test_generated_flask.py runs the projects.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import (
    assert_hand_written,
    assert_ruff_clean,
    files_holding,
    render_copie,
    rendered_files,
)

pytestmark = pytest.mark.slow

SLUG = "my_site"
ALWAYS = {
    ".copier-answers.yml",
    ".dockerignore",
    ".env",
    ".env.example",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/template-update.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "Dockerfile",
    "compose.yaml",
    "README.md",
    "docs/decisions/0001-web-framework.md",
    "wsgi.py",
    "pyproject.toml",
    f"{SLUG}/__init__.py",
    f"{SLUG}/config.py",
    f"{SLUG}/extensions.py",
    f"{SLUG}/main.py",
    f"{SLUG}/observability.py",
    f"{SLUG}/security.py",
    f"{SLUG}/errors.py",
    f"{SLUG}/static/style.css",
    f"{SLUG}/static/favicon.svg",
    f"{SLUG}/static/vendor/pico.min.css",
    f"{SLUG}/static/vendor/pico-LICENSE.md",
    f"{SLUG}/templates/error.html",
    f"{SLUG}/templates/_macros.html",
    f"{SLUG}/templates/base.html",
    f"{SLUG}/templates/main/index.html",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/test_config.py",
    "tests/test_factory.py",
    "tests/test_observability.py",
    "tests/test_security.py",
}
ACCOUNTS = {
    f"{SLUG}/auth.py",
    f"{SLUG}/templates/auth/login.html",
    f"{SLUG}/templates/auth/account.html",
    f"{SLUG}/templates/auth/change_password.html",
    f"{SLUG}/lockout.py",
    f"{SLUG}/passwords.py",
    f"{SLUG}/common-passwords.txt.gz",
    "tests/test_auth.py",
}
# Public sign-up: verification and reset links, mailed.
REGISTER = {
    f"{SLUG}/templates/auth/register.html",
    f"{SLUG}/templates/auth/forgot_password.html",
    f"{SLUG}/templates/auth/reset_password.html",
    f"{SLUG}/templates/mail/verify.txt",
    f"{SLUG}/templates/mail/reset.txt",
    f"{SLUG}/templates/mail/account_exists.txt",
    f"{SLUG}/tokens.py",
    f"{SLUG}/mail.py",
}
STORED = {f"{SLUG}/forms.py", f"{SLUG}/models.py", "tests/test_models.py"}
NOTES = {
    f"{SLUG}/notes.py",
    f"{SLUG}/templates/notes/index.html",
    f"{SLUG}/templates/notes/edit.html",
    f"{SLUG}/templates/notes/delete.html",
    "tests/test_notes.py",
}
MIGRATIONS = {
    "migrations/README",
    "migrations/alembic.ini",
    "migrations/env.py",
    "migrations/script.py.mako",
    "migrations/versions/39a3b617795d_initial_tables.py",
    "tests/test_migrations.py",
    "tests/test_database.py",
}
# Where there are accounts on a SQL database.
ACCOUNT_MIGRATION = {"migrations/versions/7d4e2b9c1a05_account_security.py"}
API = {
    f"{SLUG}/api.py",
    f"{SLUG}/schemas.py",
    f"{SLUG}/templates/swagger_ui.html",
    f"{SLUG}/static/api-docs.js",
    *(
        f"{SLUG}/static/vendor/swagger-ui/{name}"
        for name in (
            "LICENSE",
            "NOTICE",
            "swagger-ui-bundle.js",
            "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui.css",
        )
    ),
    "tests/test_api.py",
}
ROLES = {
    f"{SLUG}/roles.py",
    f"{SLUG}/staff.py",
    f"{SLUG}/commands.py",
    f"{SLUG}/templates/staff/index.html",
    "migrations/versions/b6f0c2d4e8a1_roles.py",
    "tests/test_roles.py",
}
TENANTS = {
    "migrations/versions/c3a9e5f1d7b2_organisations.py",
    "tests/test_tenants.py",
}
ADMIN = {
    f"{SLUG}/admin.py",
    f"{SLUG}/commands.py",
    f"{SLUG}/static/admin-confirm.js",
    f"{SLUG}/templates/admin/actions.html",
    f"{SLUG}/templates/admin/model/row_actions.html",
    "tests/test_admin.py",
}


def render(copie: Any, **answers: Any) -> Path:
    return render_copie(copie, "flask", **{"project_name": "My Site", **answers})


def files_of(project: Path) -> set[str]:
    return {p.relative_to(project).as_posix() for p in rendered_files(project)}


def dependencies(project: Path) -> str:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    return " ".join(pyproject["project"]["dependencies"])


def ci_steps(project: Path) -> list[str]:
    """The names or commands of the generated CI workflow's steps (it must parse)."""
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    return [step.get("name") or step.get("run") or step["uses"] for step in steps]


def test_everything_off(copie: Any) -> None:
    project = render(
        copie, needs_auth=False, needs_api=False, needs_admin=False, data="none"
    )
    assert files_of(project) == ALWAYS
    assert not [p for p in project.rglob("*") if p.is_dir() and not any(p.iterdir())]
    deps = dependencies(project)
    for absent in ("sqlalchemy", "flask-login", "flask-admin", "pymongo", "psycopg"):
        assert absent not in deps
    assert "Migrations" not in " ".join(ci_steps(project))
    factory = (project / SLUG / "__init__.py").read_text()
    assert "auth" not in factory and "db.init_app" not in factory


def test_everything_on(copie: Any) -> None:
    project = render(
        copie,
        needs_auth=True,
        needs_api=True,
        needs_admin=True,
        data="relational",
        database="postgresql",
    )
    expected = ALWAYS | ACCOUNTS | REGISTER | STORED | NOTES | MIGRATIONS | API | ADMIN
    expected |= ACCOUNT_MIGRATION
    assert files_of(project) == expected
    deps = dependencies(project)
    for present in (
        "flask-sqlalchemy",
        "flask-migrate",
        "flask-login",
        "flask-limiter",
        "flask-admin",
        "flask-mailman",
        "psycopg[binary]",
    ):
        assert present in deps
    assert "pymongo" not in deps
    assert "Migrations apply and match the models" in ci_steps(project)
    assert "postgres:" in (project / ".github/workflows/ci.yml").read_text()
    assert "DATABASE_URL=postgresql://" in (project / ".env.example").read_text()
    factory = (project / SLUG / "__init__.py").read_text()
    assert "api.init_api(app)" in factory
    assert "csrf.exempt(api.bp)" in factory


def test_documents_use_mongodb_not_sql(copie: Any) -> None:
    project = render(
        copie, needs_auth=True, needs_api=True, needs_admin=True, data="document"
    )
    files = files_of(project)
    assert files == ALWAYS | ACCOUNTS | REGISTER | STORED | NOTES | API | ADMIN
    deps = dependencies(project)
    assert "pymongo" in deps and "sqlalchemy" not in deps and "psycopg" not in deps
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert any(
        "mongomock" in d for d in pyproject["project"]["optional-dependencies"]["dev"]
    )
    assert "MONGODB_URI=" in (project / ".env.example").read_text()
    assert "flask_admin.contrib.pymongo" in (project / SLUG / "admin.py").read_text()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_accounts_without_data_store_only_users(copie: Any, database: str) -> None:
    project = render(
        copie,
        needs_auth=False,
        needs_api=False,
        needs_admin=True,
        data="none",
        database=database,
    )
    files = files_of(project)
    assert files == ALWAYS | ACCOUNTS | STORED | MIGRATIONS | ACCOUNT_MIGRATION | ADMIN
    assert "class Note" not in (project / SLUG / "models.py").read_text()
    assert ("psycopg" in dependencies(project)) == (database == "postgresql")


def test_roles_and_tenants_add_their_files(copie: Any) -> None:
    answers = {"needs_auth": True, "needs_api": False, "needs_admin": False}
    plain = ALWAYS | ACCOUNTS | REGISTER | STORED | NOTES | MIGRATIONS
    plain |= ACCOUNT_MIGRATION
    project = render(copie, **answers, data="relational", needs_roles=True)
    assert files_of(project) == plain | ROLES
    project = render(copie, **answers, data="relational", multi_tenant=True)
    assert files_of(project) == plain | TENANTS
    assert "Note.visible_to(user)" in (project / "README.md").read_text()
    assert "schema_translate_map" in (project / "README.md").read_text()
    assert_hand_written(project)


def test_roles_and_tenants_need_accounts_in_sql(copie: Any) -> None:
    """MongoDB keeps the accounts outside SQL, and without sign-up there are none to
    give a role or an organisation: the README says so, no file half-does it."""
    for answers in (
        {"needs_auth": True, "data": "document"},
        {"needs_auth": False, "needs_admin": True, "data": "relational"},
    ):
        project = render(copie, **answers, needs_roles=True, multi_tenant=True)
        # commands.py is there for the admin or MongoDB; without set-role.
        assert not (ROLES | TENANTS) & files_of(project) - {f"{SLUG}/commands.py"}
        assert "set-role" not in (project / SLUG / "commands.py").read_text()
        readme = (project / "README.md").read_text()
        assert "- Multi-tenant: **not built**" in readme


def test_the_secret_lives_only_in_the_git_ignored_env(copie: Any) -> None:
    secrets = []
    for _ in range(2):
        project = render(copie, needs_api=True, needs_auth=False, needs_admin=False)
        env = dict(
            line.split("=", 1)
            for line in (project / ".env").read_text().splitlines()
            if line and not line.startswith("#")
        )
        secret = env["SECRET_KEY"]
        assert len(secret) >= 50 and len(set(secret)) >= 5
        # Without accounts the API has a shared key: random per project too.
        assert len(env["API_KEY"]) >= 40
        secrets.append((secret, env["API_KEY"]))
        for value in (secret, env["API_KEY"]):
            assert files_holding(project, value) == [".env"]
        assert "secret_key" not in yaml.safe_load(
            (project / ".copier-answers.yml").read_text()
        )
        assert ".env" in (project / ".gitignore").read_text().splitlines()
        example = (project / ".env.example").read_text()
        assert "SECRET_KEY=change-me" in example
        assert "API_KEY=change-me-too" in example
    assert secrets[0][0] != secrets[1][0] and secrets[0][1] != secrets[1][1]


def test_flask_templates_keep_their_own_syntax(copie: Any) -> None:
    project = render(copie, needs_auth=True, needs_admin=True, data="relational")
    templates = project / SLUG / "templates"
    base = (templates / "base.html").read_text()
    assert "{{ url_for('static', filename='style.css') }}" in base
    assert "{% if current_user.is_authenticated %}" in base
    assert "{{ url_for('admin.index') }}" in base
    assert "{{ form.hidden_tag() }}" in (templates / "auth/login.html").read_text()
    assert "{% endmacro %}" in (templates / "_macros.html").read_text()


def test_odd_names_stay_valid(copie: Any) -> None:
    name = 'Bob\'s "Best" {Shop} <b>'
    description = 'Sells "things" \\ stuff; it\'s fine.'
    project = render(
        copie,
        project_name=name,
        project_slug="bobs_shop",
        description=description,
        needs_api=True,
    )
    assert_hand_written(project)
    assert_ruff_clean(project)
    base = (project / "bobs_shop/templates/base.html").read_text()
    # HTML-escaped, and braces that Flask's Jinja would read are entities.
    assert "Bob&#39;s &#34;Best&#34; &#123;Shop&#125; &lt;b&gt;" in base
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
    assert pyproject["project"]["name"] == "bobs-shop"


# The site's pages, layout and stylesheets: an API-only project (html_pages=false)
# without accounts has none; with accounts it keeps the layout for their pages.
SITE_PAGES = {
    f"{SLUG}/templates/error.html",
    f"{SLUG}/templates/main/index.html",
}
LAYOUT = {
    f"{SLUG}/static/style.css",
    f"{SLUG}/static/favicon.svg",
    f"{SLUG}/static/vendor/pico.min.css",
    f"{SLUG}/static/vendor/pico-LICENSE.md",
    f"{SLUG}/templates/_macros.html",
    f"{SLUG}/templates/base.html",
}


def test_api_only_microservice_has_no_pages_sessions_or_csrf(copie: Any) -> None:
    project = render(copie, kind="microservice")
    expected = (ALWAYS - SITE_PAGES - LAYOUT - {f"{SLUG}/extensions.py"}) | API
    assert files_of(project) == expected
    assert "flask-wtf" not in dependencies(project)
    # Named only by the project's test that proves it absent.
    assert files_holding(project, "csrf") == ["tests/test_factory.py"]
    assert not files_holding(project, "SESSION_COOKIE")
    swagger = (project / SLUG / "templates/swagger_ui.html").read_text()
    assert "favicon.svg" not in swagger
    assert_hand_written(project)
    assert_ruff_clean(project)


@pytest.mark.parametrize("data", ["relational", "document"])
def test_api_only_with_accounts_keeps_only_their_pages(copie: Any, data: str) -> None:
    project = render(copie, kind="api", data=data, needs_admin=True)
    files = files_of(project)
    assert not files & (SITE_PAGES | NOTES)
    assert files >= LAYOUT | ACCOUNTS | REGISTER | API | ADMIN
    assert "flask-wtf" in dependencies(project)
    factory = (project / SLUG / "__init__.py").read_text()
    assert "csrf.exempt(api.bp)" in factory and "notes" not in factory
    assert_hand_written(project)
    assert_ruff_clean(project)
