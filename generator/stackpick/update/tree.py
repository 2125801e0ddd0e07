"""File trees as plain data, so an update can be compared and applied path by path.

An update is worked out on copies (a scratch checkout, renders of the old and new
template) and only then written to the project. Comparing those copies needs one
shape for "what is at this path": its kind (file, executable, link) and its bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

FILE, EXECUTABLE, LINK = 0o100644, 0o100755, 0o120000


@dataclass(frozen=True)
class Entry:
    """One file as git sees it: a mode (file, executable, link) and its bytes."""

    mode: int
    data: bytes

    @property
    def binary(self) -> bool:
        """Git's own test: a NUL byte in the first 8000 bytes."""
        return b"\0" in self.data[:8000]


Tree = dict[str, Entry]


def read_entry(path: Path) -> Entry | None:
    """What is at `path` (never following a link), or None when nothing or a folder."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(info.st_mode):
        return Entry(LINK, os.fsencode(os.readlink(path)))
    if not stat.S_ISREG(info.st_mode):
        return None
    mode = EXECUTABLE if info.st_mode & 0o111 else FILE
    return Entry(mode, path.read_bytes())


def read_tree(root: Path, skip: tuple[str, ...] = (".git",)) -> Tree:
    """Every file under `root` by its relative POSIX path (links are not followed)."""
    tree: Tree = {}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        rel_base = base.relative_to(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not (rel_base == Path(".") and d in skip) and not (base / d).is_symlink()
        )
        links = [d for d in os.listdir(base) if (base / d).is_symlink()]
        for name in sorted({*files, *links}):
            entry = read_entry(base / name)
            if entry is not None:
                tree[(rel_base / name).as_posix()] = entry
    return tree


def write_entry(
    path: Path, entry: Entry, perms: int | None = None, *, replace: bool = True
) -> None:
    """Put `entry` at `path` in one rename, so a reader never sees half a file.

    A replaced file keeps the user's permissions (only the executable bits follow the
    entry); `perms` sets them exactly (used to put a file back as it was). Without
    `replace`, FileExistsError if anything is at `path` by then (a user's save).
    """
    move = os.replace if replace else _rename_noreplace
    temporary = path.with_name(f".{path.name}.stackpick-new")
    if os.path.lexists(temporary):
        temporary.unlink()
    if entry.mode == LINK:
        os.symlink(os.fsdecode(entry.data), temporary)
        _move(move, temporary, path)
        return
    if perms is None and path.is_file() and not path.is_symlink():
        previous = path.stat().st_mode & 0o7777
        perms = previous | 0o111 if entry.mode == EXECUTABLE else previous & ~0o111
    temporary.write_bytes(entry.data)
    if perms is not None:
        os.chmod(temporary, perms)
    elif entry.mode == EXECUTABLE:
        os.chmod(temporary, temporary.stat().st_mode | 0o111)
    _move(move, temporary, path)


def _rename_noreplace(src: Path, dst: Path) -> None:
    from stackpick.render.place import rename_noreplace

    rename_noreplace(src, dst)


def _move(move: Callable[[Path, Path], None], temporary: Path, path: Path) -> None:
    try:
        move(temporary, path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise
