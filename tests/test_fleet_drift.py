"""Content drift and the fleet board: `check --drift`, `status --drift --html`.

A throwaway clone of this repository is the template (tag v90.0.0, then v90.1.0 which
adds CONTRIBUTING.md). Seven projects are made from it with `stackpick new`, then
changed the way teams change them:

    name              framework  version  what the team did
    flask-clean       flask      v90.1.0  nothing
    flask-twin        flask      v90.1.0  nothing; same answers as flask-clean
    flask-locked      flask      v90.1.0  edited ci.yml, which its preset locks
    flask-own-code    flask      v90.1.0  edited README and a page; added a module
    django-edited     django     v90.1.0  edited the Dockerfile (not locked)
    django-deleted    django     v90.1.0  deleted compose.yaml and .pre-commit-config
    django-behind     django     v90.0.0  nothing, one version behind

The board is opened in Debian's Chromium: no console error, sorting and filtering work,
and Lighthouse's accessibility score is at least 95.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import (
    chromium_page,
    clone_template,
    commit_and_tag,
    screenshot,
    sh,
    stackpick,
)

pytestmark = pytest.mark.slow

LOCKED = [".github/workflows/**", "Dockerfile.locked-example"]
SAME = ["--data", "project_name=Twin Site"]
PROJECTS: dict[str, tuple[str, str, list[str]]] = {
    "flask-clean": ("flask", "v90.1.0", SAME),
    "flask-twin": ("flask", "v90.1.0", SAME),
    "flask-locked": ("flask", "v90.1.0", []),
    "flask-own-code": ("flask", "v90.1.0", []),
    "django-edited": ("django", "v90.1.0", []),
    "django-deleted": ("django", "v90.1.0", []),
    "django-behind": ("django", "v90.0.0", []),
}


def commit_all(project: Path, message: str) -> None:
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", message, cwd=project)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("drift")
    template = clone_template(work, "v90.0.0")
    for framework in ("flask", "django"):
        (template / f"template-{framework}" / "CONTRIBUTING.md").write_text(
            "# Contributing\n\nOpen a pull request; CI must pass.\n"
        )
    commit_and_tag(template, "v90.1.0")
    preset = work / "platform.yml"
    preset.write_text(yaml.safe_dump({"name": "Platform", "locked": LOCKED}))
    root = work / "fleet"
    root.mkdir()
    for name, (framework, version, extra) in PROJECTS.items():
        stackpick(
            "new", root / name, "--defaults", "--template", template,
            "--vcs-ref", version, "--data", f"framework={framework}",
            "--preset", preset, *extra,
            cwd=work,
        )  # fmt: skip
    edit(root)
    cache = work / "cache"
    return {"root": root, "work": work, "env": {"XDG_CACHE_HOME": str(cache)}}


def edit(root: Path) -> None:
    """What each team did to its project, committed as a team would."""
    ci = root / "flask-locked" / ".github" / "workflows" / "ci.yml"
    ci.write_text(ci.read_text() + "  # a step the platform team never reviewed\n")
    commit_all(root / "flask-locked", "CI: our own step")
    own = root / "flask-own-code"
    readme = own / "README.md"
    readme.write_text(readme.read_text().replace("# ", "# Our ", 1))
    package = next(p for p in own.iterdir() if (p / "__init__.py").is_file())
    (package / "billing.py").write_text('"""Billing."""\n')
    commit_all(own, "Our README and billing")
    dockerfile = root / "django-edited" / "Dockerfile"
    lines = dockerfile.read_text().splitlines(keepends=True)
    dockerfile.write_text("".join([*lines[:2], "# pinned by ops\n", *lines[3:]]))
    commit_all(root / "django-edited", "Dockerfile: ops note")
    for gone in ("compose.yaml", ".pre-commit-config.yaml"):
        (root / "django-deleted" / gone).unlink()
    commit_all(root / "django-deleted", "We deploy without compose")


def check_json(fleet: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    proc = stackpick(
        "check", fleet["root"] / name, "--drift", "--json",
        cwd=fleet["work"], check=False, env=fleet["env"],
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def by_path(drift: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["path"]: item for item in drift["files"]}


def test_an_untouched_project_has_no_drift(fleet: dict[str, Any]) -> None:
    code, state = check_json(fleet, "flask-clean")
    assert code == 0
    drift = state["drift"]
    assert drift["files"] == [] and drift["locked_violations"] == []
    assert drift["summary"]["unchanged"] > 40
    assert drift["summary"]["edited"] == drift["summary"]["deleted"] == 0


def test_an_edit_to_a_locked_path_fails_check(fleet: dict[str, Any]) -> None:
    code, state = check_json(fleet, "flask-locked")
    assert code == 1
    item = by_path(state["drift"])[".github/workflows/ci.yml"]
    assert item == {
        "path": ".github/workflows/ci.yml",
        "state": "edited",
        "owner": "template",
        "added_lines": 1,
        "removed_lines": 0,
        "locked": True,
    }
    assert state["drift"]["locked_violations"] == [".github/workflows/ci.yml"]
    text = stackpick(
        "check", fleet["root"] / "flask-locked", "--drift",
        cwd=fleet["work"], check=False, env=fleet["env"],
    )  # fmt: skip
    assert text.returncode == 1
    assert "edited   template .github/workflows/ci.yml (+1 -0)  LOCKED" in text.stdout
    assert "Locked paths differ from the template" in text.stdout


def test_an_unlocked_edit_is_reported_and_passes(fleet: dict[str, Any]) -> None:
    code, state = check_json(fleet, "django-edited")
    assert code == 0
    item = by_path(state["drift"])["Dockerfile"]
    assert (item["state"], item["owner"], item["locked"]) == (
        "edited",
        "template",
        False,
    )
    assert (item["added_lines"], item["removed_lines"]) == (1, 1)
    assert state["drift"]["summary"]["edited"] == 1


def test_deleted_template_files(fleet: dict[str, Any]) -> None:
    code, state = check_json(fleet, "django-deleted")
    assert code == 0
    files = by_path(state["drift"])
    assert files["compose.yaml"]["state"] == "deleted"
    assert files[".pre-commit-config.yaml"]["state"] == "deleted"
    assert state["drift"]["summary"]["deleted"] == 2


def test_the_projects_own_files_are_not_drift(fleet: dict[str, Any]) -> None:
    code, state = check_json(fleet, "flask-own-code")
    assert code == 0
    files = by_path(state["drift"])
    assert files["README.md"]["owner"] == "project"
    assert files["README.md"]["state"] == "edited"
    added = [f for f in files.values() if f["path"].endswith("/billing.py")]
    assert [(f["state"], f["owner"]) for f in added] == [("added", "project")]
    summary = state["drift"]["summary"]
    assert (summary["edited"], summary["deleted"], summary["added"]) == (0, 0, 1)
    assert summary["project_edited"] == 1
    # What the template makes once per project (a fresh .env) is never compared.
    assert ".env" not in files


def test_status_reports_drift_with_renders_shared(fleet: dict[str, Any]) -> None:
    board = fleet["work"] / "board.html"
    proc = stackpick(
        "status", "--find", fleet["root"], "--drift", "--json", "--html", board,
        cwd=fleet["work"], env=fleet["env"],
    )  # fmt: skip
    rows = {Path(row["path"]).name: row for row in json.loads(proc.stdout)}
    assert sorted(rows) == sorted(PROJECTS)
    assert rows["django-behind"]["behind"] is True
    assert rows["flask-locked"]["drift"]["locked_violations"]
    renders = fleet["work"] / "cache" / "stackpick" / "renders"
    cached = [p for p in renders.iterdir() if not p.name.startswith(".")]
    # Seven projects, six distinct (version, answers): the twins share one render.
    assert len(cached) == 6
    # No secret survives in the cache: files made once per project are dropped.
    assert not list(renders.rglob(".env"))
    text = board.read_text()
    assert "7 repositories: 6 current, 1 behind, 1 drifted on locked files" in text
    # Self-contained: nothing loaded from elsewhere, so it works from file://.
    assert " src=" not in text and "http" not in text


@pytest.fixture(scope="module")
def board_url(fleet: dict[str, Any]) -> Iterator[str]:
    """The board, written by `status --html`, served on 127.0.0.1 for Lighthouse."""
    site = fleet["work"] / "site"
    site.mkdir()
    stackpick(
        "status", "--find", fleet["root"], "--drift", "--html", site / "index.html",
        cwd=fleet["work"], env=fleet["env"],
    )  # fmt: skip
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def visible_names(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#fleet tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.name)"
    )


def test_the_board_sorts_and_filters_in_chromium(
    fleet: dict[str, Any], board_url: str
) -> None:
    with chromium_page() as (page, problems):
        page.goto(board_url)
        assert visible_names(page) == sorted(PROJECTS)
        page.get_by_role("button", name="Status").click()
        statuses = page.eval_on_selector_all(
            "#fleet tbody tr", "rows => rows.map(r => r.dataset.status)"
        )
        assert statuses == sorted(statuses)
        page.get_by_role("button", name="Drift").click()
        page.get_by_role("button", name="Drift").click()
        first = page.eval_on_selector("#fleet tbody tr", "r => r.dataset.name")
        assert first == "django-deleted"  # two files deleted: the most drift
        page.get_by_label("Filter by name, framework or preset").fill("django")
        assert sorted(visible_names(page)) == [
            "django-behind", "django-deleted", "django-edited",
        ]  # fmt: skip
        assert page.inner_text("#shown") == "3 shown"
        page.get_by_label("Filter by name, framework or preset").fill("")
        page.get_by_label("Show").select_option("locked")
        assert visible_names(page) == ["flask-locked"]
        page.get_by_label("Show").select_option("behind")
        assert visible_names(page) == ["django-behind"]
        page.get_by_label("Show").select_option("")
        page.locator("tr[data-name=flask-locked] summary").click()
        assert ".github/workflows/ci.yml" in page.inner_text(
            "tr[data-name=flask-locked]"
        )
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the board scrolls sideways on a phone: {width}px"
        screenshot(page, "fleet-board-phone")
        assert problems == []


def test_the_board_from_file_url(fleet: dict[str, Any]) -> None:
    page_file = fleet["work"] / "file-board.html"
    stackpick(
        "status", "--find", fleet["root"], "--html", page_file,
        cwd=fleet["work"], env=fleet["env"],
    )  # fmt: skip
    with chromium_page() as (page, problems):
        page.goto(page_file.as_uri())
        assert len(visible_names(page)) == len(PROJECTS)
        assert "drifted on locked files" not in page.inner_text("#summary")
        screenshot(page, "fleet-board")
        assert problems == []


def test_the_board_is_accessible(board_url: str) -> None:
    from test_lighthouse import lighthouse

    scores = lighthouse(board_url, "fleet-board")
    assert scores["accessibility"] >= 95, scores


def test_a_locked_entry_must_be_a_list_of_paths(fleet: dict[str, Any]) -> None:
    bad = fleet["work"] / "bad.yml"
    bad.write_text("name: Bad\nlocked: .github/workflows/**\n")
    proc = stackpick(
        "new", fleet["work"] / "never", "--defaults", "--preset", bad,
        cwd=fleet["work"], check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"stackpick: preset {bad}: 'locked' must be a list of paths, "
        "e.g. - .github/workflows/**"
    ]
    assert not (fleet["work"] / "never").exists()
    shutil.rmtree(fleet["work"] / "never", ignore_errors=True)
