"""What `stackpick update` tells the user: the files it changed, and what needs them.

Its own module so the multi-project update (fleet) can build and print the same
report for each project; `stackpick.update.project` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stackpick.update.tree import Entry

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
    # What the update means beyond its files (update_deploy): the lock, migration
    # forks to merge, and what a deployment needs (variables, migrations, versions).
    lock: str | None = None
    forks: list[str] = field(default_factory=list)
    deploy: list[str] = field(default_factory=list)
    changelog: list[str] = field(default_factory=list)

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
        if self.forks:
            lines.append("  migrations to merge:")
            lines += [f"    {fork}" for fork in self.forks]
        if not self.conflicts and not self.attention and not self.forks:
            lines.append("  no conflicts")
        if self.lock:
            lines.append(f"  {self.lock}")
        lines += self.deploy_section("  ")
        lines.append("Review with `git diff`, then commit.")
        return "\n".join(lines)

    def deploy_section(self, indent: str = "") -> list[str]:
        """ "Before you deploy": what the new version needs, then its changelog."""
        if not (self.deploy or self.changelog):
            return []
        lines = [f"{indent}Before you deploy:"]
        lines += [f"{indent}  - {line}" for line in self.deploy]
        if self.changelog:
            lines.append(
                f"{indent}  The template's changelog, {self.before} -> {self.after}:"
            )
            lines += [f"{indent}    {line}" for line in self.changelog]
        return lines
