"""A record, in the git folder, of what an update is about to overwrite.

Ctrl-C, SIGTERM and SIGHUP are undone in the process itself (`update_apply`). SIGKILL
or a power cut cannot be: for those, the files the update will replace are saved here
before the first write, and the next `stackpick update` of the repository (under the
same lock) puts them back before anything else. A file the user changed after the
killed run is left as it is and named.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stackpick.update.merge import Plan
from stackpick.update.tree import EXECUTABLE, FILE, LINK, Entry, read_entry, write_entry

JOURNAL_NAME = "stackpick-update-undo"
MANIFEST = "manifest.json"
Originals = Mapping[str, tuple[Entry | None, int | None]]


def _digest(entry: Entry | None) -> str | None:
    if entry is None:
        return None
    return hashlib.sha256(f"{entry.mode:o}\0".encode() + entry.data).hexdigest()


def record(journal: Path, project: Path, originals: Originals, plan: Plan) -> None:
    """Save what `plan` replaces; the manifest is written last, in one rename."""
    discard(journal)
    (journal / "blobs").mkdir(parents=True)
    files = []
    made: list[str] = []
    for index, (path, (original, perms)) in enumerate(sorted(originals.items())):
        item: dict[str, Any] = {
            "path": path,
            "planned": _digest(plan[path]),
            "original": None,
        }
        if original is not None:
            (journal / "blobs" / str(index)).write_bytes(original.data)
            item["original"] = {"mode": original.mode, "perms": perms, "blob": index}
        files.append(item)
        folder = (project / path).parent
        while not os.path.lexists(folder):
            made.append(str(folder))
            folder = folder.parent
    manifest = {"project": str(project), "files": files, "made": sorted(set(made))}
    draft = journal / f"{MANIFEST}.draft"
    draft.write_text(json.dumps(manifest), encoding="utf-8")
    draft.replace(journal / MANIFEST)


def discard(journal: Path) -> None:
    shutil.rmtree(journal, ignore_errors=True)


def recover(journal: Path) -> list[str]:
    """Undo a killed update's writes; notes for the user (none when nothing was due).

    A journal that cannot be read (empty, cut short, edited by hand) is never a dead
    end: it is moved aside, named in the note, and the update goes on.
    """
    if os.path.lexists(journal) and not journal.is_dir():
        return [_set_aside(journal, "it is not a folder")]
    manifest_file = journal / MANIFEST
    if not os.path.lexists(manifest_file):
        discard(journal)  # killed before the first write: nothing to undo
        return []
    try:
        manifest = _read_manifest(manifest_file)
        return _undo(journal, manifest)
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [_set_aside(journal, str(error) or type(error).__name__)]


def _read_manifest(manifest_file: Path) -> dict:
    """The manifest, checked for shape (a ValueError names what is wrong)."""
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise ValueError("its manifest is not an update journal")
    for item in manifest["files"]:
        path = item["path"]
        if not isinstance(path, str) or path.startswith("/") or ".." in path.split("/"):
            raise ValueError(f"its manifest names a path outside the project: {path!r}")
        saved = item["original"]
        if saved is not None and saved["mode"] not in (FILE, EXECUTABLE, LINK):
            raise ValueError(f"its manifest has an unknown file mode for {path}")
    if not isinstance(manifest.get("made", []), list):
        raise ValueError("its manifest is not an update journal")
    return manifest


def _set_aside(journal: Path, why: str) -> str:
    """Move an unreadable journal out of the way, keeping it for the user to look at."""
    aside = journal.with_name(
        f"{journal.name}.unreadable-{time.strftime('%Y%m%d%H%M%S')}"
    )
    os.replace(journal, aside)
    return (
        f"an unreadable update journal ({why}) was moved aside to {aside}; "
        "it may hold files a killed update replaced"
    )


def _undo(journal: Path, manifest: dict) -> list[str]:
    project = Path(manifest["project"])
    restored, kept = 0, []
    for item in manifest["files"]:
        target = project / item["path"]
        leftover = target.with_name(f".{target.name}.stackpick-new")
        if os.path.lexists(leftover):
            leftover.unlink()
        aside = target.with_name(f".{target.name}.stackpick-old")  # update_apply's
        if os.path.lexists(aside):
            if (
                os.path.lexists(target)
                and _digest(read_entry(target)) != item["planned"]
            ):
                kept.append(f"{item['path']} (the file before it is {aside.name})")
            else:
                os.replace(aside, target)
                restored += 1
            continue
        saved = item["original"]
        original = None
        if saved is not None:
            data = (journal / "blobs" / str(saved["blob"])).read_bytes()
            original = Entry(saved["mode"], data)
        current = read_entry(target)
        if current == original and (original or not os.path.lexists(target)):
            continue
        if _digest(current) != item["planned"]:  # not what the update wrote: theirs
            kept.append(item["path"])
            continue
        if original is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_entry(target, original, saved["perms"])
        restored += 1
    for folder in sorted(manifest["made"], key=len, reverse=True):
        with contextlib.suppress(OSError):  # not empty: something else is in it
            Path(folder).rmdir()
    discard(journal)
    if not restored and not kept:
        return []
    notes = [
        f"an earlier update of {project} was killed while writing; "
        f"{restored} file(s) it wrote were put back as they were"
    ]
    notes += [f"{p}: changed since the killed update; left as it is" for p in kept]
    return notes
