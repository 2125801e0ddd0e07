"""Atomic rendering: a failure anywhere in `stackpick new` leaves no trace.

stackpick renders into a temporary folder beside the destination and moves it into
place only when everything succeeded. Failures are injected at each step (inside
Copier after it wrote files, in the first commit, in the final move, a Ctrl-C during
Copier) for each kind of destination (absent, below folders that do not exist yet, an
existing empty folder, a non-empty folder with --force). Afterwards the whole working
folder must be byte-for-byte what it was: no destination, no `.DEST.stackpick-*`
folder, no parent folders made for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from stackpick import cli
from stackpick.errors import StackpickError
from stackpick.render import copy as render
from support import snapshot

DESTS = ["absent", "nested", "empty-folder", "force-into-files"]


def prepare(work: Path, kind: str) -> tuple[str, list[str]]:
    """Make the destination of `kind` in `work`; (DEST argument, extra options)."""
    if kind == "absent":
        return "site", []
    if kind == "nested":
        return "new/deeper/site", []
    site = work / "site"
    site.mkdir(mode=0o750)
    if kind == "empty-folder":
        return "site", []
    (site / "README.md").write_text("the user's readme\n")
    (site / "notes.txt").write_text("mine\n")
    (site / "docs").mkdir()
    (site / "docs" / "plan.md").write_text("plan\n")
    return "site", ["--force"]


def copier_writes_then_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    import copier

    real = copier.run_copy

    def run_copy(*args, **kwargs):
        real(*args, **kwargs)
        assert (Path(kwargs["dst_path"]) / "README.md").is_file()
        raise RuntimeError("copier blew up after writing")

    monkeypatch.setattr(copier, "run_copy", run_copy)


def copier_refuses_half_way(monkeypatch: pytest.MonkeyPatch) -> None:
    import copier
    from copier.errors import UserMessageError

    def run_copy(*args, **kwargs):
        project = Path(kwargs["dst_path"])
        (project / "half").mkdir(parents=True)
        (project / "half" / "written.txt").write_text("partial\n")
        raise UserMessageError("the template failed half-way")

    monkeypatch.setattr(copier, "run_copy", run_copy)


def ctrl_c_inside_copier(monkeypatch: pytest.MonkeyPatch) -> None:
    import copier

    real = copier.run_copy

    def run_copy(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(copier, "run_copy", run_copy)


def first_commit_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def commit(project: Path, notes: list[str]) -> bool:
        assert (project / ".copier-answers.yml").is_file()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render, "first_commit", commit)


def move_fails_half_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last step: the fifth entry moved into the destination fails."""
    from stackpick.render import place

    real = place.rename_noreplace
    calls = {"n": 0}

    def rename(src: Path, dst: Path) -> None:
        if "stackpick-" in str(src) and "stackpick-" not in str(dst):
            calls["n"] += 1
            if calls["n"] == 5:
                raise OSError(5, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(place, "rename_noreplace", rename)


FAILURES: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], int, str]] = {
    # name: (inject, exit code, text on stderr)
    "copier-crash": (copier_writes_then_crashes, 1, "internal error"),
    "copier-error": (copier_refuses_half_way, 2, "failed half-way"),
    "ctrl-c": (ctrl_c_inside_copier, 130, "Aborted; nothing was written."),
    "commit": (first_commit_fails, 2, "No space left"),
    "move": (move_fails_half_way, 2, "Input/output error"),
}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("STACKPICK_PRESET", raising=False)
    return folder


# One rename moves a whole new project into place: "move" can only fail half-way
# when files go into an existing folder.
CASES = [
    (failure, dest)
    for failure in FAILURES
    for dest in DESTS
    if failure != "move" or dest in ("empty-folder", "force-into-files")
]


@pytest.mark.parametrize(("failure", "dest_kind"), CASES)
def test_a_failure_mid_render_leaves_everything_as_it_was(
    work: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: str,
    dest_kind: str,
) -> None:
    inject, exit_code, message = FAILURES[failure]
    dest, options = prepare(work, dest_kind)
    before = snapshot(work)
    inject(monkeypatch)
    git = [] if failure == "commit" else ["--no-git"]
    code = cli.main(
        ["new", dest, "--defaults", "--no-lock", "-d", "kind=api", *git, *options]
    )
    err = capsys.readouterr().err
    assert code == exit_code, err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert snapshot(work) == before
    assert not list(work.rglob("*.stackpick-*"))


def test_after_render_hook_failure(work: Path) -> None:
    """The API: a failing `after_render` hook leaves neither project nor temp folder."""
    seen: list[Path] = []

    def hook(project: Path) -> None:
        seen.append(project)
        assert (project / "README.md").is_file()
        raise StackpickError("the hook refused")

    answers = _answers()
    with pytest.raises(StackpickError, match="the hook refused"):
        render.render(work / "site", answers, git=False, after_render=hook)
    assert seen and not seen[0].exists()
    assert list(work.iterdir()) == []


def test_success_after_a_failure_in_the_same_place(work: Path, monkeypatch) -> None:
    """A failed attempt leaves nothing in the way of the next one."""
    first_commit_fails(monkeypatch)
    assert cli.main(["new", "site", "--defaults", "--no-lock"]) == 2
    monkeypatch.undo()
    monkeypatch.chdir(work)
    assert cli.main(["new", "site", "--defaults", "--no-git", "--no-lock"]) == 0
    assert (work / "site" / ".copier-answers.yml").is_file()
    assert [p.name for p in work.iterdir()] == ["site"]


def test_an_existing_empty_folder_is_kept_itself(work: Path) -> None:
    """Rendering into an empty folder fills it; the folder (inode, mode) stays."""
    site = work / "site"
    site.mkdir(mode=0o750)
    inode = site.stat().st_ino
    assert cli.main(["new", "site", "--defaults", "--no-git", "--no-lock"]) == 0
    assert site.stat().st_ino == inode
    assert oct(site.stat().st_mode & 0o777) == oct(0o750)
    assert (site / "README.md").is_file()
    assert [p.name for p in work.iterdir()] == ["site"]


def test_nothing_is_written_before_the_answers_are_complete(work: Path) -> None:
    """Bad answers are refused before any folder is made, even nested ones."""
    assert cli.main(["new", "a/b/site", "--defaults", "-d", "team_size=0"]) == 2
    assert list(work.iterdir()) == []


def _answers() -> dict:
    from stackpick.decide.answers import Request, gather

    return gather(
        cli._questionnaire(), Request(data=["kind=api"]), with_secret=True
    ).answers


def test_the_temporary_folder_is_beside_the_destination(work: Path) -> None:
    """Same filesystem as the destination, so the final move is one rename."""
    seen: list[Path] = []
    render.render(work / "site", _answers(), git=False, after_render=seen.append)
    assert seen[0].parent.parent == work
    assert seen[0].parent.name.startswith(".site.stackpick-")
    assert not seen[0].parent.exists()
    assert os.path.isdir(work / "site")
