"""Staging folders beside the destination: made locked, removed always, swept if stale.

A project is rendered into `.DEST.stackpick-XXXX` beside its destination (same
filesystem, so moving it in is a rename). The run holds an flock on that folder for
its whole life: the kernel drops it when the process dies, even by SIGKILL, so a later
run can tell a folder left by a dead run (unlocked) from one a live run is filling
(locked) and sweep only the former. Such a folder can hold a new project's `.env`
secret or a user's parked file, so leaving it is not an option.
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

# mkdtemp's eight random characters: not the update's `.NAME.stackpick-new` files.
STAGING_NAME = re.compile(r"^\..+\.stackpick-[a-z0-9_]{8}$")
LOCK_NAME = re.compile(r"^\..+\.stackpick\.lock$")


def lock_file(dest: Path) -> Path:
    """The lock file beside `dest` that every run writing `dest` holds."""
    return dest.parent / f".{dest.name}.stackpick.lock"


@contextmanager
def staging_folder(anchor: Path, name: str) -> Iterator[Path]:
    """A new, locked staging folder in `anchor`; removed on the way out, whatever."""
    path: Path | None = None
    fd: int | None = None
    try:
        with deferred_signals():  # made and locked together, or not at all
            path = Path(tempfile.mkdtemp(prefix=f".{name}.stackpick-", dir=anchor))
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield path
    finally:
        with deferred_signals():
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
            if fd is not None:
                os.close(fd)


def sweep_stale(
    anchor: Path, started: float, restored: list[str] | None = None
) -> list[str]:
    """Remove staging folders (and lock files) of dead runs; the names removed.

    Only entries older than this run (`started`, a time.time()) whose lock nobody
    holds: a live run keeps its folder locked until it is gone. A user's file that a
    dead `new --force` had parked there is put back first (`restored` gets a line).
    """
    removed: list[str] = []
    try:
        candidates = list(os.scandir(anchor))
    except OSError:
        return removed
    for entry in candidates:
        staging = STAGING_NAME.match(entry.name) and entry.is_dir(follow_symlinks=False)
        lock = LOCK_NAME.match(entry.name) and entry.is_file(follow_symlinks=False)
        if not (staging or lock):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime >= started:
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live run's
            if staging:
                notes = put_back_parked(Path(entry.path))
                if restored is not None:
                    restored += notes
                if any("kept in" in note for note in notes):
                    continue  # it still holds a user's file: never removed
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.name)
            else:
                with suppress(FileNotFoundError):
                    os.unlink(entry.path)
        finally:
            os.close(fd)
    return sorted(removed)


def put_back_parked(staging: Path) -> list[str]:
    """Move the user's files a killed `--force` merge parked back to their places.

    The folder is `.DEST.stackpick-XXXXXXXX` beside DEST; a parked file is
    `replaced/REL`, from DEST/REL. A file at DEST/REL now (the template's, which
    replaced it) is not deleted: it is renamed to REL.stackpick-template beside it.
    """
    parking = staging / "replaced"
    if not parking.is_dir() or parking.is_symlink():
        return []
    dest = staging.parent / staging.name[1 : -len(".stackpick-12345678")]
    notes = []
    for folder, dirs, files in os.walk(parking):
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        for name in sorted([*files, *links]):
            parked = Path(folder, name)
            rel = parked.relative_to(parking)
            notes.append(_put_back_one(parked, dest / rel, rel.as_posix()))
    return notes


def _put_back_one(parked: Path, target: Path, rel: str) -> str:
    from stackpick.render.place import rename_noreplace

    aside = target.with_name(f"{target.name}.stackpick-template")
    try:
        with deferred_signals():
            if os.path.lexists(target):
                rename_noreplace(target, aside)
                rename_noreplace(parked, target)
                return (
                    f"put back your {rel}, replaced by an interrupted --force; "
                    f"the template's version is {aside.name}"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            rename_noreplace(parked, target)
            return f"put back your {rel}, replaced by an interrupted --force"
    except OSError as error:
        return f"your {rel} is kept in {parked} ({error.strerror or error})"
