"""`stackpick status --html FILE`: the fleet as one page a platform team can open.

The page is self-contained (inline style and script, no CDN, nothing fetched) so it
works from `file://`, as a CI artifact or attached to a mail. It is rendered with Jinja
from the same data as `status --json`, so the two never disagree.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stackpick.errors import StackpickError
from stackpick.fleet.state import ProjectState

TEMPLATE = "board.html.jinja"


def summary_line(rows: Sequence[dict[str, Any]]) -> str:
    """ "12 repositories: 9 current, 2 behind, 1 drifted on locked files, 0 unknown"."""
    total = len(rows)
    behind = sum(1 for r in rows if r["behind"])
    current = sum(1 for r in rows if r["behind"] is False)
    locked = sum(1 for r in rows if r.get("drift", {}).get("locked_violations"))
    unknown = sum(1 for r in rows if r["behind"] is None)
    noun = "repository" if total == 1 else "repositories"
    parts = [f"{current} current", f"{behind} behind"]
    if any("drift" in r for r in rows):
        parts.append(f"{locked} drifted on locked files")
    if unknown:
        parts.append(f"{unknown} unknown")
    return f"{total} {noun}: " + ", ".join(parts)


def row_status(row: dict[str, Any]) -> str:
    """One word for filtering: locked, behind, drifted, unknown or current."""
    drift = row.get("drift") or {}
    if drift.get("locked_violations"):
        return "locked"
    if row["behind"]:
        return "behind"
    summary = drift.get("summary") or {}
    if summary.get("edited") or summary.get("deleted"):
        return "drifted"
    if row["behind"] is None or row["preset_ok"] is False:
        return "unknown" if row["behind"] is None else "preset"
    return "current"


def render_board(states: Sequence[ProjectState], *, drift: bool) -> str:
    import jinja2

    rows = [state.to_dict() for state in states]
    for row in rows:
        row["status"] = row_status(row)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template(TEMPLATE).render(
        rows=rows,
        summary=summary_line(rows),
        with_drift=drift,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_board(states: Sequence[ProjectState], target: Path, *, drift: bool) -> None:
    """Write the page in one rename, so a reader never sees half of it."""
    page = render_board(states, drift=drift)
    target = target.expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise StackpickError(f"--html {target}: folder {folder} does not exist")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        if temporary is not None and os.path.lexists(temporary):
            os.unlink(temporary)
        raise StackpickError(f"--html {target}: {error.strerror or error}") from None
