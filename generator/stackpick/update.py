"""`stackpick update`: a thin `copier update` with the right options and a summary.

Refuses what would lose work or mix frameworks: a project that is not a clean git
tree, and a change of `framework` (copier.yml's validator refuses that too, for plain
`copier update --data framework=...`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import yaml

from stackpick.answers import parse_data
from stackpick.errors import StackpickError
from stackpick.files import read_yaml_mapping
from stackpick.render import copier_errors

ANSWERS_FILE = ".copier-answers.yml"
CONFLICT_MARKER = "<<<<<<< before updating"


def _git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if not git:
        raise StackpickError("git is not installed: copier update needs it")
    return subprocess.run(
        [git, *args], cwd=project, capture_output=True, text=True, check=False
    )


def update_project(
    project: Path, *, vcs_ref: str | None = None, data: Sequence[str] = ()
) -> str:
    """Apply the template's newer version to `project`; return a summary for people."""
    project = project.expanduser().resolve()
    answers_path = project / ANSWERS_FILE
    if not answers_path.is_file():
        raise StackpickError(
            f"{project} has no {ANSWERS_FILE}: not a stackpick project"
        )
    current = read_yaml_mapping(answers_path, "project answers")
    changes = parse_data(data)
    if "framework" in changes and changes["framework"] != current.get("framework"):
        raise StackpickError(
            f"this project is {current.get('framework')}; changing the framework on "
            "update is not supported (start a new project instead)"
        )
    if _git(project, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise StackpickError(f"{project} is not a git repository: commit it first")
    if _git(project, "status", "--porcelain").stdout.strip():
        raise StackpickError(
            f"{project} has uncommitted changes: commit or stash them before updating"
        )
    before = current.get("_commit", "?")

    from copier import run_update

    with copier_errors("update", f"--vcs-ref {vcs_ref}" if vcs_ref else "the template"):
        run_update(
            dst_path=project,
            data=changes,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            vcs_ref=vcs_ref,
            conflict="inline",
            skip_answered=True,
        )

    after = (yaml.safe_load(answers_path.read_text(encoding="utf-8")) or {}).get(
        "_commit", "?"
    )
    status = _git(project, "status", "--porcelain").stdout.splitlines()
    changed = sorted(line[3:] for line in status)
    conflicts = [
        name
        for name in changed
        if (project / name).is_file()
        and CONFLICT_MARKER in (project / name).read_text(errors="replace")
    ]
    lines = [f"Updated {project.name}: template {before} -> {after}"]
    lines.append(f"  {len(changed)} files changed" + (":" if changed else ""))
    lines += [f"    {name}" for name in changed]
    if conflicts:
        lines.append(
            f"  {len(conflicts)} with conflicts to resolve "
            f"(look for '{CONFLICT_MARKER}'):"
        )
        lines += [f"    {name}" for name in conflicts]
    else:
        lines.append("  no conflicts")
    lines.append("Review with `git diff`, then commit.")
    return "\n".join(lines)
