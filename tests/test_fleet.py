"""A fleet of generated projects kept on one template: `status`, `check`, `update`.

One throwaway clone of this repository is the template, tagged v90.0.0 (today's
template), v90.1.0 (adds CONTRIBUTING.md), v90.2.0 (retitles the README) and a
prerelease v90.3.0rc1 that nobody is offered; its CHANGELOG.md gains a section per
tag. A presets repository holds the team preset (tag v1 and branch main). Twelve
projects of both frameworks are rendered once for the module at mixed versions:

    name                   framework  version  what is special
    django-broken-preset   django     v90.2.0  preset; database set to sqlite by hand
    django-current-preset  django     v90.2.0  preset at v1; edited ci.yml, which the
                                               preset locks
    django-dirty           django     v90.1.0  an uncommitted file
    django-edited          django     v90.0.0  the user retitled the README
    django-old             django     v90.0.0
    django-preset-moved    django     v90.2.0  preset at main, which changed since
    flask-current          flask      v90.2.0  edited the Dockerfile (not locked),
                                               deleted .pre-commit-config.yaml
    flask-dirty            flask      v90.0.0  an uncommitted edit
    flask-edited           flask      v90.1.0  the user retitled the README and
                                               added a module of its own
    flask-gone             flask      v90.1.0  its template was deleted
    flask-old              flask      v90.0.0
    flask-preset           flask      v90.1.0  preset at v1

plus `notes/`, a folder that is no project. `status` and `check` run on that fleet
as it is (with `--drift`: its content drift, and the board in Chromium); the
multi-project update runs on a copy of it.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
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
    require,
    retitle_readme,
    screenshot,
    sh,
    stackpick,
)

# Its module fixtures are built once: every test of it runs on one xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fleet")]

LATEST = "v90.2.0"
PRESET = {
    "name": "Platform",
    "pin": {"database": "postgresql"},
    "forbid": {"database": {"sqlite": "Production parity: use PostgreSQL."}},
    "locked": [".github/workflows/**", "Dockerfile.locked-example"],
}
USER_TITLE = "# Fleet project, as its team titled it\n"
# name: (framework, version, preset ref or None)
PROJECTS: dict[str, tuple[str, str, str | None]] = {
    "django-broken-preset": ("django", "v90.2.0", "v1"),
    "django-current-preset": ("django", "v90.2.0", "v1"),
    "django-dirty": ("django", "v90.1.0", None),
    "django-edited": ("django", "v90.0.0", None),
    "django-old": ("django", "v90.0.0", None),
    "django-preset-moved": ("django", "v90.2.0", "main"),
    "flask-current": ("flask", "v90.2.0", None),
    "flask-dirty": ("flask", "v90.0.0", None),
    "flask-edited": ("flask", "v90.1.0", None),
    "flask-gone": ("flask", "v90.1.0", None),
    "flask-old": ("flask", "v90.0.0", None),
    "flask-preset": ("flask", "v90.1.0", "v1"),
}


def answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def git_out(project: Path, *args: str) -> str:
    return sh("git", *args, cwd=project).stdout.strip()


def add_changelog_section(template: Path, tag: str, line: str) -> None:
    """A `## tag` section above the newest one, as a maintainer writes it."""
    changelog = template / "CHANGELOG.md"
    text = changelog.read_text()
    cut = text.index("\n## ") + 1
    changelog.write_text(f"{text[:cut]}## {tag}\n\n- {line}\n\n{text[cut:]}")


@dataclass
class Fleet:
    work: Path
    root: Path
    template: Path
    presets: Path

    def project(self, name: str) -> Path:
        return self.root / name

    def preset_spec(self, ref: str) -> str:
        return f"git+file://{self.presets}@{ref}#platform.yml"


def build_template(work: Path) -> Path:
    template = clone_template(work, "v90.0.0")
    for framework in ("flask", "django"):
        (template / f"template-{framework}" / "CONTRIBUTING.md").write_text(
            "# Contributing\n\nOpen a pull request; CI must pass.\n"
        )
    add_changelog_section(template, "v90.1.0", "CONTRIBUTING.md in every project.")
    commit_and_tag(template, "v90.1.0")
    for framework in ("flask", "django"):
        retitle_readme(template, framework, "# {{ project_name }}, by the platform\n")
    add_changelog_section(template, "v90.2.0", "The README title names the owners.")
    commit_and_tag(template, "v90.2.0")
    add_changelog_section(template, "v90.3.0rc1", "A prerelease nobody is offered.")
    commit_and_tag(template, "v90.3.0rc1")
    return template


def build_presets(work: Path) -> Path:
    presets = work / "presets"
    presets.mkdir()
    sh("git", "init", "-q", "-b", "main", cwd=presets)
    (presets / "platform.yml").write_text(yaml.safe_dump(PRESET))
    commit_and_tag(presets, "v1")
    return presets


def new_project(fleet: Fleet, name: str, template: Path) -> Path:
    framework, version, preset_ref = PROJECTS[name]
    project = fleet.project(name)
    args = [
        "new", project, "--defaults", "--template", template, "--vcs-ref", version,
        "-d", f"framework={framework}", "-d", f"project_name={name}",
    ]  # fmt: skip
    if preset_ref:
        args += ["--preset", fleet.preset_spec(preset_ref)]
    stackpick(*args, cwd=fleet.work)
    return project


def commit_all(project: Path, message: str) -> None:
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", message, cwd=project)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    work = tmp_path_factory.mktemp("fleet")
    template = build_template(work)
    fleet = Fleet(work, work / "projects", template, build_presets(work))
    fleet.root.mkdir()
    gone = work / "template-gone"
    sh("git", "clone", "-q", template, gone, cwd=work)
    for name in PROJECTS:
        new_project(fleet, name, gone if name == "flask-gone" else template)
    shutil.rmtree(gone)

    for name in ("flask-edited", "django-edited"):
        readme = fleet.project(name) / "README.md"
        lines = readme.read_text().splitlines(keepends=True)
        readme.write_text(USER_TITLE + "".join(lines[1:]))
        commit_all(fleet.project(name), "Our own title")
    with (fleet.project("flask-dirty") / "README.md").open("a") as stream:
        stream.write("Work in progress.\n")
    (fleet.project("django-dirty") / "scratch.txt").write_text("not committed\n")
    edit_as_teams_do(fleet)
    broken = fleet.project("django-broken-preset") / ".copier-answers.yml"
    broken.write_text(broken.read_text().replace("postgresql", "sqlite"))
    commit_all(fleet.project("django-broken-preset"), "Back to SQLite, by hand")
    # The team changes the preset on its main branch after the project was made.
    changed = {**PRESET, "defaults": {"team_size": 4}}
    (fleet.presets / "platform.yml").write_text(yaml.safe_dump(changed))
    commit_all(fleet.presets, "Teams of four by default")
    (fleet.root / "notes").mkdir()
    (fleet.root / "notes" / "todo.txt").write_text("not a project\n")
    return fleet


def edit_as_teams_do(fleet: Fleet) -> None:
    """The drift cases: a locked file edited, an unlocked one edited and a template
    file deleted, and the project's own module (committed, as teams do)."""
    ci = fleet.project("django-current-preset") / ".github" / "workflows" / "ci.yml"
    ci.write_text(ci.read_text() + "  # a step the platform team never reviewed\n")
    commit_all(fleet.project("django-current-preset"), "CI: our own step")
    current = fleet.project("flask-current")
    dockerfile = current / "Dockerfile"
    lines = dockerfile.read_text().splitlines(keepends=True)
    dockerfile.write_text("".join([*lines[:2], "# pinned by ops\n", *lines[3:]]))
    (current / ".pre-commit-config.yaml").unlink()
    commit_all(current, "Dockerfile: ops note; no pre-commit")
    own = fleet.project("flask-edited")
    package = next(p for p in own.iterdir() if (p / "__init__.py").is_file())
    (package / "billing.py").write_text('"""Billing."""\n')
    commit_all(own, "Billing, our own module")


