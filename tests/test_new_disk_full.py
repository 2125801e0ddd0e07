"""A disk that fills up under `stackpick new`: a real, small tmpfs, really full.

The run is paused at a phase (guard hook), the test fills the filesystem, and the run
goes on: `git init`, the first commit or the render itself meets ENOSPC. It must stop
with exit 2 and one line saying the disk is full, and leave nothing: no half `.git`,
no staging folder, no lock file, the folder exactly as it was once the filler is gone.
Needs root to mount a tmpfs; skipped with the reason otherwise.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import (
    assert_one_line,
    finish,
    require,
    run_stackpick,
    snapshot,
    start_paused,
    unavailable,
)

pytestmark = pytest.mark.slow

NEW = ["new", "site", "--defaults", "-d", "kind=api"]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs of its own, unmounted afterwards."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    tools = require("tmpfs")
    if os.geteuid() != 0:
        unavailable("tmpfs", "mounting a tmpfs needs root")
    mount = tools["mount"]
    proc = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        unavailable("tmpfs", f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        work = mountpoint / "work"
        work.mkdir()
        yield work
    finally:
        subprocess.run([tools["umount"], "-l", str(mountpoint)], check=False)


def free_bytes(path: Path) -> int:
    info = os.statvfs(path)
    return info.f_bavail * info.f_frsize


def fill(path: Path, leave: int = 0) -> Path:
    """Fill the filesystem of `path` until only `leave` bytes are free (or none)."""
    filler = path.parent / f"filler-{uuid.uuid4().hex}"
    chunk = b"\0" * 65536
    with filler.open("wb") as out:
        try:
            while free_bytes(path) > leave:
                out.write(chunk[: max(4096, min(len(chunk), free_bytes(path) - leave))])
                out.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def git_init_footprint(disk: Path) -> int:
    """Bytes an empty `git init` takes on this filesystem (hooks, config, ...)."""
    scratch = disk.parent / "scratch"
    before = free_bytes(disk)
    subprocess.run(["git", "init", "-q", str(scratch)], check=True)
    used = before - free_bytes(disk)
    shutil.rmtree(scratch)
    return used


@pytest.mark.parametrize("step", ["git init", "first commit"])
def test_a_disk_filling_up_before_git_leaves_no_half_repository(
    disk: Path, tmp_path: Path, step: str
) -> None:
    leave = 0 if step == "git init" else git_init_footprint(disk) + 16 * 1024
    before = snapshot(disk)
    resume = tmp_path / "resume"
    proc = start_paused(*NEW, cwd=disk, phase="git", resume=resume)
    filler = fill(disk, leave)
    resume.touch()
    code, out, err = finish(proc)
    filler.unlink()
    assert code == 2, err + out
    assert_one_line(err, "the disk is full", "nothing was written")
    if step == "first commit":
        assert "git init" not in err  # the repository was made, then the commit failed
    assert snapshot(disk) == before
    assert not list(disk.parent.glob("**/.git"))


def test_a_full_disk_during_the_render_writes_nothing(disk: Path) -> None:
    before = snapshot(disk)
    filler = fill(disk)
    proc = run_stackpick(*NEW, "--no-git", cwd=disk)
    filler.unlink()
    assert proc.returncode == 2, proc.stderr
    assert_one_line(proc.stderr, "No space left on device")
    assert snapshot(disk) == before


def test_after_the_disk_is_freed_the_same_run_succeeds(disk: Path) -> None:
    filler = fill(disk)
    assert run_stackpick(*NEW, cwd=disk).returncode == 2
    filler.unlink()
    proc = run_stackpick(*NEW, cwd=disk)
    assert proc.returncode == 0, proc.stderr
    assert (disk / "site" / ".git").is_dir()
    assert sorted(p.name for p in disk.iterdir()) == ["site"]
