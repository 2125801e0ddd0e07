"""Nothing of the user's is lost by the update's own steps: the fast, in-process part.

- the apply step, with a real thread saving into the project between its check and
  its writes (the `update:checked` and `update:apply` pauses of the guard hook);
- the update journal (SIGKILL recovery) when it is empty, cut short or edited;
- a stale `new --force` staging folder holding a user's parked file;
- the marked scratch folders of updates, swept only when provably ours and dead;
- the clash of a user's folder with a template's new file, found before Copier runs.

The same classes with real processes, signals and renders are in test_update_loss.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stackpick.errors import StackpickError
from stackpick.fleet.update import NOT_RUN, STOPPED, UPDATED, FleetResult, FleetStopped
from stackpick.fleet.update import _stopped as stopped_rows
from stackpick.render.staging import sweep_stale
from stackpick.update.apply import apply_plan
from stackpick.update.clash import clashes
from stackpick.update.journal import record, recover
from stackpick.update.tree import FILE, LINK, Entry, read_entry
from stackpick.update.workfolder import MARKER, scratch_folder, sweep_stale_scratch

OLD = {"a.txt": b"a, as committed\n", "b.txt": b"b, as committed\n", "c.txt": b"c\n"}
NEW = Entry(FILE, b"the template's new text\n")
MINE = b"the user's save, made while the update ran\n"


def project_with_files(root: Path) -> Path:
    project = root / "project"
    project.mkdir()
    for name, data in OLD.items():
        (project / name).write_bytes(data)
    (project / "b.txt").chmod(0o640)
    return project


def expected_of(project: Path, plan: dict) -> dict:
    return {path: read_entry(project / path) for path in plan}


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.rglob("*") if ".stackpick-" in p.name)


def apply_with_editor(
    monkeypatch: pytest.MonkeyPatch,
    project: Path,
    plan: dict,
    phase: str,
    edit: Callable[[], None],
) -> None:
    """apply_plan paused at `phase`; a thread runs `edit`, then lets it go on."""
    resume = project.parent / "resume"
    monkeypatch.setenv("STACKPICK_TEST_PAUSE", phase)
    monkeypatch.setenv("STACKPICK_TEST_RESUME", str(resume))
    expected = expected_of(project, plan)

    def editor() -> None:
        time.sleep(0.1)  # the run is at the pause by now (or soon: it waits for us)
        edit()
        resume.touch()

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        apply_plan(project, plan, expected)
    finally:
        thread.join()


# -- the apply step and a concurrent editor --------------------------------------------


def test_a_file_saved_between_the_check_and_its_write_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_with_files(tmp_path)
    plan = {"a.txt": NEW, "b.txt": NEW}
    with pytest.raises(StackpickError, match=r"b\.txt changed while the update ran"):
        apply_with_editor(
            monkeypatch,
            project,
            plan,
            "update:checked",
            lambda: (project / "b.txt").write_bytes(MINE),
        )
    assert (project / "a.txt").read_bytes() == OLD["a.txt"]  # put back
    assert (project / "b.txt").read_bytes() == MINE  # never overwritten
    assert stat.S_IMODE((project / "b.txt").stat().st_mode) == 0o640
    assert leftovers(project) == []


def test_a_file_deleted_meanwhile_stops_the_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_with_files(tmp_path)
    plan = {"a.txt": NEW, "b.txt": None}
    with pytest.raises(StackpickError, match=r"b\.txt changed while the update ran"):
        apply_with_editor(
            monkeypatch,
            project,
            plan,
            "update:checked",
            lambda: (project / "b.txt").unlink(),
        )
    assert (project / "a.txt").read_bytes() == OLD["a.txt"]
    assert not (project / "b.txt").exists()  # the user's deletion stands
    assert leftovers(project) == []


def test_a_file_created_where_the_update_adds_one_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_with_files(tmp_path)
    plan = {"a.txt": NEW, "new/added.txt": NEW}

    def create() -> None:
        (project / "new").mkdir(exist_ok=True)
        (project / "new" / "added.txt").write_bytes(MINE)

    with pytest.raises(StackpickError, match=r"new/added\.txt changed while"):
        apply_with_editor(monkeypatch, project, plan, "update:checked", create)
    assert (project / "new" / "added.txt").read_bytes() == MINE
    assert (project / "a.txt").read_bytes() == OLD["a.txt"]
    assert leftovers(project) == []


def test_an_edit_of_a_file_the_update_wrote_is_kept_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor overwrites a.txt (already written) and saves b.txt (not yet): the
    update stops at b.txt and puts back only what it wrote; a.txt is theirs now."""
    project = project_with_files(tmp_path)
    plan = {"a.txt": NEW, "b.txt": NEW}

    def edit() -> None:
        (project / "a.txt").write_bytes(MINE)
        (project / "b.txt").write_bytes(MINE)

    with pytest.raises(StackpickError) as caught:
        apply_with_editor(monkeypatch, project, plan, "update:apply@1", edit)
    message = str(caught.value)
    assert "could not put back" in message and "a.txt (saved while" in message
    assert "git checkout" not in message  # never advice that throws work away
    assert (project / "a.txt").read_bytes() == MINE
    assert (project / "b.txt").read_bytes() == MINE
    # The committed a.txt stays beside it, named in the message.
    assert (project / ".a.txt.stackpick-old").read_bytes() == OLD["a.txt"]
    assert ".a.txt.stackpick-old" in message


