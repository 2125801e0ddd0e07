"""What an update may write, and what it must leave to the user.

Copier's update runs in a scratch copy; this module compares its result with the
project's committed files (ours), a fresh render of the old template version (base)
and of the new one (theirs), and decides path by path. Copier carries text edits over
with a three-way merge, but it drops a user's work in a few places, handled here:
- the template deletes or renames a file the user edited (copier deletes it);
- both sides changed a binary file (a text merge cannot hold both);
- the template adds a file where the user keeps a git-ignored file of their own
  (copier overwrites it, secrets and all);
- a folder the template dropped (a renamed package) still holds the user's files.
In each case the user's version stays and the file is listed for their attention.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from stackpick.update.tree import LINK, Entry, Tree, read_entry

Plan = dict[str, Entry | None]  # path -> what the update writes there (None: delete)


@dataclass
class Merge:
    plan: Plan = field(default_factory=dict)
    attention: list[str] = field(default_factory=list)


def reconcile(
    project: Path,
    *,
    head: Tree,
    result: Tree,
    old: Tree,
    new: Tree,
    skip_if_exists: Callable[[str], bool],
    answers_file: str,
) -> Merge:
    """The writes that carry the update over without losing a user's change."""
    final = dict(result)
    merge = Merge()
    renamed = _renames(old, new)
    for path, ours in head.items():
        if path == answers_file:
            continue
        reason = _keep_ours(ours, old.get(path), new.get(path), result.get(path))
        if reason is None:
            link = _link_kept(ours, old.get(path), new.get(path), result.get(path))
            if link:
                merge.attention.append(f"{path}: {link}")
            continue
        final[path] = ours
        if reason == "deleted" and path in renamed:
            reason = f"you edited it and the template renamed it to {renamed[path]}"
        elif reason == "deleted":
            reason = "you edited it and the template deleted it"
        if reason:
            merge.attention.append(f"{path}: {reason}; kept your version")
    for path in sorted(set(head) | set(final)):
        want, had = final.get(path), head.get(path)
        if want == had:
            continue
        if had is None and want is not None:
            problem = _blocked(project, path, want, skip_if_exists)
            if problem is not None:
                if problem:
                    merge.attention.append(f"{path}: {problem}")
                continue
        merge.plan[path] = want
    merge.attention += _left_in_dropped_folders(head, final, old, new, renamed)
    return merge


def _keep_ours(
    ours: Entry, base: Entry | None, theirs: Entry | None, result: Entry | None
) -> str | None:
    """Why the committed version must stay ('' quietly), or None to take the result."""
    if base is not None and ours == base:
        return None  # the user did not change it: whatever the template did stands
    if result is None:
        return "deleted" if base is not None else "the update removed your own file"
    if result == ours:
        return None
    if theirs is None or theirs in (base, ours):
        return ""  # only the user changed it: their version is the right result
    if ours.binary or theirs.binary or (base is not None and base.binary):
        return "you and the template both changed this binary file"
    if result == theirs:
        return "your edits did not survive the merge (the template changed it too)"
    return None  # a text merge (maybe with conflict markers): copier's result stands


def _link_kept(
    ours: Entry, base: Entry | None, theirs: Entry | None, result: Entry | None
) -> str | None:
    """Why a link of the user's hides a template change (copier leaves it quietly)."""
    if ours.mode != LINK or result != ours or theirs is None or theirs == base:
        return None
    if base is not None and base.mode == LINK:
        return None  # the template's own link: a three-way link merge stands
    target = os.fsdecode(ours.data)
    return (
        f"your link (to {target}) was kept; the template changed this file and "
        "its changes were not applied: carry them over by hand"
    )


def _blocked(
    project: Path, path: str, want: Entry, skip_if_exists: Callable[[str], bool]
) -> str | None:
    """Why a new file cannot be written ('' quietly), or None when the way is free."""
    target = project / path
    for parent in PurePosixPath(path).parents:
        if str(parent) == ".":
            continue
        where = project / parent
        if os.path.islink(where) or (os.path.lexists(where) and not where.is_dir()):
            return f"your {parent} is in the way; the template's file was not written"
    if not os.path.lexists(target):
        return None
    existing = read_entry(target)
    if existing == want or (existing is not None and skip_if_exists(path)):
        return ""
    return (
        "git ignores it and you have your own; kept yours, the template's new "
        "file was not written"
    )


def _renames(old: Tree, new: Tree) -> dict[str, str]:
    """Files the template moved (old -> new path): the same name, else similar text."""
    gone = [p for p in old if p not in new]
    added = [p for p in new if p not in old]
    found: dict[str, str] = {}
    for path in gone:
        name = PurePosixPath(path).name
        same_name = [c for c in added if PurePosixPath(c).name == name]
        pool = same_name or added
        scored = [(_similarity(old[path], new[c]), c) for c in pool]
        best = max(scored, default=(0.0, ""))
        if best[1] and (same_name or best[0] >= 0.6):
            found[path] = best[1]
    return found


def _similarity(a: Entry, b: Entry) -> float:
    if a.data == b.data:
        return 1.0
    if a.binary or b.binary:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a.data[:20000], b.data[:20000])
    return matcher.quick_ratio() and matcher.ratio()


def _left_in_dropped_folders(
    head: Tree, final: Tree, old: Tree, new: Tree, renamed: dict[str, str]
) -> list[str]:
    """The user's own files left in a folder the new template no longer has."""
    old_dirs = {str(p) for path in old for p in PurePosixPath(path).parents}
    new_dirs = {str(p) for path in new for p in PurePosixPath(path).parents}
    dropped = old_dirs - new_dirs
    moved = {
        str(PurePosixPath(a).parent): str(PurePosixPath(b).parent)
        for a, b in renamed.items()
    }
    notes = []
    for path in sorted(final):
        if path in old or path not in head:
            continue  # the template's own files are handled above
        folders = [str(p) for p in PurePosixPath(path).parents if str(p) in dropped]
        if folders:
            folder = folders[-1]  # the outermost, e.g. the old package
            where = f" (now {moved[folder]}/)" if folder in moved else ""
            notes.append(
                f"{path}: your file is in {folder}/, a folder the template no "
                f"longer has{where}; move it if it belongs to the new one"
            )
    return notes
