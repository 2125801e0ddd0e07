"""Moving a finished project into its destination without ever replacing a user's file.

Three cases, decided by what the destination held when it was checked under the lock:

- absent: one rename that fails if anything appeared there meanwhile (`renameat2`
  with RENAME_NOREPLACE: a plain rename(2) would silently replace an empty folder);
- an empty folder: its entries are moved in one by one, each refusing to replace;
  if the folder gained a file of its own since the check, everything is moved back;
- a non-empty folder with `--force`: a merge. Same-named files are parked in the
  staging folder and put back if anything fails or a signal arrives; each park and its
  journal entry happen with signals held back, so the journal never lies. Git-ignored
  files of the user's that hold data (`.env`, a local database) are never replaced.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from stackpick.errors import StackpickError
from stackpick.render.guard import checkpoint, deferred_signals

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def _load_renameat2() -> Callable[..., int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_renameat2 = _load_renameat2()


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename `src` to `dst`; FileExistsError if `dst` exists, even an empty folder."""
    if _renameat2 is not None:
        src_b, dst_b = os.fsencode(src), os.fsencode(dst)
        if _renameat2(_AT_FDCWD, src_b, _AT_FDCWD, dst_b, _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):  # EINVAL: no flag support here
            raise OSError(code, os.strerror(code), str(src), None, str(dst))
    # Without renameat2: claim the name exclusively first, then fill it.
    if src.is_dir() and not src.is_symlink():
        os.mkdir(dst)  # FileExistsError if anything is there
        try:
            os.rename(src, dst)  # onto the empty folder we just made
        except BaseException:
            os.rmdir(dst)
            raise
    else:
        os.link(src, dst, follow_symlinks=False)  # FileExistsError if taken
        os.unlink(src)


def entries(folder: Path) -> set[str]:
    return {entry.name for entry in os.scandir(folder)}


def move_into_place(
    project: Path,
    dest: Path,
    before: set[str] | None,
    parking: Path,
    keep: Callable[[str, Path], bool],
) -> list[str]:
    """Move `project` into `dest` given what `dest` held at the check (None: absent).

    `parking` is a folder on the same filesystem for replaced files; `keep(rel,
    target)` says whether an existing file must stay the user's. Returns what was kept.
    """
    if before is None:
        checkpoint("move")
        try:
            rename_noreplace(project, dest)
        except FileExistsError:
            raise StackpickError(
                f"{dest} appeared while the project was being rendered; "
                "nothing was written"
            ) from None
        return []
    now = entries(dest)
    if now != before:
        raise StackpickError(
            f"{dest} changed while the project was being rendered "
            f"({', '.join(sorted(now ^ before))}); nothing was written"
        )
    if not before:
        _fill_empty(project, dest)
        return []
    return _Merge(project, dest, parking, keep).run()


def _fill_empty(project: Path, dest: Path) -> None:
    """Move the project's entries into the empty `dest` (the folder itself stays)."""
    names = sorted(entries(project))
    moved: list[str] = []
    try:
        for number, name in enumerate(names):
            if number == 1:
                checkpoint("move")
            with deferred_signals():
                try:
                    rename_noreplace(project / name, dest / name)
                except FileExistsError:
                    raise StackpickError(
                        f"{dest / name} was saved while the project was being "
                        "rendered; it was kept and nothing was written"
                    ) from None
                moved.append(name)
        extra = entries(dest) - set(names)
        if extra:
            raise StackpickError(
                f"{dest} gained files while the project was moved in "
                f"({', '.join(sorted(extra))}); nothing was written"
            )
    except BaseException:
        with deferred_signals():
            for name in reversed(moved):
                os.rename(dest / name, project / name)
        raise


class _Merge:
    """`--force` into a non-empty folder, with a journal to undo every step."""

    def __init__(
        self,
        project: Path,
        dest: Path,
        parking: Path,
        keep: Callable[[str, Path], bool],
    ) -> None:
        self.project, self.dest, self.parking, self.keep = project, dest, parking, keep
        # ("dir", made) or ("file", placed, came_from, parked_original_or_None)
        self.journal: list[tuple[str, Path, Path | None, Path | None]] = []
        self.kept: list[str] = []
        self.replaced = 0

    def run(self) -> list[str]:
        items = sorted(self.project.rglob("*"))
        self._check_clashes(items)
        try:
            for item in items:
                self._place(item)
        except BaseException:
            self._undo()
            raise
        return self.kept

    def _check_clashes(self, items: list[Path]) -> None:
        """Every clash is found before anything moves, so a refusal changes nothing."""
        for item in items:
            target = self.dest / item.relative_to(self.project)
            if item.is_dir() and target.is_symlink():
                raise StackpickError(
                    f"{target} is a link where the project has a folder"
                )
            if item.is_dir() and target.exists() and not target.is_dir():
                raise StackpickError(
                    f"{target} is a file where the project has a folder"
                )
            if not item.is_dir() and target.is_dir() and not target.is_symlink():
                raise StackpickError(
                    f"{target} is a folder where the project has a file"
                )

    def _place(self, item: Path) -> None:
        rel = item.relative_to(self.project)
        target = self.dest / rel
        if item.is_dir() and not item.is_symlink():
            if not target.is_dir():
                with deferred_signals():
                    target.mkdir()
                    self.journal.append(("dir", target, None, None))
            return
        if os.path.lexists(target) and self.keep(rel.as_posix(), target):
            self.kept.append(rel.as_posix())
            return
        with deferred_signals():
            parked = None
            if os.path.lexists(target):  # a link is replaced itself, never followed
                parked = self.parking / rel
                parked.parent.mkdir(parents=True, exist_ok=True)
                _move(target, parked)
                self.journal.append(("file", target, item, parked))
            try:
                rename_noreplace(item, target)
            except FileExistsError:
                raise StackpickError(
                    f"{target} was saved while the project was being merged in; "
                    "nothing was written"
                ) from None
            if parked is None:
                self.journal.append(("file", target, item, None))
        if parked is not None:
            self.replaced += 1
            if self.replaced == 1:
                checkpoint("merge")  # a user's file is parked: the riskiest moment

    def _undo(self) -> None:
        """Put every parked file back and remove what was added (innermost first)."""
        with deferred_signals():
            for kind, target, came_from, parked in reversed(self.journal):
                if kind == "dir":
                    with suppress(OSError):  # someone put a file in it: keep it
                        target.rmdir()
                    continue
                assert came_from is not None
                if os.path.lexists(target) and not os.path.lexists(came_from):
                    _move(target, came_from)
                if parked is not None and os.path.lexists(parked):
                    _move(parked, target)


def _move(src: Path, dst: Path) -> None:
    """A rename; across filesystems (a destination that is a mount point), a move."""
    try:
        os.rename(src, dst)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        shutil.move(src, dst)