def status_json(fleet: Fleet, root: Path | None = None) -> dict[str, dict[str, Any]]:
    proc = stackpick("status", "--find", root or fleet.root, "--json", cwd=fleet.work)
    return {row["name"]: row for row in json.loads(proc.stdout)}


# -- status ----------------------------------------------------------------------------


def test_status_finds_every_project_and_reports_each(fleet: Fleet) -> None:
    rows = status_json(fleet)
    assert sorted(rows) == sorted(PROJECTS)  # notes/ is no project
    for name, (framework, version, preset_ref) in PROJECTS.items():
        row = rows[name]
        assert row["framework"] == framework
        assert row["version"] == version
        assert row["path"] == str(fleet.project(name))
        if name == "flask-gone":
            assert row["latest"] is None and row["behind"] is None
            assert "unreachable" in " ".join(row["problems"])
            continue
        assert row["template"] == str(fleet.template)
        assert row["latest"] == LATEST  # never the prerelease
        assert row["behind"] is (version != LATEST), name
        assert row["preset"] == (fleet.preset_spec(preset_ref) if preset_ref else None)
        assert row["git"] == ("dirty" if "dirty" in name else "clean")
    assert rows["django-current-preset"]["preset_ok"] is True
    assert rows["flask-preset"]["preset_ok"] is True
    assert rows["django-broken-preset"]["preset_ok"] is False
    assert rows["django-preset-moved"]["preset_ok"] is False
    assert rows["flask-old"]["preset_ok"] is None