def test_a_deleted_file_comes_back_when_a_later_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_with_files(tmp_path)
    (project / "a.txt").chmod(0o600)
    plan = {"a.txt": None, "b.txt": NEW}
    with pytest.raises(StackpickError, match=r"b\.txt changed while"):
        apply_with_editor(
            monkeypatch,
            project,
            plan,
            "update:checked",
            lambda: (project / "b.txt").write_bytes(MINE),
        )
    assert (project / "a.txt").read_bytes() == OLD["a.txt"]
    assert stat.S_IMODE((project / "a.txt").stat().st_mode) == 0o600
    assert (project / "b.txt").read_bytes() == MINE
    assert leftovers(project) == []


def test_an_update_without_editors_leaves_nothing_behind(tmp_path: Path) -> None:
    project = project_with_files(tmp_path)
    (project / "gone").mkdir()
    (project / "gone" / "only.txt").write_text("the folder's only file\n")
    plan = {"a.txt": NEW, "b.txt": Entry(FILE, b"b, new\n"), "c.txt": None}
    plan["d/e.txt"] = Entry(LINK, b"../a.txt")
    plan["gone/only.txt"] = None
    apply_plan(project, plan, expected_of(project, plan))
    assert not (project / "gone").exists()  # emptied by the update: removed
    assert (project / "a.txt").read_bytes() == NEW.data
    assert stat.S_IMODE((project / "b.txt").stat().st_mode) == 0o640  # kept
    assert not (project / "c.txt").exists()
    assert os.readlink(project / "d" / "e.txt") == "../a.txt"
    assert leftovers(project) == []


# -- the update journal, unreadable ----------------------------------------------------


def _journal(tmp_path: Path) -> tuple[Path, Path]:
    project = project_with_files(tmp_path)
    journal = tmp_path / "git" / "stackpick-update-undo"
    journal.parent.mkdir()
    originals = {"a.txt": (read_entry(project / "a.txt"), 0o644)}
    record(journal, project, originals, {"a.txt": NEW})
    return project, journal


CORRUPT: dict[str, Callable[[Path], None]] = {
    "empty manifest": lambda j: (j / "manifest.json").write_text(""),
    "cut short": lambda j: (j / "manifest.json").write_text('{"project": "/x", "fi'),
    "empty mapping": lambda j: (j / "manifest.json").write_text("{}"),
    "a list": lambda j: (j / "manifest.json").write_text("[1, 2]"),
    "NUL bytes": lambda j: (j / "manifest.json").write_bytes(b"\0\0\0"),
    "not UTF-8": lambda j: (j / "manifest.json").write_bytes(b'{"\xff": 1}'),
    "path outside": lambda j: _edit(j, lambda m: m["files"][0].update(path="../x")),
    "unknown mode": lambda j: _edit(
        j, lambda m: m["files"][0]["original"].update(mode=1)
    ),
    "missing blob": lambda j: (j / "blobs" / "0").unlink(),
    "manifest is a folder": lambda j: _replace_by_folder(j / "manifest.json"),
}


