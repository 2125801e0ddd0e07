"""`stackpick new` under real signals at each phase, and after a SIGKILL.

SIGTERM (a supervisor, `timeout`, a container stop) and SIGHUP (a closed terminal)
are handled like Ctrl-C: the run stops with 128 + the signal number and one line, the
staging folder beside the destination (which holds the new project's `.env` secret)
is gone, and the destination is as it was, byte for byte, even when a `--force`
merge had already parked a user's file. The guard hook (`STACKPICK_TEST_PAUSE`)
stops the real process at a phase; the test sends the real signal there.

SIGKILL cannot be handled: the next run in the same parent folder sweeps the staging
folder the dead run left, says so in one line, and leaves a live run's folder alone.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from support import (
    assert_one_line,
    finish,
    run_stackpick,
    snapshot,
    start_cli,
    start_paused,
)

pytestmark = pytest.mark.slow

NEW = ["new", "site", "--defaults", "-d", "kind=api"]


def prepare(work: Path, kind: str) -> list[str]:
    """Make the destination of `kind` in `work`; the extra options it needs."""
    site = work / "site"
    if kind == "absent":
        return []
    site.mkdir(mode=0o750)
    if kind == "empty-folder":
        return []
    (site / "README.md").write_text("the user's readme\n")
    (site / "README.md").chmod(0o640)
    (site / "pyproject.toml").write_bytes(b"[tool.mine]\nx = 1\n\x00binary tail")
    (site / "notes.txt").write_text("mine\n")
    (site / "docs").mkdir()
    (site / "docs" / "plan.md").write_text("plan\n")
    (work / "outside.txt").write_text("outside\n")
    (site / ".gitignore").symlink_to(work / "outside.txt")
    return ["--force"]


# (phase, destination): every phase, with each kind of destination it applies to.
CASES = [
    ("render", "absent"),
    ("render", "force-into-files"),
    ("git", "absent"),
    ("git", "empty-folder"),
    ("move", "absent"),
    ("move", "empty-folder"),
    ("merge", "force-into-files"),
]
SIGNALS = [signal.SIGTERM, signal.SIGHUP]


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize(("phase", "dest_kind"), CASES)
def test_a_signal_at_each_phase_leaves_everything_as_it_was(
    tmp_path: Path, phase: str, dest_kind: str, signum: signal.Signals
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    options = prepare(work, dest_kind)
    git = [] if phase == "git" else ["--no-git"]
    before = snapshot(work)
    proc = start_paused(*NEW, *git, *options, cwd=work, phase=phase)
    site = work / "site"
    # The pause is inside the phase: the project, or its first pieces, are there.
    staging = [p for p in work.iterdir() if ".stackpick-" in p.name]
    assert len(staging) == 1, list(work.iterdir())
    if phase == "git":
        assert (staging[0] / "project" / ".env").is_file()  # the secret, staged
    if phase == "move" and dest_kind == "empty-folder":
        assert len(list(site.iterdir())) == 1  # one entry moved in already
    if phase == "merge":
        assert not (site / ".gitignore").is_symlink()  # the user's link is parked
    proc.send_signal(signum)
    code, _, err = finish(proc)
    assert code == 128 + signum, err
    assert_one_line(err, f"Stopped by {signum.name}", "nothing was written")
    assert snapshot(work) == before
    assert not [p for p in work.iterdir() if "stackpick" in p.name]


def test_a_second_sigterm_during_the_clean_up_changes_nothing(tmp_path: Path) -> None:
    """Signals are ignored once the clean-up runs: it is never cut short."""
    work = tmp_path / "work"
    work.mkdir()
    options = prepare(work, "force-into-files")
    before = snapshot(work)
    proc = start_paused(*NEW, "--no-git", *options, cwd=work, phase="merge")
    for _ in range(5):
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGHUP)
    code, _, err = finish(proc)
    assert code in (128 + signal.SIGTERM, 128 + signal.SIGHUP), err
    assert_one_line(err, "nothing was written")
    assert snapshot(work) == before


def _killed_run(work: Path, dest: str) -> Path:
    """A run killed with SIGKILL after rendering; the staging folder it left."""
    proc = start_paused("new", dest, "--defaults", cwd=work, phase="git")
    proc.kill()
    proc.wait(timeout=30)
    left = [p for p in work.iterdir() if p.name.startswith(f".{dest}.stackpick-")]
    assert len(left) == 1 and (left[0] / "project" / ".env").is_file()
    return left[0]


def test_the_next_run_sweeps_what_a_killed_run_left(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    left = _killed_run(work, "site")
    assert (work / ".site.stackpick.lock").exists()  # the dead run's lock file
    time.sleep(0.05)  # the next run starts strictly after the folder was made
    proc = run_stackpick("new", "other", "--defaults", "--no-git", cwd=work)
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stdout.splitlines() if "staging folder" in line]
    assert len(notes) == 1, proc.stdout
    assert left.name in notes[0] and "interrupted" in notes[0]
    assert sorted(p.name for p in work.iterdir()) == ["other"]
    # And the destination the dead run wanted is free.
    assert run_stackpick(*NEW, "--no-git", cwd=work).returncode == 0


def test_a_live_runs_staging_folder_is_never_swept(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    resume = tmp_path / "resume"
    live = start_paused("new", "a", "--defaults", cwd=work, phase="git", resume=resume)
    staged = [p for p in work.iterdir() if p.name.startswith(".a.stackpick-")]
    assert len(staged) == 1
    os.utime(staged[0], (1, 1))  # looks ancient, but its run holds the lock
    other = run_stackpick("new", "b", "--defaults", "--no-git", cwd=work)
    assert other.returncode == 0, other.stderr
    assert "staging folder" not in other.stdout
    assert staged[0].is_dir()
    resume.touch()
    code, _, err = finish(live)
    assert code == 0, err
    assert sorted(p.name for p in work.iterdir()) == ["a", "b"]
    assert (work / "a" / ".git").is_dir()


def test_only_folders_older_than_the_run_are_swept(tmp_path: Path) -> None:
    """An unlocked staging-like folder made after the run started is not touched."""
    work = tmp_path / "work"
    work.mkdir()
    future = work / ".x.stackpick-future12"  # named like a real one
    future.mkdir()
    (future / "keep.txt").write_text("not stale yet\n")
    later = time.time() + 3600
    os.utime(future, (later, later))
    proc = run_stackpick("new", "site", "--defaults", "--no-git", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert (future / "keep.txt").read_text() == "not stale yet\n"
    assert "staging folder" not in proc.stdout


def test_sigterm_at_the_prompt_stage_writes_nothing(tmp_path: Path) -> None:
    """Before any folder exists (the answers are being gathered) it is the same."""
    work = tmp_path / "work"
    work.mkdir()
    proc = start_cli("new", "deep/er/site", "--defaults", cwd=work)
    proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc)
    # Either Python had not installed the handler yet (killed by the signal), or
    # stackpick stopped itself: never a traceback, never a folder.
    assert code in (-signal.SIGTERM, 128 + signal.SIGTERM), err
    assert "Traceback" not in err
    assert list(work.iterdir()) == []


def test_a_signal_copier_catches_still_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Copier turns any exception inside a validator into a "validation error"; a
    SIGTERM arriving right there must still end the run as SIGTERM (143)."""
    from copier._user_data import Question

    from stackpick.cli import main

    real = Question.render_value
    sent = []

    def render_value(self, value, *args, **kwargs):
        if not sent and self.validator and value is self.validator:
            sent.append(True)  # inside validate_answer's `except Exception`
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        return real(self, value, *args, **kwargs)

    monkeypatch.setattr(Question, "render_value", render_value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STACKPICK_PRESET", raising=False)
    code = main(["new", "site", "--defaults", "--no-git", "--no-lock"])
    err = capsys.readouterr().err
    assert sent and code == 128 + signal.SIGTERM, err
    assert_one_line(err, "Stopped by SIGTERM")
    assert list(tmp_path.iterdir()) == []
