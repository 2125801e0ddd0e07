"""Private temporary folders for an update: marked, locked, always removed, swept.

An update works on copies (a scratch checkout, renders of two template versions,
Copier's clones of the template) that hold a fresh `.env` secret each. Those live in
one folder per run, `stackpick-update-*` in the system's temporary folder, and
Copier's own temporary files go into it too (`tempfile.tempdir`, for the run). The
folder is removed on every way out, a signal included. A SIGKILL cannot be handled:
the folder holds a marker file that its run keeps locked (`flock`, dropped by the
kernel when the process dies), so the next run removes folders whose marker is
unlocked, and nothing else: a folder without the marker is not ours.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from stackpick.render.guard import deferred_signals

MARKER = ".stackpick-scratch"
NAME = re.compile(r"^stackpick-(update|commit)-[a-z0-9_]{8}$")


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A new marked folder (`prefix` is "update" or "commit"); gone afterwards."""
    sweep_stale_scratch()
    path: Path | None = None
    fd: int | None = None
    previous = tempfile.tempdir
    try:
        with deferred_signals():  # made, marked and locked together, or not at all
            path = Path(tempfile.mkdtemp(prefix=f"stackpick-{prefix}-"))
            fd = _locked_marker(path)
        (path / "tmp").mkdir()
        tempfile.tempdir = str(path / "tmp")  # Copier's clones and renders
        yield path
    finally:
        tempfile.tempdir = previous
        with deferred_signals():
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
            if fd is not None:
                os.close(fd)


def _locked_marker(folder: Path) -> int:
    """The marker appears already locked: a sweeper never sees it unlocked."""
    draft = folder / f"{MARKER}.draft"
    fd = os.open(draft, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(draft, folder / MARKER)
    return fd


def sweep_stale_scratch(root: Path | None = None) -> list[str]:
    """Remove the scratch folders of dead runs in `root` (the temporary folder)."""
    root = Path(root or tempfile.gettempdir())
    removed: list[str] = []
    try:
        candidates = [e for e in os.scandir(root) if NAME.match(e.name)]
    except OSError:
        return removed
    for entry in candidates:
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            fd = os.open(
                Path(entry.path, MARKER), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
            )
        except OSError:
            continue  # no marker: not ours
        try:
            with suppress(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.name)
        finally:
            os.close(fd)
    return removed