def test_status_table_is_readable(fleet: Fleet) -> None:
    proc = stackpick("status", "--find", fleet.root, cwd=fleet.work)
    header = proc.stdout.splitlines()[0]
    for column in ("project", "framework", "version", "latest", "behind", "preset"):
        assert column in header
    for name in PROJECTS:
        assert name in proc.stdout
    print(f"\n{proc.stdout}")


def test_status_asks_each_template_and_preset_once(fleet: Fleet) -> None:
    trace = fleet.work / "git-trace.log"
    trace.unlink(missing_ok=True)
    paths = [fleet.project(name) for name in PROJECTS]
    stackpick("status", *paths, "--json", cwd=fleet.work, env={"GIT_TRACE": str(trace)})
    log = trace.read_text()
    # Two templates (the live one and the deleted one), twelve projects.
    assert log.count("built-in: git ls-remote") == 2
    # Two preset sources (@v1 and @main), five projects with a preset.
    assert log.count("built-in: git fetch") == 2


def test_status_needs_projects(fleet: Fleet) -> None:
    proc = stackpick("status", cwd=fleet.work, check=False)
    assert proc.returncode == 2 and "--find" in proc.stderr
    missing = stackpick(
        "status", "--find", fleet.work / "nope", cwd=fleet.work, check=False
    )
    assert missing.returncode == 2 and "not a folder" in missing.stderr
    assert "Traceback" not in proc.stderr + missing.stderr


# -- check -----------------------------------------------------------------------------


def check(fleet: Fleet, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return stackpick("check", fleet.project(name), *extra, cwd=fleet.work, check=False)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("flask-current", 0),
        ("django-current-preset", 0),
        ("flask-old", 1),
        ("django-dirty", 1),
        ("django-broken-preset", 1),
        ("django-preset-moved", 1),
        ("flask-gone", 2),
        ("notes", 2),
    ],
)
def test_check_exit_codes(fleet: Fleet, name: str, code: int) -> None:
    proc = check(fleet, name)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    data = json.loads(check(fleet, name, "--json").stdout)
    assert set(data) >= {
        "path", "framework", "template", "version", "latest", "behind",
        "preset", "preset_ok", "problems",
    }  # fmt: skip
    assert bool(data["problems"]) is (code != 0)


def test_check_behind_prints_versions_and_changelog_between(fleet: Fleet) -> None:
    proc = check(fleet, "django-old")
    assert proc.returncode == 1
    assert f"on v90.0.0, latest is {LATEST}" in proc.stdout
    assert (
        "## v90.2.0" in proc.stdout
        and "The README title names the owners." in proc.stdout
    )
    assert (
        "## v90.1.0" in proc.stdout
        and "CONTRIBUTING.md in every project." in proc.stdout
    )
    assert "v90.3.0rc1" not in proc.stdout  # beyond the latest release
    assert "## v0.1.0" not in proc.stdout  # the project has that one already
    one_step = json.loads(check(fleet, "flask-edited", "--json").stdout)
    assert "## v90.2.0" in one_step["changelog"]
    assert "## v90.1.0" not in one_step["changelog"]


def test_check_names_the_broken_pin_and_forbid(fleet: Fleet) -> None:
    proc = check(fleet, "django-broken-preset")
    assert "pins database=postgresql; the project has database=sqlite" in proc.stdout
    assert "forbids database=sqlite: Production parity" in proc.stdout
    data = json.loads(check(fleet, "django-broken-preset", "--json").stdout)
    assert data["behind"] is False and data["preset_ok"] is False


def test_check_reports_a_preset_that_changed(fleet: Fleet) -> None:
    data = json.loads(check(fleet, "django-preset-moved", "--json").stdout)
    assert data["behind"] is False and data["preset_ok"] is False
    assert any("changed since this project recorded it" in p for p in data["problems"])


def test_check_cannot_tell_says_which(fleet: Fleet) -> None:
    gone = check(fleet, "flask-gone")
    assert "template-gone" in gone.stderr and "unreachable" in gone.stderr
    notes = check(fleet, "notes")
    assert "not a stackpick project" in notes.stderr


# -- content drift and the board -------------------------------------------------------


@dataclass
class DriftRun:
    rows: dict[str, dict[str, Any]]  # `status --drift --json`, by project name
    env: dict[str, str]  # the render cache the run filled
    board: Path  # the page `--html` wrote
    renders: Path