def _edit(journal: Path, change: Callable[[dict], None]) -> None:
    manifest = json.loads((journal / "manifest.json").read_text())
    change(manifest)
    (journal / "manifest.json").write_text(json.dumps(manifest))


def _replace_by_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize("damage", list(CORRUPT))
def test_an_unreadable_journal_is_moved_aside_not_fatal(
    tmp_path: Path, damage: str
) -> None:
    project, journal = _journal(tmp_path)
    (project / "a.txt").write_bytes(NEW.data)  # what the killed update wrote
    CORRUPT[damage](journal)
    notes = recover(journal)
    assert len(notes) == 1 and "unreadable update journal" in notes[0], notes
    assert not journal.exists()
    aside = [p for p in journal.parent.iterdir() if ".unreadable-" in p.name]
    assert len(aside) == 1 and str(aside[0]) in notes[0]
    assert recover(journal) == []  # the next run goes on as usual
    assert (project / "a.txt").read_bytes() == NEW.data  # unproven: not touched


def test_a_journal_that_is_a_file_is_moved_aside(tmp_path: Path) -> None:
    journal = tmp_path / "stackpick-update-undo"
    journal.write_text("")
    notes = recover(journal)
    assert "not a folder" in notes[0] and not journal.exists()


def test_a_file_moved_aside_by_a_killed_update_is_put_back(tmp_path: Path) -> None:
    """SIGKILL between moving b.txt aside and writing the new one: the next run puts
    the aside back; a.txt, already written, is restored from the journal."""
    project, journal = _journal(tmp_path)
    originals = {
        name: (read_entry(project / name), 0o644) for name in ("a.txt", "b.txt")
    }
    record(journal, project, originals, {"a.txt": NEW, "b.txt": NEW})
    (project / "a.txt").write_bytes(NEW.data)
    os.rename(project / "b.txt", project / ".b.txt.stackpick-old")
    notes = recover(journal)
    assert "2 file(s) it wrote were put back" in notes[0], notes
    assert (project / "a.txt").read_bytes() == OLD["a.txt"]
    assert (project / "b.txt").read_bytes() == OLD["b.txt"]
    assert leftovers(project) == []


# -- a killed `new --force` ------------------------------------------------------------


def _stale_staging(work: Path, occupied: bool) -> Path:
    site = work / "site"
    site.mkdir()
    staging = work / ".site.stackpick-k1ll3d00"
    (staging / "replaced" / "docs").mkdir(parents=True)
    (staging / "replaced" / "README.md").write_text("the user's only readme\n")
    (staging / "replaced" / "docs" / "plan.md").write_text("the user's plan\n")
    (staging / "project").mkdir()
    (staging / "project" / ".env").write_text("SECRET_KEY=fresh\n")
    if occupied:
        (site / "README.md").write_text("# the template's readme\n")
    os.utime(staging, (1, 1))
    return staging


@pytest.mark.parametrize("occupied", [True, False], ids=["replaced", "moved-out"])
def test_a_stale_staging_folder_gives_back_the_users_files(
    tmp_path: Path, occupied: bool
) -> None:
    staging = _stale_staging(tmp_path, occupied)
    notes: list[str] = []
    removed = sweep_stale(tmp_path, time.time(), notes)
    site = tmp_path / "site"
    assert removed == [staging.name] and not staging.exists()  # .env gone too
    assert (site / "README.md").read_text() == "the user's only readme\n"
    assert (site / "docs" / "plan.md").read_text() == "the user's plan\n"
    assert any("put back your README.md" in note for note in notes), notes
    template = site / "README.md.stackpick-template"
    assert template.is_file() is occupied
    if occupied:
        assert "README.md.stackpick-template" in " ".join(notes)


