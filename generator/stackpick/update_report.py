"""What `stackpick update` tells the user: the files it changed, and what needs them.

Its own module so the multi-project update (fleet) can build and print the same
report for each project; `stackpick.update` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stackpick.update_tree import Entry

CONFLICT_MARKER = "<<<<<<< before updating"


@dataclass
class UpdateReport:
    """What an update did to one project, and what the user must look at."""

    project: Path
    before: str
    after: str
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)  # "path: why"
    removed: list[str] = field(default_factory=list)  # the changed files deleted
    notes: list[str] = field(default_factory=list)  # e.g. a killed update undone
    # What the update writes (path -> entry, None: deleted); the fleet commits it.
    plan: dict[str, Entry | None] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        """The text for people; it says "no conflicts" only when nothing needs them."""
        lines = [f"Updated {self.project.name}: template {self.before} -> {self.after}"]
        lines += [f"  note: {note}" for note in self.notes]
        changed = self.changed
        lines.append(f"  {len(changed)} files changed" + (":" if changed else ""))
        lines += [
            f"    {name}" + (" (deleted)" if name in self.removed else "")
            for name in changed
        ]
        if self.conflicts:
            lines.append(
                f"  {len(self.conflicts)} with conflicts to resolve "
                f"(look for '{CONFLICT_MARKER}'):"
            )
            lines += [f"    {name}" for name in self.conflicts]
        if self.attention:
            files = "file needs" if len(self.attention) == 1 else "files need"
            lines.append(f"  {len(self.attention)} {files} your attention:")
            lines += [f"    {note}" for note in self.attention]
        if not self.conflicts and not self.attention:
            lines.append("  no conflicts")
        lines.append("Review with `git diff`, then commit.")
        return "\n".join(lines)