@pytest.fixture(scope="module")
def drift_run(fleet: Fleet) -> DriftRun:
    """`status --drift --json --html` over the whole fleet, once, on a new cache."""
    env = {"XDG_CACHE_HOME": str(fleet.work / "cache")}
    site = fleet.work / "site"
    site.mkdir()
    proc = stackpick(
        "status", "--find", fleet.root, "--drift", "--json", "--html",
        site / "index.html", cwd=fleet.work, env=env,
    )  # fmt: skip
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    renders = fleet.work / "cache" / "stackpick" / "renders"
    return DriftRun(rows, env, site / "index.html", renders)


def drift_check(
    fleet: Fleet, drift_run: DriftRun, name: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return stackpick(
        "check", fleet.project(name), "--drift", *extra,
        cwd=fleet.work, check=False, env=drift_run.env,
    )  # fmt: skip


def by_path(drift: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["path"]: item for item in drift["files"]}


UNTOUCHED = ["django-old", "django-preset-moved", "flask-old", "flask-preset"]


def test_status_drift_over_the_whole_fleet(drift_run: DriftRun) -> None:
    rows = drift_run.rows
    assert sorted(rows) == sorted(PROJECTS)
    assert "drift" not in rows["flask-gone"]  # its template is gone: cannot tell
    for name in UNTOUCHED:
        drift = rows[name]["drift"]
        assert drift["files"] == [] and drift["locked_violations"] == [], name
        assert drift["summary"]["unchanged"] > 40
    locked = rows["django-current-preset"]["drift"]
    assert locked["locked_violations"] == [".github/workflows/ci.yml"]
    assert by_path(locked)[".github/workflows/ci.yml"] == {
        "path": ".github/workflows/ci.yml",
        "state": "edited",
        "owner": "template",
        "added_lines": 1,
        "removed_lines": 0,
        "locked": True,
    }
    assert rows["django-current-preset"]["behind"] is False
    # The answers set to SQLite by hand render another CI file than the project has:
    # that project drifted from its own record on a locked path too.
    on_locked = [
        n for n in sorted(rows) if rows[n].get("drift", {}).get("locked_violations")
    ]
    assert on_locked == ["django-broken-preset", "django-current-preset"]
    # Uncommitted work is what a reviewer sees too: an edit of the project's README,
    # and a new file of its own.
    assert rows["flask-dirty"]["drift"]["summary"]["project_edited"] == 1
    added = by_path(rows["django-dirty"]["drift"])["scratch.txt"]
    assert (added["state"], added["owner"]) == ("added", "project")
    # One render per distinct (version, answers): eleven templates reachable.
    cached = [p for p in drift_run.renders.iterdir() if not p.name.startswith(".")]
    assert len(cached) == 11
    # No secret survives in the cache: files made once per project are dropped.
    assert not list(drift_run.renders.rglob(".env"))
    text = drift_run.board.read_text()
    summary = (
        "12 repositories: 4 current, 7 behind, 2 drifted on locked files, 1 unknown"
    )
    assert f'<p class="summary" id="summary">{summary}</p>' in text
    # Self-contained: nothing loaded from elsewhere, so it works from file://.
    assert " src=" not in text and "http" not in text


def test_an_edit_to_a_locked_path_fails_check(
    fleet: Fleet, drift_run: DriftRun
) -> None:
    assert check(fleet, "django-current-preset").returncode == 0  # versions only
    text = drift_check(fleet, drift_run, "django-current-preset")
    assert text.returncode == 1, text.stdout + text.stderr
    assert "edited   template .github/workflows/ci.yml (+1 -0)  LOCKED" in text.stdout
    assert "Locked paths differ from the template" in text.stdout
    data = json.loads(
        drift_check(fleet, drift_run, "django-current-preset", "--json").stdout
    )
    assert data["drift"] == drift_run.rows["django-current-preset"]["drift"]


def test_an_unlocked_edit_and_a_deleted_file_are_reported_and_pass(
    fleet: Fleet, drift_run: DriftRun
) -> None:
    proc = drift_check(fleet, drift_run, "flask-current", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    drift = json.loads(proc.stdout)["drift"]
    files = by_path(drift)
    dockerfile = files["Dockerfile"]
    assert (dockerfile["state"], dockerfile["owner"], dockerfile["locked"]) == (
        "edited",
        "template",
        False,
    )
    assert (dockerfile["added_lines"], dockerfile["removed_lines"]) == (1, 1)
    assert files[".pre-commit-config.yaml"]["state"] == "deleted"
    assert files[".pre-commit-config.yaml"]["owner"] == "template"
    summary = drift["summary"]
    assert (summary["edited"], summary["deleted"], summary["locked_violations"]) == (
        1,
        1,
        0,
    )


def test_the_projects_own_files_are_not_drift(
    fleet: Fleet, drift_run: DriftRun
) -> None:
    drift = drift_run.rows["flask-edited"]["drift"]
    files = by_path(drift)
    assert (files["README.md"]["state"], files["README.md"]["owner"]) == (
        "edited",
        "project",
    )
    added = [f for f in files.values() if f["path"].endswith("/billing.py")]
    assert [(f["state"], f["owner"]) for f in added] == [("added", "project")]
    summary = drift["summary"]
    assert (summary["edited"], summary["deleted"], summary["added"]) == (0, 0, 1)
    assert summary["project_edited"] == 1
    assert drift["locked_violations"] == []
    # What the template makes once per project (a fresh .env) is never compared.
    assert ".env" not in files
    assert drift_run.rows["django-edited"]["drift"]["summary"]["edited"] == 0


def test_a_second_drift_run_renders_nothing(fleet: Fleet, drift_run: DriftRun) -> None:
    before = sorted(p.name for p in drift_run.renders.iterdir())
    proc = stackpick(
        "status", "--find", fleet.root, "--drift", "--json",
        cwd=fleet.work, env=drift_run.env,
    )  # fmt: skip
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert rows == drift_run.rows
    assert sorted(p.name for p in drift_run.renders.iterdir()) == before


@pytest.fixture(scope="module")
def board_url(drift_run: DriftRun) -> Iterator[str]:
    """The board `status --drift --html` wrote, on 127.0.0.1 (for Lighthouse)."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(drift_run.board.parent))
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
    drift_run: DriftRun, board_url: str
) -> None:
    rows = drift_run.rows
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
        first = page.eval_on_selector("#fleet tbody tr", "r => r.dataset.drift")
        most = max(
            r["drift"]["summary"]["edited"] + r["drift"]["summary"]["deleted"]
            for r in rows.values()
            if "drift" in r
        )
        assert int(first) == most > 0  # the most drifted repository first
        page.get_by_label("Filter by name, framework or preset").fill("flask")
        flask = sorted(visible_names(page))
        assert flask == sorted(n for n in PROJECTS if "flask" in n)
        assert page.inner_text("#shown") == "6 shown"
        page.get_by_label("Filter by name, framework or preset").fill("")
        page.get_by_label("Show").select_option("locked")
        assert sorted(visible_names(page)) == [
            "django-broken-preset",
            "django-current-preset",
        ]
        page.get_by_label("Show").select_option("")
        page.locator("tr[data-name=django-current-preset] summary").click()
        assert ".github/workflows/ci.yml" in page.inner_text(
            "tr[data-name=django-current-preset]"
        )
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the board scrolls sideways on a phone: {width}px"
        screenshot(page, "fleet-board-phone")
        assert problems == []


def test_the_board_from_file_url(fleet: Fleet, drift_run: DriftRun) -> None:
    page_file = fleet.work / "file-board.html"
    stackpick(
        "status", "--find", fleet.root, "--html", page_file,
        cwd=fleet.work, env=drift_run.env,
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


def test_a_locked_entry_must_be_a_list_of_paths(fleet: Fleet) -> None:
    bad = fleet.work / "bad.yml"
    bad.write_text("name: Bad\nlocked: .github/workflows/**\n")
    proc = stackpick(
        "new", fleet.work / "never", "--defaults", "--preset", bad,
        cwd=fleet.work, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"stackpick: preset {bad}: 'locked' must be a list of paths, "
        "e.g. - .github/workflows/**"
    ]
    assert not (fleet.work / "never").exists()


# -- presets recorded in the project ---------------------------------------------------


def test_the_preset_source_and_hash_are_recorded(fleet: Fleet) -> None:
    recorded = answers(fleet.project("django-current-preset"))
    assert recorded["preset_source"] == fleet.preset_spec("v1")
    assert recorded["preset_hash"].startswith("sha256:")
    assert recorded["database"] == "postgresql"
    assert "preset_source" not in answers(fleet.project("flask-old"))


def test_plain_copier_update_keeps_the_preset_record(
    fleet: Fleet, tmp_path: Path
) -> None:
    project = tmp_path / "flask-preset"
    shutil.copytree(fleet.project("flask-preset"), project, symlinks=True)
    before = answers(project)
    sh(
        sys.executable, "-m", "copier", "update", "--defaults", "--skip-answered",
        "--vcs-ref", LATEST, project, cwd=tmp_path,
    )  # fmt: skip
    after = answers(project)
    assert after["_commit"] == LATEST
    assert after["preset_source"] == before["preset_source"]
    assert after["preset_hash"] == before["preset_hash"]


@pytest.fixture
def https_presets(tmp_path: Path) -> Any:
    """A real HTTPS server on 127.0.0.1 (a self-signed certificate) serving presets."""
    openssl = require("openssl")["openssl"]
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    sh(
        openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", key, "-out", cert, cwd=tmp_path,
    )  # fmt: skip
    served = tmp_path / "served"
    served.mkdir()
    (served / "platform.yml").write_text(yaml.safe_dump(PRESET))
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()


def test_a_preset_over_https_is_applied_and_recorded(
    https_presets: Any, tmp_path: Path
) -> None:
    base, cert = https_presets
    env = {"SSL_CERT_FILE": str(cert)}
    project = tmp_path / "site"
    stackpick(
        "new", project, "--defaults", "--preset", f"{base}/platform.yml",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    recorded = answers(project)
    assert recorded["preset_source"] == f"{base}/platform.yml"
    assert recorded["database"] == "postgresql"
    missing = stackpick(
        "recommend", "--preset", f"{base}/nope.yml", cwd=tmp_path, env=env, check=False
    )
    assert missing.returncode == 2 and "HTTP 404" in missing.stderr
    untrusted = stackpick(
        "recommend", "--preset", f"{base}/platform.yml", cwd=tmp_path, check=False
    )
    assert untrusted.returncode == 2 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("http://127.0.0.1:9/platform.yml", "only https://"),
        ("git+file:///nonexistent/presets@v1#platform.yml", "cannot fetch"),
        ("git+file:///nonexistent/presets@v1", "expected git+REPO[@REF]#FILE"),
    ],
)
def test_bad_preset_urls_are_one_line(fleet: Fleet, spec: str, needle: str) -> None:
    proc = stackpick("recommend", "--preset", spec, cwd=fleet.work, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_git_preset_missing_file(fleet: Fleet) -> None:
    spec = f"git+file://{fleet.presets}@v1#nope.yml"
    proc = stackpick("recommend", "--preset", spec, cwd=fleet.work, check=False)
    assert proc.returncode == 2 and "has no file nope.yml" in proc.stderr


# -- the generated projects' workflows -------------------------------------------------


def run_step(step: dict[str, Any], cwd: Path, env: dict[str, str]) -> dict[str, str]:
    """A workflow `run:` step under bash, as the runner runs it; its outputs."""
    outputs = cwd.parent / f"{cwd.name}-outputs"
    outputs.write_text("")
    sh(
        "bash",
        "-eo",
        "pipefail",
        "-c",
        step["run"],
        cwd=cwd,
        env={**env, "GITHUB_OUTPUT": str(outputs)},
    )
    lines = outputs.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.mark.parametrize("name", ["flask-current", "django-current-preset"])
def test_projects_run_check_in_ci_and_update_weekly(fleet: Fleet, name: str) -> None:
    project = fleet.project(name)
    workflows = project / ".github" / "workflows"
    ci = yaml.safe_load((workflows / "ci.yml").read_text())
    job = ci["jobs"]["template-check"]
    assert job["permissions"] == {"contents": "read"}
    steps = {s.get("name"): s for s in job["steps"]}
    # The stackpick the project records (its template source at its tag), never a
    # name on the package index.
    source = run_step(steps["The stackpick that rendered this project"], project, {})
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert source == {
        "requirement": f"git+file://{answers['_src_path']}@{answers['_commit']}"
    }
    step = steps["stackpick check --drift"]
    assert 'uvx --from "$STACKPICK" stackpick check --drift --json' in step["run"]
    assert "STACKPICK_CHECK_BLOCKING" in step["continue-on-error"]
    if name == "flask-current":  # the step as the job runs it, once
        require("jq")
        uvx = Path(require("uv")["uv"]).with_name("uvx")
        env = {
            "STACKPICK": source["requirement"],
            "PATH": f"{uvx.parent}:{os.environ['PATH']}",
        }
        runner_temp = project.parent / f"{name}-runner-temp"
        runner_temp.mkdir(exist_ok=True)
        env["RUNNER_TEMP"] = str(runner_temp)
        assert run_step(step, project, env) == {"locked": "0"}
        report = json.loads((runner_temp / "check.json").read_text())
        assert report["drift"]["locked_violations"] == []
    # Drift on a locked path fails the job whatever the blocking switch says.
    locked = steps["Locked paths as the template has them"]
    assert "continue-on-error" not in locked
    run_step(locked, project, {"LOCKED": "0"})
    failed = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", locked["run"]],
        cwd=project,
        env={**os.environ, "LOCKED": "2"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert "2 path(s) the team's preset locks differ" in failed.stdout
    update = yaml.safe_load((workflows / "template-update.yml").read_text())
    triggers = update[True]  # YAML 1.1 reads the key `on` as true
    assert "cron" in triggers["schedule"][0] and "workflow_dispatch" in triggers
    # stackpick runs with a read-only token; only the job after it can write, and it
    # runs no stackpick.
    assert update["permissions"] == {}
    jobs = update["jobs"]
    assert jobs["update"]["permissions"] == {"contents": "read"}
    runs = " ".join(s.get("run", "") for s in jobs["update"]["steps"])
    assert "stackpick check --json" in runs and "stackpick update ." in runs
    assert "conflicts.txt" in runs
    opener = jobs["pull-request"]
    assert opener["needs"] == "update" and opener["if"].startswith("needs.update.")
    assert set(opener["permissions"]) == {"contents", "pull-requests"}
    opener_runs = " ".join(s.get("run", "") for s in opener["steps"])
    assert "uvx" not in opener_runs and "gh pr create" in opener_runs
    readme = (project / "README.md").read_text()
    assert "STACKPICK_CHECK_BLOCKING" in readme and "Renovate" in readme


# -- the multi-project update ------------------------------------------------------


@dataclass
class Updated:
    root: Path
    proc: subprocess.CompletedProcess[str]
    heads: dict[str, str]  # each project's HEAD before the run
    rows: dict[str, list[str]]  # each project's cells in the final table

    def project(self, name: str) -> Path:
        return self.root / name


@pytest.fixture(scope="module")
def updated(fleet: Fleet) -> Updated:
    root = fleet.work / "update-run"
    shutil.copytree(fleet.root, root, symlinks=True)
    heads = {name: git_out(root / name, "rev-parse", "HEAD") for name in PROJECTS}
    proc = stackpick("update", "--all-under", root, cwd=fleet.work, check=False)
    cells = [[c.strip() for c in line.split("│")] for line in proc.stdout.splitlines()]
    rows = {row[0]: row for row in cells if row[0] in PROJECTS}
    print(f"\n{proc.stdout}{proc.stderr}")
    return Updated(root, proc, heads, rows)


BRANCH = f"stackpick/update-{LATEST}"
OUTCOMES = {
    "django-broken-preset": "updated",
    "django-current-preset": "skipped",
    "django-dirty": "skipped",
    "django-edited": "conflicts",
    "django-old": "updated",
    "django-preset-moved": "updated",
    "flask-current": "skipped",
    "flask-dirty": "skipped",
    "flask-edited": "conflicts",
    "flask-gone": "failed",
    "flask-old": "updated",
    "flask-preset": "updated",
}


def test_a_pull_request_with_conflicts_lists_them_and_fails(
    updated: Updated, tmp_path: Path
) -> None:
    """The weekly workflow's text step on a branch that holds conflict markers: the
    body lists the files, and the job that opens the pull request fails the run."""
    project = tmp_path / "django-edited"
    shutil.copytree(updated.project("django-edited"), project, symlinks=True)
    sh("git", "switch", "-q", BRANCH, cwd=project)
    workflow = yaml.safe_load(
        (project / ".github" / "workflows" / "template-update.yml").read_text()
    )
    steps = {s.get("name"): s for s in workflow["jobs"]["update"]["steps"]}
    temp = tmp_path / "runner"
    (temp / "update").mkdir(parents=True)
    (temp / "update" / "update.txt").write_text(
        "Updated django-edited: template v90.0.0 -> v90.2.0\n"
        "  Before you deploy:\n    - new migrations to run: items/migrations/0002.py\n"
        "Review with `git diff`, then commit.\n"
    )
    (temp / "check.json").write_text(
        json.dumps({"changelog": ["## v90.2.0", "- The README title"], "problems": []})
    )
    step = steps["The pull request's text and its conflicts, kept with the patch"]
    require("jq")
    run_step(step, project, {"RUNNER_TEMP": str(temp)})
    assert (temp / "update" / "conflicts.txt").read_text() == "README.md\n"
    body = (temp / "update" / "body.md").read_text()
    assert "**Conflicts to resolve before merging:**\n- `README.md`" in body
    assert "Before you deploy:" in body and "new migrations to run" in body
    assert "- The README title" in body
    opener = workflow["jobs"]["pull-request"]["steps"][-1]["run"]
    assert 'title="[conflicts] $title"' in opener and "--draft" in opener
    assert "exit 1" in opener.split("conflict markers in")[1]


def test_update_table_has_one_outcome_per_project(updated: Updated) -> None:
    assert updated.proc.returncode == 2  # one project failed; the rest went on
    assert "Traceback" not in updated.proc.stderr
    for name, outcome in OUTCOMES.items():
        assert updated.rows[name][1] == outcome, updated.rows[name]
    detail = {name: row[-1] for name, row in updated.rows.items()}
    assert detail["flask-dirty"].startswith("uncommitted changes")
    assert detail["flask-current"] == f"already at {LATEST}"
    assert "template-gone is unreachable" in detail["flask-gone"]
    assert detail["django-edited"] == "resolve the markers in: README.md"


@pytest.mark.parametrize(
    "name",
    [n for n, outcome in OUTCOMES.items() if outcome in {"updated", "conflicts"}],
)
def test_each_update_is_one_commit_on_its_own_branch(
    updated: Updated, name: str
) -> None:
    project = updated.project(name)
    # The user's branch and working tree are as they were.
    assert git_out(project, "rev-parse", "HEAD") == updated.heads[name]
    assert git_out(project, "status", "--porcelain") == ""
    assert git_out(project, "rev-list", "--count", f"HEAD..{BRANCH}") == "1"
    on_branch = yaml.safe_load(
        git_out(project, "show", f"{BRANCH}:.copier-answers.yml")
    )
    assert on_branch["_commit"] == LATEST
    readme = git_out(project, "show", f"{BRANCH}:README.md")
    if OUTCOMES[name] == "conflicts":
        assert "<<<<<<< before updating" in readme and USER_TITLE.strip() in readme
        assert "README.md" in git_out(project, "log", "-1", "--format=%B", BRANCH)
    else:
        assert readme.startswith(f"# {name}, by the platform\n")
        assert "CONTRIBUTING.md" in git_out(project, "ls-tree", "--name-only", BRANCH)


@pytest.mark.parametrize(
    "name", [n for n, outcome in OUTCOMES.items() if outcome in {"skipped", "failed"}]
)
def test_skipped_and_failed_projects_are_untouched(updated: Updated, name: str) -> None:
    project = updated.project(name)
    assert git_out(project, "rev-parse", "HEAD") == updated.heads[name]
    assert BRANCH not in git_out(project, "branch", "--list")
    if name == "flask-dirty":
        assert (project / "README.md").read_text().endswith("Work in progress.\n")
    if name == "django-dirty":
        assert (project / "scratch.txt").read_text() == "not committed\n"


@pytest.mark.parametrize(
    "name", ["django-broken-preset", "django-preset-moved", "flask-old"]
)
def test_after_the_update_check_passes(updated: Updated, name: str) -> None:
    project = updated.project(name)
    sh("git", "checkout", "-q", BRANCH, cwd=project)
    proc = stackpick("check", project, "--json", cwd=updated.root, check=False)
    data = json.loads(proc.stdout)
    assert proc.returncode == 0, data["problems"]
    if name != "flask-old":
        assert answers(project)["database"] == "postgresql"  # the pin, applied again


def test_update_named_projects_on_a_named_branch(fleet: Fleet) -> None:
    root = fleet.work / "named-run"
    root.mkdir()
    for name in ("flask-old", "django-old"):
        shutil.copytree(fleet.project(name), root / name, symlinks=True)
    paths = [root / "flask-old", root / "django-old"]
    proc = stackpick("update", *paths, "--branch", "team/refresh", cwd=fleet.work)
    assert proc.stdout.count("updated") >= 2, proc.stdout
    for path in paths:
        assert "team/refresh" in git_out(path, "branch", "--list", "team/refresh")
    again = stackpick("update", *paths, "--branch", "team/refresh", cwd=fleet.work)
    # The branch holds this very update: said so, not just "exists".
    assert again.stdout.count("branch team/refresh updated already") == 2
    for path in paths:  # someone else's branch of that name is only "exists"
        sh("git", "branch", "-q", "-f", "team/refresh", "HEAD", cwd=path)
    third = stackpick("update", *paths, "--branch", "team/refresh", cwd=fleet.work)
    assert third.stdout.count("branch team/refresh exists already") == 2


def test_single_update_applies_the_recorded_preset(
    fleet: Fleet, tmp_path: Path
) -> None:
    project = tmp_path / "django-broken-preset"
    shutil.copytree(fleet.project("django-broken-preset"), project, symlinks=True)
    branch = git_out(project, "branch", "--show-current")
    proc = stackpick("update", project, cwd=tmp_path)
    assert proc.stdout.startswith("Updated django-broken-preset")
    assert answers(project)["database"] == "postgresql"
    assert git_out(project, "branch", "--show-current") == branch  # no new branch
