"""Copier's update in the scratch copy, and the one shape of project it cannot take.

When the user keeps a folder where the new template has a file (or a file where it
has a folder), Copier stops on an internal assertion or a "File exists". That is no
bug of the user's and no reason to give up: the clashing paths are found by a plain
render of the new version, Copier runs again on a fresh scratch copy with those paths
excluded, and each is named for the user's attention (their folder or file stays).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from stackpick.errors import Aborted, StackpickError
from stackpick.render.copy import copier_errors
from stackpick.update.scratch import render_version, scratch_checkout
from stackpick.update.tree import Tree

_GLOB_SPECIALS = re.compile(r"([\\*?\[\]!#])")


def update_scratch(
    project: Path,
    work: Path,
    head: Tree,
    current: Mapping[str, Any],
    changes: Mapping[str, str],
    vcs_ref: str | None,
) -> tuple[Path, list[str]]:
    """Run Copier's update in `work/project`; (the updated scratch, notes)."""
    scratch = work / "project"
    try:
        copier_update(scratch, changes, vcs_ref)
        return scratch, []
    except Aborted:
        raise
    except (AssertionError, StackpickError) as error:
        failure: BaseException = error
    source = str(current.get("_src_path"))
    new, _ = render_version(source, vcs_ref, {**current, **changes}, work / "clash")
    notes = clashes(head, new)
    if not notes:
        if isinstance(failure, StackpickError):
            raise failure
        raise StackpickError(
            f"copier could not update {project}: it stopped on an internal check"
        ) from None
    scratch = scratch_checkout(project, work / "project-again")
    copier_update(scratch, changes, vcs_ref, [_pattern(path) for path in notes])
    return scratch, list(notes.values())


def copier_update(
    scratch: Path,
    changes: Mapping[str, str],
    vcs_ref: str | None,
    exclude: list[str] | None = None,
) -> None:
    from copier import run_update

    with copier_errors("update", f"--vcs-ref {vcs_ref}" if vcs_ref else "the template"):
        run_update(
            dst_path=scratch,
            data=dict(changes),
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            vcs_ref=vcs_ref,
            conflict="inline",
            skip_answered=True,
            exclude=exclude or [],
        )


def clashes(head: Tree, new: Tree) -> dict[str, str]:
    """Paths where the project's folder meets the template's file, or the reverse."""
    folders = {str(p) for path in head for p in PurePosixPath(path).parents}
    found: dict[str, str] = {}
    for path in sorted(new):
        if path in folders:
            found[path] = (
                f"{path}: your folder {path}/ is where the template now has a file; "
                "kept your folder, the template's file was not written"
            )
        for parent in map(str, PurePosixPath(path).parents):
            if parent in head and parent not in found:
                found[parent] = (
                    f"{parent}: your file is where the template now has a folder; "
                    f"kept your file, the template's {parent}/ was not written"
                )
    return found


def _pattern(path: str) -> str:
    """An exclude pattern (gitignore style) matching exactly `path` from the top."""
    return "/" + _GLOB_SPECIALS.sub(r"\\\1", path)
