"""What a Django render contains: the files each option adds, secrets, odd names.

Renders only (no installs, no servers); test_generated_django.py runs the projects.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from leftovers import assert_no_leftovers
from support import (
    assert_hand_written,
    assert_ruff_clean,
    files_holding,
    render_copie,
    rendered_files,
    run,
)

# Files that exist only with an option; everything else is always there.
API_FILES = {
    "accounts/tokens.py",
    "accounts/token_lifetime.py",
    "config/api_errors.py",
    "config/errors.py",
    "config/api_pagination.py",
    "config/api_parsers.py",
    "config/api_schema.py",
    "config/api_urls.py",
    "items/serializers.py",
    "items/permissions.py",
    "items/views.py",
    "tests/test_api.py",
}
ADMIN_FILES = {
    "config/admin.py",
    "config/apps.py",
    "templates/admin/index.html",
    "tests/test_admin_site.py",
}
ROLE_FILES = {
    "accounts/management/__init__.py",
    "accounts/management/commands/__init__.py",
    "accounts/management/commands/set_role.py",
    "accounts/migrations/0003_roles.py",
    "accounts/roles.py",
    "items/staff_pages.py",
    "templates/items/all_items.html",
    "tests/test_roles.py",
}
TENANT_FILES = {
    "organisations/__init__.py",
    "organisations/admin.py",
    "organisations/apps.py",
    "organisations/current.py",
    "organisations/api.py",
    "organisations/invitations.py",
    "organisations/members.py",
    "organisations/migrations/0001_initial.py",
    "organisations/migrations/0002_owner_role.py",
    "organisations/migrations/0003_invitation.py",
    "organisations/migrations/__init__.py",
    "organisations/models.py",
    "organisations/pages.py",
    "organisations/signup.py",
    "organisations/urls.py",
    "items/migrations/0002_item_organisation.py",
    "templates/organisations/list.html",
    "templates/organisations/members.html",
    "tests/test_invitations.py",
    "tests/test_members.py",
    "tests/test_members_admin.py",
    "tests/test_tenants.py",
}
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
    "manage.py",
    "pyproject.toml",
    "accounts/__init__.py",
    "accounts/admin.py",
    "accounts/apps.py",
    "accounts/staff_two_factor.py",
    "accounts/forms.py",
    "accounts/migrations/0001_initial.py",
    "accounts/migrations/__init__.py",
    "accounts/models.py",
    "accounts/adapter.py",
    "accounts/lockout.py",
    "accounts/migrations/0002_cache_table.py",
    "accounts/urls.py",
    "accounts/views.py",
    "config/__init__.py",
    "config/after_response.py",
    "config/asgi.py",
    "config/context_processors.py",
    "config/links.py",
    "config/observability.py",
    "config/settings/__init__.py",
    "config/settings/base.py",
    "config/settings/local.py",
    "config/settings/production.py",
    "config/settings/test.py",
    "config/urls.py",
    "config/wsgi.py",
    "items/__init__.py",
    "items/admin.py",
    "items/apps.py",
    "items/forms.py",
    "items/migrations/0001_initial.py",
    "items/migrations/__init__.py",
    "items/models.py",
    "items/pages.py",
    "items/urls.py",
    "static/css/pico.min.css",
    "static/css/site.css",
    "static/favicon.svg",
    "templates/403.html",
    "templates/404.html",
    "templates/429.html",
    "templates/500.html",
    "templates/account/profile.html",
    "templates/allauth/layouts/base.html",
    "templates/base.html",
    "templates/form_fields.html",
    "templates/home.html",
    "templates/items/item_confirm_delete.html",
    "templates/items/item_form.html",
    "templates/items/item_list.html",
    "tests/conftest.py",
    "tests/test_account_mail.py",
    "tests/test_accounts.py",
    "tests/test_after_response.py",
    "tests/test_content_security_policy.py",
    "tests/test_database.py",
    "tests/test_error_pages.py",
    "tests/test_item_pages.py",
    "tests/test_items.py",
    "tests/test_observability.py",
    "tests/test_pages.py",
    "tests/test_two_factor.py",
}


def render(copie: Any, **answers: Any) -> Path:
    return render_copie(copie, "django", **answers)


def files_of(project: Path) -> set[str]:
    return {p.relative_to(project).as_posix() for p in rendered_files(project)}


def dependencies(project: Path) -> list[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    return pyproject["project"]["dependencies"]


def ci_steps(project: Path) -> list[str]:
    """The names or commands of the generated CI workflow's steps (it must parse)."""
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    return [step.get("name") or step.get("run") or step["uses"] for step in steps]


