"""Races around `stackpick new`: the destination check and the move are one step.

Real concurrent processes: two runs into one folder (exactly one wins, the other
exits 2, never a mixed tree), and a destination that appears, gains a file, or gets a
file saved under a project's file name while a run renders or moves (exit 2, the
user's file untouched, nothing of the project left). The guard hook pauses a run at a
phase and lets it go on once the test has changed the world.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from stackpick.render import place
from support import (
    assert_one_line,
    finish,
    run_stackpick,
    snapshot,
    start_cli,
    start_paused,
)

NEW = ["new", "site", "--defaults", "--no-git", "-d", "kind=api"]


def project_name(site: Path) -> str:
    answers = yaml.safe_load((site / ".copier-answers.yml").read_text())
    return answers["project_name"]


def users_view(work: Path) -> dict:
    """The snapshot of `work` without the paused run's own staging folder and lock."""
    tree = snapshot(work) or {}
    return {rel: entry for rel, entry in tree.items() if ".stackpick" not in rel}


def no_leftovers(work: Path) -> None:
    assert not [p.name for p in work.iterdir() if "stackpick" in p.name]


@pytest.mark.slow
def test_a_second_run_into_the_same_folder_is_refused_by_the_lock(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    resume = tmp_path / "resume"
    first = start_paused(
        *NEW, "-d", "project_name=First", cwd=work, phase="render", resume=resume
    )
    second = run_stackpick(*NEW, "-d", "project_name=Second", cwd=work)
    assert second.returncode == 2, second.stderr
    assert_one_line(second.stderr, "another stackpick is already writing")
    resume.touch()
    code, _, err = finish(first)
    assert code == 0, err
    assert project_name(work / "site") == "First"
    no_leftovers(work)


@pytest.mark.slow
@pytest.mark.parametrize("dest_kind", ["absent", "empty-folder"])
def test_runs_started_together_exactly_one_wins(tmp_path: Path, dest_kind: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    if dest_kind == "empty-folder":
        (work / "site").mkdir()
    names = [f"Run {n}" for n in range(3)]
    procs = [start_cli(*NEW, "-d", f"project_name={n}", cwd=work) for n in names]
    results = [finish(p) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2, 2], results
    winner = next(n for n, (code, _, _) in zip(names, results, strict=True) if not code)
    assert project_name(work / "site") == winner
    for code, _, err in results:
        if code:
            assert_one_line(err)
    # Never a mixed tree: every file in the folder is the winner's.
    for path in (work / "site").rglob("*"):
        if path.is_file() and path.suffix in (".md", ".toml", ".yml"):
            text = path.read_text()
            assert not any(n in text for n in names if n != winner), path
    no_leftovers(work)


@pytest.mark.slow
@pytest.mark.parametrize("appears", ["empty-folder", "folder-with-a-file", "file"])
def test_a_destination_that_appears_during_the_render_is_never_written(
    tmp_path: Path, appears: str
) -> None:
    """Checked absent, then made by someone else: a plain rename(2) would replace an
    empty folder; the run must stop instead, with exit 2, leaving it as it is."""
    work = tmp_path / "work"
    work.mkdir()
    resume = tmp_path / "resume"
    proc = start_paused(*NEW, cwd=work, phase="move", resume=resume)
    site = work / "site"
    if appears == "file":
        site.write_text("a file of the user's\n")
    else:
        site.mkdir(mode=0o700)
        if appears == "folder-with-a-file":
            (site / "draft.txt").write_text("typed while stackpick ran\n")
    before = users_view(work)
    resume.touch()
    code, _, err = finish(proc)
    assert code == 2, err
    assert_one_line(err, "appeared", "nothing was written")
    assert snapshot(work) == before
    no_leftovers(work)


@pytest.mark.slow
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_an_empty_destination_that_gains_a_file_is_not_written(
    tmp_path: Path, force: bool
) -> None:
    """No fall-through into the --force path: the folder was empty at the check."""
    work = tmp_path / "work"
    (work / "site").mkdir(parents=True)
    resume = tmp_path / "resume"
    options = ["--force"] if force else []
    proc = start_paused(*NEW, *options, cwd=work, phase="render", resume=resume)
    (work / "site" / "notes.txt").write_text("saved during the render\n")
    before = users_view(work)
    resume.touch()
    code, _, err = finish(proc)
    assert code == 2, err
    assert_one_line(err, "changed", "notes.txt")
    assert snapshot(work) == before
    no_leftovers(work)


@pytest.mark.slow
def test_a_file_saved_under_a_project_name_during_the_move_is_kept(
    tmp_path: Path,
) -> None:
    """The run moves entries into the empty folder one by one; the user saves the
    README meanwhile: it is never replaced, and what was moved goes back."""
    work = tmp_path / "work"
    (work / "site").mkdir(parents=True)
    resume = tmp_path / "resume"
    proc = start_paused(*NEW, cwd=work, phase="move", resume=resume)
    assert len(list((work / "site").iterdir())) == 1  # the move has begun
    (work / "site" / "README.md").write_text("my own readme\n")
    resume.touch()
    code, _, err = finish(proc)
    assert code == 2, err
    assert_one_line(err, "README.md", "kept")
    assert sorted(os.listdir(work / "site")) == ["README.md"]
    assert (work / "site" / "README.md").read_text() == "my own readme\n"
    no_leftovers(work)


@pytest.mark.parametrize("fallback", [False, True], ids=["renameat2", "fallback"])
@pytest.mark.parametrize("target", ["empty-folder", "file"])
def test_rename_noreplace_never_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback: bool, target: str
) -> None:
    if fallback:
        monkeypatch.setattr(place, "_renameat2", None)
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("new\n")
    dst = tmp_path / "dst"
    if target == "file":
        dst.write_text("old\n")
    else:
        dst.mkdir()
    before = snapshot(tmp_path)
    with pytest.raises(FileExistsError):
        place.rename_noreplace(src, dst)
    assert snapshot(tmp_path) == before
    fresh = tmp_path / "fresh"
    place.rename_noreplace(src, fresh)
    assert (fresh / "f").read_text() == "new\n" and not src.exists()
