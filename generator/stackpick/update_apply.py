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
from stackpick.guard import checkpoint, shielded
from stackpick.update_journal import discard, record
from stackpick.update_merge import Plan
from stackpick.update_tree import Entry, read_entry, write_entry

Undo = tuple[str, Callable[[], None]]  # (what it puts back, how)


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
    undo: list[Undo] = []
    try:
        for path, want in sorted(plan.items()):
            target = project / path
            original, perms = originals[path]
            if want is None:
                undo.append((path, _restorer(target, original, perms)))
                target.unlink()
                _remove_empty_parents(target.parent, project, undo)
            else:
                _make_parents(target.parent, undo)
                undo.append((path, _restorer(target, original, perms)))
                write_entry(target, want)
            checkpoint("update:apply")
    except BaseException:
        with shielded():
            failed = _run_all(reversed(undo))
        if failed:  # the journal stays: the next update tries again
            raise StackpickError(
                "the update stopped and could not put back "
                f"{', '.join(failed)}: restore with `git checkout -- .`"
            ) from None
        if journal is not None:
            discard(journal)
        raise
    if journal is not None:
        discard(journal)


def _restorer(
    target: Path, original: Entry | None, perms: int | None
) -> Callable[[], None]:
    def restore() -> None:
        leftover = target.with_name(f".{target.name}.stackpick-new")
        if os.path.lexists(leftover):
            leftover.unlink()
        if original is None:
            if os.path.lexists(target):
                target.unlink()
        elif read_entry(target) != original:
            write_entry(target, original, perms)

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
            step()
        except OSError:
            failed.append(name)
    return failed