def test_everything_off(copie: Any) -> None:
    project = render(copie, needs_api=False, needs_admin=False, database="sqlite")
    assert files_of(project) == ALWAYS
    assert not any("OpenAPI" in step for step in ci_steps(project))
    assert not [p for p in project.rglob("*") if p.is_dir() and not any(p.iterdir())]
    deps = " ".join(dependencies(project))
    assert "djangorestframework" not in deps and "psycopg" not in deps
    assert "rest_framework" not in (project / "config/settings/base.py").read_text()
    assert "api/" not in (project / "config/urls.py").read_text()
    assert "DATABASE_URL" not in (project / ".env").read_text()
    assert "services:" not in (project / ".github/workflows/ci.yml").read_text()
    assert '"django.contrib.admin"' in (project / "config/settings/base.py").read_text()
    assert "search_fields" not in (project / "items/admin.py").read_text()
    assert_no_leftovers(project, "django")


def test_everything_on(copie: Any) -> None:
    project = render(copie, needs_api=True, needs_admin=True, database="postgresql")
    assert files_of(project) == ALWAYS | API_FILES | ADMIN_FILES
    assert any("OpenAPI" in step for step in ci_steps(project))
    deps = " ".join(dependencies(project))
    assert "djangorestframework" in deps and "drf-spectacular[sidecar]" in deps
    assert "psycopg[binary]" in deps
    # Two-factor authentication comes with the account pages.
    assert "django-allauth[mfa]" in deps
    base = (project / "config/settings/base.py").read_text()
    assert '"allauth.mfa"' in base and 'MFA_SUPPORTED_TYPES = ["totp"' in base
    # Passkeys, with WebAuthn's origin check never loosened (browsers allow
    # http://localhost for development, and so does the library).
    assert '"webauthn"]' in base and "MFA_PASSKEY_LOGIN_ENABLED = True" in base
    assert not files_holding(project, "WEBAUTHN_ALLOW_INSECURE_ORIGIN")
    assert '"accounts.staff_two_factor.StaffTwoFactorMiddleware"' in base
    assert '"config.apps.ProjectAdminConfig"' in base
    assert '"django.contrib.admin"' not in base
    assert "REST_FRAMEWORK" in base and "SPECTACULAR_SETTINGS" in base
    assert (
        'path("api/", include("config.api_urls"))'
        in (project / "config/urls.py").read_text()
    )
    assert "DATABASE_URL=postgres://" in (project / ".env").read_text()
    assert "DATABASE_URL=postgres://" in (project / ".env.example").read_text()
    assert "postgres:" in (project / ".github/workflows/ci.yml").read_text()
    assert "search_fields" in (project / "items/admin.py").read_text()
    assert_no_leftovers(project, "django")


def test_roles_add_their_files(copie: Any) -> None:
    project = render(copie, needs_api=False, needs_admin=False, needs_roles=True)
    assert files_of(project) == ALWAYS | ROLE_FILES
    assert "user_signed_up" in (project / "accounts/apps.py").read_text()
    assert_hand_written(project)
    assert_ruff_clean(project)


def test_roles_come_only_with_accounts(copie: Any) -> None:
    """needs_roles is asked only with accounts: the kind's default never adds them."""
    project = render(copie, kind="saas", needs_auth=False)
    assert files_of(project) == ALWAYS | ADMIN_FILES
    assert "set_role" not in (project / "README.md").read_text()
    assert_no_leftovers(project, "django")


def test_tenants_add_their_files(copie: Any) -> None:
    project = render(copie, needs_api=True, multi_tenant=True)
    assert files_of(project) == ALWAYS | API_FILES | TENANT_FILES
    assert '"organisations"' in (project / "config/settings/base.py").read_text()
    assert "django-tenants" in (project / "README.md").read_text()
    assert_hand_written(project)
    assert_ruff_clean(project)


def test_the_secret_lives_only_in_the_git_ignored_env(copie: Any) -> None:
    first = render(copie)
    second = render(copie)
    secrets = []
    for project in (first, second):
        env = dict(
            line.split("=", 1)
            for line in (project / ".env").read_text().splitlines()
            if line and not line.startswith("#")
        )
        secret = env["DJANGO_SECRET_KEY"]
        assert len(secret) >= 50 and len(set(secret)) >= 5
        secrets.append(secret)
        assert files_holding(project, secret) == [".env"]
        assert "secret_key" not in yaml.safe_load(
            (project / ".copier-answers.yml").read_text()
        )
        assert ".env" in (project / ".gitignore").read_text().splitlines()
        example = (project / ".env.example").read_text()
        assert "DJANGO_SECRET_KEY=change-me" in example
    assert secrets[0] != secrets[1]


def test_django_templates_keep_their_own_syntax(copie: Any) -> None:
    project = render(copie, needs_admin=True)
    home = (project / "templates/home.html").read_text()
    assert '{% extends "base.html" %}' in home
    assert "{% url 'account_signup' %}" in home
    assert "{{ project_name }}" in (project / "templates/base.html").read_text()
    assert "{{ block.super }}" in (project / "templates/admin/index.html").read_text()


