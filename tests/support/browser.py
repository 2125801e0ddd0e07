"""A real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from support.components import require
from support.paths import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"


SCREENSHOTS = ARTIFACTS / "screenshots"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclasses.dataclass
class BrowserPage:
    """A Playwright page in Debian's Chromium that records what went wrong.

    `problems` collects console errors (CSP violations and missing files among them)
    and uncaught page errors; `shot` saves a screenshot under tests/artifacts/.
    """

    page: Any
    prefix: str
    problems: list[str] = dataclasses.field(default_factory=list)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=SCREENSHOTS / f"{self.prefix}-{name}.png", full_page=True
        )


@contextlib.contextmanager
def flask_browser_page(prefix: str) -> Iterator[BrowserPage]:
    """A fresh Chromium page (no browser download: Debian's `chromium`)."""
    chromium = require("chromium")["chromium"]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            recorder = BrowserPage(page, prefix)
            page.on(
                "console",
                lambda msg: (
                    msg.type == "error"
                    and recorder.problems.append(f"console at {page.url}: {msg.text}")
                ),
            )
            page.on("pageerror", lambda exc: recorder.problems.append(f"page: {exc}"))
            page.on(
                "response",
                lambda r: (
                    r.status >= 400
                    and recorder.problems.append(f"HTTP {r.status}: {r.url}")
                ),
            )
            yield recorder
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_page() -> Iterator[tuple[Any, list[str]]]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser):
    yield (page, problems), where problems collects every console error, uncaught
    page error and failed or 4xx/5xx sub-resource, so a test can require none."""
    path = require("chromium")["chromium"]
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"console {msg.type}: {msg.text}")
                    if msg.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            # Requests the browser itself cancelled (ERR_ABORTED, as when the test
            # moves on) are not failures of the site.
            page.on(
                "requestfailed",
                lambda req: (
                    problems.append(f"failed: {req.url} {req.failure}")
                    if "ERR_ABORTED" not in (req.failure or "")
                    else None
                ),
            )
            yield page, problems
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot under tests/artifacts/screenshots/ (a CI artefact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
