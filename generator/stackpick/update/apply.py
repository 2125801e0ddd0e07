"""Writing a worked-out update into the project: all of it, or none of it.

The update itself ran in a scratch copy; this is the one short step that touches the
project. Every path is checked first against what the update started from (a file
saved meanwhile stops it before anything is written), each write registers how to
undo it before it happens, and any failure or signal (Ctrl-C, SIGTERM, SIGHUP) puts
back exactly what was there, with further signals ignored until that is done.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from stackpick.errors import StackpickError
from stackpick.render.guard import checkpoint, deferred_signals, shielded
from stackpick.update.journal import discard, record
from stackpick.update.merge import Plan
from stackpick.update.tree import EXECUTABLE, Entry, read_entry, write_entry

Undo = tuple[str, Callable[[], str | None]]  # (what it puts back, how; kept)


def apply_plan(
    project: Path,
    plan: Plan,
    expected: Mapping[str, Entry | None],
    journal: Path | None = None,
) -> None:
    """Write `plan` into `project`; on any exception, restore it and re-raise.

    With `journal`, the replaced files are saved there first, for a SIGKILL.
    """
    originals: dict[str, tuple[Entry | None, int | None]] = {}
    for path in sorted(plan):
        target = project / path
        current = read_entry(target)
        if current != expected.get(path) or (
            current is None and os.path.lexists(target)
        ):
            raise StackpickError(
                f"{path} changed while the update ran; the project was not changed "
                "(commit your work and run the update again)"
            )
        perms = target.lstat().st_mode & 0o7777 if current is not None else None
        originals[path] = (current, perms)
    if journal is not None:
        record(journal, project, originals, plan)
    checkpoint("update:checked")
    undo: list[Undo] = []
    asides = [
        _aside(project / path)
        for path, (had, _) in originals.items()
        if had is not None
    ]
    try:
        for path, want in sorted(plan.items()):
            target = project / path
            original, perms = originals[path]
            if want is not None:
                _make_parents(target.parent, undo)
            _swap(path, target, original, want, perms, undo)
            if want is None:
                _remove_empty_parents(target.parent, project, undo)
            checkpoint("update:apply")
    except BaseException:
        with shielded():
            failed = _run_all(reversed(undo))
        if failed:  # the journal stays: the next update tries again
            raise StackpickError(
                "the update stopped and could not put back "
                f"{'; '.join(failed)}; nothing else of yours was touched"
            ) from None
        if journal is not None:
            discard(journal)
        raise
    if journal is not None:
        discard(journal)
    for aside in asides:  # the files replaced, all checked: git has them
        aside.unlink(missing_ok=True)


def _aside(target: Path) -> Path:
    return target.with_name(f".{target.name}.stackpick-old")


def _swap(
    path: str,
    target: Path,
    original: Entry | None,
    want: Entry | None,
    perms: int | None,
    undo: list[Undo],
) -> None:
    """Replace `target` by `want` only if it still holds `original`, race-free.

    The file is first renamed aside (atomic: whatever the user saved up to then is
    what gets checked), and the new one is put in place with a rename that refuses
    to replace, so an editor saving meanwhile stops the update instead of losing.
    """
    aside = _aside(target)
    with deferred_signals():  # moved aside and registered together
        if original is not None:
            try:
                os.rename(target, aside)
            except FileNotFoundError:
                raise _changed(path) from None
        undo.append((path, _restorer(target, aside, original, want, perms)))
    if original is not None and read_entry(aside) != original:
        raise _changed(path)
    if want is None:  # checked: git has it (and the undo its bytes); the folder
        aside.unlink()  # may now be empty and go
        return
    if perms is not None:
        perms = perms | 0o111 if want.mode == EXECUTABLE else perms & ~0o111
    try:
        write_entry(target, want, perms, replace=False)
    except FileExistsError:
        raise _changed(path) from None


def _changed(path: str) -> StackpickError:
    return StackpickError(
        f"{path} changed while the update ran; the project was not changed "
        "(commit your work and run the update again)"
    )


def _restorer(
    target: Path,
    aside: Path,
    original: Entry | None,
    want: Entry | None,
    perms: int | None,
) -> Callable[[], str | None]:
    """How to undo one swap: remove only what the update wrote, put the aside back.

    A file found at `target` that the update did not write is someone's: it stays,
    and the file that was there before is left beside it, named.
    """

    def restore() -> str | None:
        leftover = target.with_name(f".{target.name}.stackpick-new")
        if os.path.lexists(leftover):
            leftover.unlink()
        if os.path.lexists(target) and want is not None and read_entry(target) == want:
            target.unlink()
        if original is None:
            return None
        if not os.path.lexists(aside):  # a deleted file, or never moved aside
            if want is not None:
                return None
            if os.path.lexists(target):  # deleted by the update, then made anew
                return f"{target} (made while the update ran; kept)"
            write_entry(target, original, perms)
            return None
        if os.path.lexists(target):
            return f"{target} (saved while the update ran; the one before is {aside})"
        os.rename(aside, target)
        return None

    return restore


def _make_parents(folder: Path, undo: list[Undo]) -> None:
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        undo.append((f"{made}/", made.rmdir))
        made.mkdir()


def _remove_empty_parents(folder: Path, project: Path, undo: list[Undo]) -> None:
    while folder != project and not any(folder.iterdir()):
        mode = folder.stat().st_mode & 0o7777

        def remake(folder: Path = folder, mode: int = mode) -> None:
            folder.mkdir(exist_ok=True)
            os.chmod(folder, mode)

        undo.append((f"{folder}/", remake))
        folder.rmdir()
        folder = folder.parent


def _run_all(steps: Iterable[Undo]) -> list[str]:
    """Run every undo step even when one fails; name the ones that failed."""
    failed = []
    for name, step in steps:
        try:
            kept = step()
        except OSError:
            failed.append(name)
        else:
            if kept:
                failed.append(kept)
    return failed
