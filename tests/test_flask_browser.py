"""The generated Flask project driven in real headless Chromium, as a visitor uses it.

The fullest project (accounts, API, admin, notes) is served by gunicorn with its mail
written to a folder. The browser signs up, follows the link in the mail, logs in,
writes a note, edits it, deletes it (after a confirmation page), logs out, and opens
the API docs. Any console error (a CSP violation,
a missing file, a script error) fails the test. Screenshots of each page are kept in
tests/artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from support import (
    BIN,
    BrowserPage,
    flask_browser_page,
    gunicorn,
    mailed_link,
    migrated_flask_project,
    run,
)

# Its module fixtures are built once: every test of it runs on one xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("flask_browser")]

EMAIL, PASSWORD = "visitor@example.com", "a long browser password"
ADMIN = "admin@example.com"


@pytest.fixture(scope="module")
def site(copie_session: Any) -> Iterator[dict[str, Any]]:
    """The project, migrated and served; its URL and mail folder."""
    project, database = migrated_flask_project(copie_session, "Browsed")
    outbox = project / "outbox"
    env = {
        "FLASK_CONFIG": "development",
        "DATABASE_URL": database,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(outbox),
    }
    flask = [BIN / "flask", "--app", "browsed"]
    admin = ["create-admin", "--email", ADMIN, "--password", PASSWORD]
    run([*flask, *admin], cwd=project, env=env)
    with gunicorn("wsgi:app", cwd=project, env=env) as (base, _):
        yield {"base": base, "outbox": outbox}


@pytest.fixture
def browser() -> Iterator[BrowserPage]:
    with flask_browser_page("flask") as recorder:
        yield recorder
    assert recorder.problems == [], recorder.problems


def test_sign_up_verify_log_in_write_edit_delete_a_note_log_out(
    site: dict[str, Any], browser: BrowserPage
) -> None:
    page, base = browser.page, site["base"]
    page.goto(base + "/")
    browser.shot("home")
    assert page.locator('meta[name="description"]').get_attribute("content")
    page.locator("header").get_by_text("Sign up").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    browser.shot("sign-up")
    page.get_by_role("button", name="Register").click()
    page.get_by_text(f"We sent a mail to {EMAIL}").wait_for()
    browser.shot("check-your-mail")

    page.goto(base + mailed_link(site["outbox"], EMAIL, "/verify/"))
    page.get_by_text("Your address is confirmed").wait_for()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    browser.shot("log-in")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("You are logged in.").wait_for()
    assert page.url.endswith("/auth/account")

    page.get_by_role("link", name="Notes").click()
    page.get_by_label("Title").fill("From a real browser")
    page.get_by_label("Text").fill("Typed into Chromium.")
    page.get_by_role("button", name="Add the note").click()
    page.get_by_text("Note saved.").wait_for()
    assert page.get_by_role("heading", name="From a real browser").is_visible()
    browser.shot("notes")

    # A form error is shown next to its field.
    page.get_by_role("button", name="Add the note").click()
    assert page.locator('[aria-invalid="true"]').count() == 1
    browser.shot("notes-error")

    # Edit the note, then delete it: deleting asks first, on a page of its own.
    page.locator("article.note", has_text="From a real browser").get_by_role(
        "link", name="Edit"
    ).click()
    page.get_by_label("Title").fill("Edited in Chromium")
    browser.shot("note-edit")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved “Edited in Chromium”.").wait_for()
    edited = page.locator("article.note", has_text="Edited in Chromium")
    edited.get_by_role("link", name="Delete").click()
    page.get_by_role("heading", name="Delete “Edited in Chromium”?").wait_for()
    browser.shot("note-delete")
    page.get_by_role("link", name="Cancel").click()
    assert edited.count() == 1, "kept on Cancel"
    edited.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    page.get_by_text("Deleted “Edited in Chromium”.").wait_for()
    assert page.locator("article.note", has_text="Edited in Chromium").count() == 0
    browser.shot("note-deleted")

    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()
    page.goto(base + "/auth/account")
    assert "/auth/login" in page.url


def test_styled_error_page(site: dict[str, Any], browser: BrowserPage) -> None:
    page = browser.page
    # The 404 itself is the one console error a missing page may log: listen only
    # for the page's own assets by checking the rendered result.
    response = page.goto(site["base"] + "/no-such-page")
    assert response is not None and response.status == 404
    browser.problems[:] = [p for p in browser.problems if "404" not in p]
    assert page.get_by_text("There is no page at this address.").is_visible()
    browser.shot("404")


def test_api_docs_page(site: dict[str, Any], browser: BrowserPage) -> None:
    page = browser.page
    page.goto(site["base"] + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert re.search(
        "Browsed API", page.locator(".swagger-ui .info .title").inner_text()
    )
    page.locator(".opblock-summary-path", has_text="/api/notes").first.wait_for()
    browser.shot("api-docs")


def test_admin_asks_before_deleting(site: dict[str, Any], browser: BrowserPage) -> None:
    page, base = browser.page, site["base"]
    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("You are logged in.").wait_for()
    page.goto(base + "/notes/")
    page.get_by_label("Title").fill("Doomed note")
    page.get_by_role("button", name="Add the note").click()
    page.get_by_text("Note saved.").wait_for()

    page.goto(base + "/admin/notes_admin/")
    row = page.locator("tr", has_text="Doomed note")
    owner = row.get_by_role("cell", name=ADMIN, exact=True)
    assert owner.count() == 1, "owner shown by email"
    browser.shot("admin-notes")
    questions: list[str] = []

    def answer(accept: bool) -> None:
        def handle(dialog: Any) -> None:
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", handle)

    answer(False)
    row.locator("form button[title='Delete Record']").click()
    page.wait_for_timeout(500)
    assert questions == ["Are you sure you want to delete this record?"]
    assert page.locator("tr", has_text="Doomed note").count() == 1, "kept on No"

    answer(True)
    row.locator("form button[title='Delete Record']").click()
    page.get_by_text("Record was successfully deleted.").wait_for()
    assert page.locator("tr", has_text="Doomed note").count() == 0
    browser.shot("admin-deleted")
