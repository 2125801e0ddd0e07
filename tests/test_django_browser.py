"""The Django starter in real headless Chromium, as its first user meets it.

One served project (production settings, gunicorn, PostgreSQL; mail written to
files): sign up, open the link from the verification mail, log in, create, edit and
delete an item, log out, then two-factor authentication (turned on with an
authenticator app's code, then a recovery code at the next log-in), the admin (staff
set up a second factor before it opens; deleting asks first) and the API docs. Any
console error, CSP violation, failed asset or uncaught script error fails the test.
Screenshots of every page land in tests/artifacts/screenshots/.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from support import chromium_page, gunicorn, render_copie, run, screenshot, totp_code

# Its module fixtures are built once: every test of it runs on one xdist worker.
pytestmark = pytest.mark.xdist_group("django_browser")

PASSWORD = "a-long-browser-test-password"
SITE_URL = "https://shelf.example"  # where links in mail go, whatever Host was asked


@pytest.fixture(scope="module")
def site(copie_session: Any, postgres_server: str) -> Iterator[tuple[str, Path]]:
    """The served project: (base URL, folder the mails are written to)."""
    import psycopg

    project = render_copie(
        copie_session, "django", needs_api=True, needs_admin=True, project_name="Shelf"
    )
    name = f"browser_{secrets.token_hex(4)}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    mail = project / "mail"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{postgres_server}/{name}",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "EMAIL_URL": f"filemail:///{mail}",
        "SITE_URL": SITE_URL,
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        run([sys.executable, "manage.py", *command, "-v0"], project, env)
    run(
        [
            sys.executable,
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            "admin",
            "--email",
            "admin@example.com",
        ],
        project,
        {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    make_item = (
        "from accounts.models import User; from items.models import Item; "
        "from allauth.account.models import EmailAddress; "
        "admin = User.objects.get(username='admin'); "
        "Item.objects.create(owner=admin, title='Old'); "
        "owner = User.objects.create_user('owner', 'owner@example.com', "
        f"'{PASSWORD}'); "
        "keeper = User.objects.create_user('keeper', 'keeper@example.com', "
        f"'{PASSWORD}', is_staff=True); "
        "[EmailAddress.objects.create(user=u, email=u.email, verified=True, "
        "primary=True) for u in (admin, owner, keeper)]"
    )
    run([sys.executable, "manage.py", "shell", "-c", make_item], project, env)
    with gunicorn("config.wsgi", cwd=project, env=env, workers=2) as (base, _):
        yield base, mail


def newest_link(mail: Path, pattern: str) -> str:
    """The path of the first link matching `pattern` in the newest mail file; the
    link starts with SITE_URL, not with the address the browser used."""
    newest = max(mail.iterdir(), key=lambda p: p.stat().st_mtime)
    found = re.search(rf"(https?://[^/\s]+)(\S*{pattern}\S*)", newest.read_text())
    assert found, newest.read_text()
    assert found[1] == SITE_URL, found[0]
    return found[2]


def sign_in(page: Any, email: str) -> None:
    """Fill in and send the log-in form the page shows (allauth's)."""
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In", exact=True).click()


@pytest.mark.slow
def test_sign_up_to_log_out(site: tuple[str, Path]) -> None:
    base, mail = site
    with chromium_page() as (page, problems):
        page.goto(base + "/")
        assert page.title() == "Shelf"
        assert page.locator('meta[name="description"]').get_attribute("content")
        screenshot(page, "django-home")
        page.locator('a[href="/accounts/signup/"]').first.click()

        page.fill('input[name="email"]', "reader@example.com")
        page.fill('input[name="password1"]', PASSWORD)
        page.fill('input[name="password2"]', PASSWORD)
        screenshot(page, "django-sign-up")
        page.locator("main").get_by_role("button", name="Sign Up").click()
        page.wait_for_url("**/confirm-email/")
        screenshot(page, "django-verification-sent")

        page.goto(base + newest_link(mail, "/accounts/confirm-email/"))
        page.locator("main").get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/accounts/login/")

        screenshot(page, "django-log-in")
        sign_in(page, "reader@example.com")
        page.wait_for_url(base + "/")
        assert page.get_by_text("reader@example.com").count() >= 1

        page.get_by_role("link", name="Items").click()
        page.get_by_role("button", name="New item").click()
        page.get_by_role("button", name="Save").click()  # empty: an inline error
        assert page.locator('[aria-invalid="true"]').count() == 1
        screenshot(page, "django-item-form-error")
        page.fill('input[name="title"]', "First shelf")
        page.fill('textarea[name="body"]', "Books to read")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Created “First shelf”.")).to_be_visible()
        screenshot(page, "django-items")

        page.get_by_role("link", name="Edit").click()
        page.fill('input[name="title"]', "Second shelf")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved “Second shelf”.")).to_be_visible()

        page.get_by_role("link", name="Delete").click()
        screenshot(page, "django-item-delete")
        page.get_by_role("button", name="Delete").click()
        expect(page.get_by_text("Deleted “Second shelf”.")).to_be_visible()
        expect(page.get_by_text("No items yet.")).to_be_visible()

        page.locator("details.dropdown summary").click()
        page.get_by_role("link", name="Account").click()
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        screenshot(page, "django-account")
        page.locator("details.dropdown summary").click()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(base + "/")
        expect(page.get_by_role("link", name="Log in")).to_be_visible()

        assert not problems, problems
        page.goto(base + "/no/such/page/")
        expect(page.get_by_text("Page not found")).to_be_visible()
        screenshot(page, "django-404")
        # The page's own 404 status is the one thing the console reports.
        assert problems == [
            "console error: Failed to load resource: the server responded with a "
            "status of 404 (Not Found)"
        ]


@pytest.mark.slow
def test_two_factor_from_the_account_page(site: tuple[str, Path]) -> None:
    base, _ = site
    with chromium_page() as (page, problems):
        page.goto(base + "/accounts/login/")
        sign_in(page, "owner@example.com")
        page.wait_for_url(base + "/")
        page.goto(base + "/accounts/profile/")
        page.get_by_role("button", name="Two-factor authentication").click()
        page.get_by_role("link", name="Activate").click()
        page.fill('input[name="password"]', PASSWORD)  # asked again, first
        page.get_by_role("button", name="Confirm").click()
        secret = page.locator("#authenticator_secret").input_value()
        screenshot(page, "django-2fa-activate")
        page.fill('input[name="code"]', totp_code(secret))
        page.locator("main").get_by_role("button", name="Activate").click()
        page.wait_for_url("**/2fa/recovery-codes/")
        codes = page.locator("#recovery_codes").input_value().split()
        assert len(codes) == 10
        screenshot(page, "django-2fa-recovery-codes")

        page.locator("details.dropdown summary").click()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(base + "/")
        page.goto(base + "/accounts/login/")
        sign_in(page, "owner@example.com")
        page.wait_for_url("**/2fa/authenticate/")
        screenshot(page, "django-2fa-authenticate")
        page.fill('input[name="code"]', codes[0])
        page.locator("main").get_by_role("button", name="Sign In", exact=True).click()
        page.wait_for_url(base + "/")
        assert page.get_by_text("owner@example.com").count() >= 1
    assert not problems, problems


@pytest.mark.slow
def test_the_admin_asks_before_deleting(site: tuple[str, Path]) -> None:
    base, _ = site
    with chromium_page() as (page, problems):
        page.goto(base + "/admin/")  # signs in on the account pages, then back
        page.wait_for_url(re.compile(r"/accounts/login/\?next="))
        sign_in(page, "admin@example.com")
        # A password alone does not open the admin: set up a second factor first.
        # (Changing how one signs in asks for the password again, first.)
        page.wait_for_url(re.compile(r"/reauthenticate/\?next=.*totp"))
        expect(
            page.get_by_text("The admin asks staff for a second factor")
        ).to_be_visible()
        screenshot(page, "django-admin-asks-two-factor")
        page.fill('input[name="password"]', PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/2fa/totp/activate/")
        secret = page.locator("#authenticator_secret").input_value()
        page.fill('input[name="code"]', totp_code(secret))
        page.locator("main").get_by_role("button", name="Activate").click()
        page.wait_for_url("**/2fa/recovery-codes/")
        codes = page.locator("#recovery_codes").input_value().split()
        # This session has no second factor yet: the admin asks for one (the app's
        # code is used up, so a recovery code).
        page.goto(base + "/admin/")
        page.wait_for_url(re.compile(r"/2fa/reauthenticate/\?next="))
        page.fill('input[name="code"]', codes[0])
        page.locator("main").get_by_role("button", name="Confirm").click()
        page.wait_for_url(base + "/admin/")
        screenshot(page, "django-admin")
        page.goto(base + "/admin/items/item/")
        page.locator('input[name="_selected_action"]').first.check()
        page.select_option('select[name="action"]', "delete_selected")
        page.locator('button[name="index"]').click()
        expect(
            page.get_by_text(re.compile("Are you sure you want to delete"))
        ).to_be_visible()
        screenshot(page, "django-admin-delete")
        page.get_by_role("button", name=re.compile("^Yes, I.m sure")).click()
        expect(page.get_by_text("Successfully deleted 1 item")).to_be_visible()
    assert not problems, problems


def add_virtual_authenticator(page: Any) -> None:
    """A platform authenticator (a passkey store with user verification, as a phone
    or laptop has), through the DevTools protocol's WebAuthn domain."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": options})


@pytest.mark.slow
def test_a_passkey_signs_staff_in_and_opens_the_admin(
    site: tuple[str, Path],
) -> None:
    """keeper (staff) adds a passkey from the security page, logs out, signs in with
    the passkey alone, and the admin opens: the passkey is the second factor. On
    http://localhost, a secure context for WebAuthn, under the shipped CSP."""
    base, _ = site
    base = base.replace("127.0.0.1", "localhost")
    with chromium_page() as (page, problems):
        add_virtual_authenticator(page)
        page.goto(base + "/accounts/login/")
        sign_in(page, "keeper@example.com")
        page.wait_for_url(base + "/")
        page.goto(base + "/accounts/2fa/webauthn/add/")
        page.fill('input[name="password"]', PASSWORD)  # asked again, first
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/2fa/webauthn/add/")
        page.fill('input[name="name"]', "This laptop")
        page.check('input[name="passwordless"]')
        screenshot(page, "django-passkey-add")
        page.locator("main").get_by_role("button", name="Add").click()
        page.wait_for_url("**/2fa/recovery-codes/")
        page.goto(base + "/accounts/2fa/webauthn/")
        expect(page.get_by_text("This laptop")).to_be_visible()
        screenshot(page, "django-passkey-list")

        page.locator("details.dropdown summary").click()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(base + "/")
        page.goto(base + "/admin/")
        page.wait_for_url(re.compile(r"/accounts/login/\?next="))
        screenshot(page, "django-passkey-login")
        page.get_by_role("button", name="Sign in with a passkey").click()
        page.wait_for_url(base + "/admin/")
        expect(page.locator("#site-name")).to_contain_text("Shelf administration")
        screenshot(page, "django-passkey-admin")
    assert not problems, problems


@pytest.mark.slow
def test_the_api_docs_load_under_the_csp(site: tuple[str, Path]) -> None:
    base, _ = site
    with chromium_page() as (page, problems):
        page.goto(base + "/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
        assert page.locator(".opblock").count() >= 6
        screenshot(page, "django-api-docs")
    assert not problems, problems