@pytest.mark.parametrize(
    ("name", "description"),
    [
        # Short, then long enough for ruff to wrap the assignment, then the longest.
        ('Bob\'s "Best" Shop', 'Sells "things" \\ stuff; it\'s fine.'),
        ("Long " + "n" * 65, "It's a description with a \\ backslash."),
        ('"Quoted" \\ ' + "x" * 69, 'Only "double" quotes'),
    ],
    ids=["quotes", "wrapped", "longest"],
)
def test_odd_names_stay_valid_python_and_toml(
    copie: Any, name: str, description: str
) -> None:
    project = render(
        copie,
        project_name=name,
        project_slug="bobs_shop",
        description=description,
        needs_api=True,
    )
    assert_hand_written(project)
    assert_ruff_clean(project)
    settings = ast.parse((project / "config/settings/base.py").read_text())
    values = {
        node.targets[0].id: node.value
        for node in settings.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(values["PROJECT_NAME"]) == name
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
    assert pyproject["project"]["name"] == "bobs-shop"
    # The settings import, with the name the pages will show.
    proc = run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.PROJECT_NAME)",
        ],
        cwd=project,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert proc.stdout.strip() == name


# The site's own pages: gone in an API-only project (html_pages=false).
SITE_PAGES = {
    "items/forms.py",
    "items/pages.py",
    "items/urls.py",
    "templates/403.html",
    "templates/404.html",
    "templates/429.html",
    "templates/500.html",
    "templates/form_fields.html",
    "templates/home.html",
    "templates/items/item_confirm_delete.html",
    "templates/items/item_form.html",
    "templates/items/item_list.html",
    "tests/test_error_pages.py",
    "tests/test_item_pages.py",
    "tests/test_pages.py",
}
# The account pages' layout, stylesheets and icon: only where some page is served.
ACCOUNT_PAGES = {
    "accounts/urls.py",
    "accounts/views.py",
    "config/context_processors.py",
    "static/css/pico.min.css",
    "static/css/site.css",
    "static/favicon.svg",
    "templates/account/profile.html",
    "templates/allauth/layouts/base.html",
    "templates/base.html",
    "tests/test_accounts.py",
    "tests/test_two_factor.py",
    # allauth's mail, sent after the response, its links from SITE_URL: only where
    # accounts send mail.
    "config/after_response.py",
    "config/links.py",
    "tests/test_account_mail.py",
    "tests/test_after_response.py",
}


def test_api_only_without_accounts_serves_no_pages(copie: Any) -> None:
    project = render(copie, kind="microservice", database="sqlite")
    admin = {"accounts/admin.py", "accounts/staff_two_factor.py", "items/admin.py"}
    expected = (ALWAYS - SITE_PAGES - ACCOUNT_PAGES - admin) | API_FILES
    assert files_of(project) == expected | {"tests/test_api_only.py"}
    assert not (project / "templates").exists() and not (project / "static").exists()
    base = (project / "config/settings/base.py").read_text()
    for machinery in (
        '"django.contrib.sessions.middleware.SessionMiddleware"',
        '"django.middleware.csrf.CsrfViewMiddleware"',
        '"django.contrib.messages.middleware.MessageMiddleware"',
    ):
        assert machinery not in base
    assert "django.contrib.admin" not in base
    assert "SessionAuthentication" not in base
    assert "allauth.mfa" not in base, "no pages to turn two-factor on from"
    assert "django-allauth>=" in " ".join(dependencies(project))
    assert '"rest_framework.renderers.JSONRenderer"' in base
    urls = (project / "config/urls.py").read_text()
    assert 'path("", root, name="home")' in urls and "accounts/" not in urls
    assert_hand_written(project)
    assert_ruff_clean(project)


@pytest.mark.parametrize("admin", [True, False])
def test_api_only_with_accounts_keeps_only_their_pages(copie: Any, admin: bool) -> None:
    project = render(copie, kind="api", needs_admin=admin, database="sqlite")
    files = files_of(project)
    assert not files & SITE_PAGES
    assert files >= ACCOUNT_PAGES and "tests/test_api_only.py" in files
    assert ("templates/admin/index.html" in files) == admin
    base = (project / "config/settings/base.py").read_text()
    assert "SessionMiddleware" in base and "CsrfViewMiddleware" in base
    assert ('"config.apps.ProjectAdminConfig"' in base) == admin
    assert '"django.contrib.admin"' not in base
    assert_hand_written(project)
    assert_ruff_clean(project)


def test_with_celery_account_mail_and_invitations_go_through_the_worker(
    copie: Any,
) -> None:
    """No after-response runner where Celery sends the mail: accounts queue the
    rendered mail (accounts/tasks.py), invitations their own task."""
    project = render(
        copie, background_jobs="celery", multi_tenant=True, needs_admin=False
    )
    files = files_of(project)
    assert {"accounts/tasks.py", "organisations/tasks.py"} <= files
    assert "tests/test_account_mail.py" in files
    assert not {"config/after_response.py", "tests/test_after_response.py"} & files
    assert not files_holding(project, "after_response")
    assert "send_rendered_mail.delay(" in (project / "accounts/adapter.py").read_text()
    assert_hand_written(project)
    assert_ruff_clean(project)