def test_a_parked_file_that_cannot_go_back_keeps_its_folder(tmp_path: Path) -> None:
    staging = _stale_staging(tmp_path, occupied=False)
    (tmp_path / "site" / "docs").write_text("a file where the folder was\n")
    notes: list[str] = []
    removed = sweep_stale(tmp_path, time.time(), notes)
    assert removed == [] and staging.is_dir()  # it still holds the user's plan
    assert (staging / "replaced" / "docs" / "plan.md").is_file()
    assert any("docs/plan.md is kept in" in note for note in notes), notes


# -- scratch folders -------------------------------------------------------------------


def _dead_scratch(root: Path, name: str, marker: bool = True) -> Path:
    folder = root / name
    (folder / "tmp" / "project").mkdir(parents=True)
    (folder / "tmp" / "project" / ".env").write_text("SECRET_KEY=fresh\n")
    if marker:
        (folder / MARKER).write_text("")
    return folder


def test_only_dead_marked_scratch_folders_are_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    dead = _dead_scratch(tmp_path, "stackpick-update-deadbeef")
    unmarked = _dead_scratch(tmp_path, "stackpick-update-notours1", marker=False)
    other = _dead_scratch(tmp_path, "stackpick-fetch-abcdefgh")
    (tmp_path / "stackpick-commit-linklink").symlink_to(dead)
    live = _dead_scratch(tmp_path, "stackpick-update-alive123")
    fd = os.open(live / MARKER, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a live run holds its marker
    try:
        assert sweep_stale_scratch(tmp_path) == ["stackpick-update-deadbeef"]
    finally:
        os.close(fd)
    assert not dead.exists()
    assert unmarked.is_dir() and other.is_dir() and live.is_dir()
    assert (tmp_path / "stackpick-commit-linklink").is_symlink()


def test_a_scratch_folder_is_gone_after_any_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(KeyboardInterrupt), scratch_folder("update") as work:
        assert tempfile.gettempdir() == str(work / "tmp")  # Copier's clones go here
        assert sweep_stale_scratch(tmp_path) == []  # ours, alive: never swept
        raise KeyboardInterrupt
    assert tempfile.gettempdir() == str(tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- a folder where the template now has a file ----------------------------------------


def test_clashes_between_folders_and_files_are_named() -> None:
    entry = Entry(FILE, b"x\n")
    head = {"handbook/page.md": entry, "docs": entry, "README.md": entry}
    new = {"handbook": entry, "docs/index.md": entry, "README.md": entry}
    found = clashes(head, new)
    assert sorted(found) == ["docs", "handbook"]
    assert (
        "your folder handbook/ is where the template now has a file"
        in (found["handbook"])
    )
    assert "your file is where the template now has a folder" in found["docs"]
    assert clashes(head, {"README.md": entry, "handbook/other.md": entry}) == {}


# -- a signal during a fleet run: the rows ---------------------------------------------


def test_a_stopped_fleet_run_names_every_project(tmp_path: Path) -> None:
    paths = [tmp_path / name for name in ("a", "b", "c")]
    done = FleetResult(path=paths[0], outcome=UPDATED, detail="3 files changed")
    current = FleetResult(path=paths[1], outcome="skipped")
    rows = stopped_rows(paths, [done, current], current)
    assert [(r.path.name, r.outcome) for r in rows] == [
        ("a", UPDATED), ("b", STOPPED), ("c", NOT_RUN),
    ]  # fmt: skip
    # Stopped between projects: a finished row (here a skip) keeps its reason.
    skipped = FleetResult(path=paths[0], outcome="skipped", detail="already at v1")
    between = stopped_rows(paths, [skipped], None)
    assert [(r.outcome, r.detail) for r in between] == [
        ("skipped", "already at v1"), (NOT_RUN, "left as it was"),
        (NOT_RUN, "left as it was"),
    ]  # fmt: skip
    stop = FleetStopped(15, rows)
    assert stop.exit_code == 143
    assert str(stop) == (
        "Stopped by SIGTERM; updated: a; every other project was left as it was."
    )
    nothing = FleetStopped(2, stopped_rows(paths, [], None))
    assert nothing.exit_code == 130
    assert str(nothing) == (
        "Aborted; no project was updated; every project was left as it was."
    )
    assert "nothing was written" not in str(stop)
