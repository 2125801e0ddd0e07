"""The copies an update is worked out on, away from the user's project.

- `scratch_checkout`: the project's committed files (its subtree of HEAD, so a
  project inside a larger repository works) as a standalone git repository in a
  temporary folder. It borrows the project's git objects instead of copying history.
- `render_version`: a plain render of one template version with given answers, the
  base and "theirs" of the three-way comparison in `update_merge`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stackpick.errors import StackpickError
from stackpick.gitsafe import run_git
from stackpick.render.copy import copier_errors
from stackpick.render.firstcommit import NEUTRAL_AUTHOR
from stackpick.update.tree import Tree, read_entry, read_tree, write_entry


def git(cwd: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run git quietly; with `check`, a failure becomes a one-line StackpickError."""
    proc = run_git(*args, cwd=cwd)
    if check and proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        detail = lines[-1] if lines else f"exit {proc.returncode}"
        raise StackpickError(f"git {args[0]} failed in {cwd}: {detail}")
    return proc


def git_path(project: Path, name: str) -> Path:
    """A path inside the repository's git folder (right for linked worktrees too)."""
    out = git(project, "rev-parse", "--git-path", name, check=True).stdout.strip()
    return (project / out).resolve()


def scratch_checkout(project: Path, scratch: Path) -> Path:
    """Check the project's part of HEAD out into `scratch` as its own repository."""
    prefix = git(project, "rev-parse", "--show-prefix", check=True).stdout.strip()
    tree = git(project, "rev-parse", "--verify", "-q", f"HEAD:{prefix}")
    if tree.returncode != 0:
        raise StackpickError(
            f"{project} has no committed files: commit the project before updating"
        )
    git(scratch.parent, "init", "-q", "--", str(scratch), check=True)
    alternates = scratch / ".git" / "objects" / "info" / "alternates"
    alternates.write_text(f"{git_path(project, 'objects')}\n", encoding="utf-8")
    git(scratch, "read-tree", tree.stdout.strip(), check=True)
    git(scratch, "checkout-index", "-a", "-f", check=True)
    _as_in_project(project, scratch)
    name, email = NEUTRAL_AUTHOR
    git(scratch, "-c", "core.autocrlf=false", "add", "-A", check=True)
    git(
        scratch,
        *("-c", f"user.name={name}", "-c", f"user.email={email}"),
        *("-c", "commit.gpgsign=false", "-c", f"core.hooksPath={os.devnull}"),
        *("commit", "-q", "--no-verify", "-m", "the project before the update"),
        check=True,
    )
    return scratch


def _as_in_project(project: Path, scratch: Path) -> None:
    """Make each checked-out file hold exactly the project's bytes.

    The project's files are committed and unchanged, so any difference is git's
    conversion on checkout (`core.autocrlf`, a filter): the update must start from
    what the user has on disk, or every such file looks changed behind its back.
    """
    for path, entry in read_tree(scratch).items():
        mine = read_entry(project / path)
        if mine is not None and mine != entry:
            write_entry(scratch / path, mine)


def render_version(
    source: str, ref: str | None, answers: Mapping[str, Any], dest: Path
) -> tuple[Tree, Callable[[str], bool]]:
    """Render template `source` at `ref` into `dest`: its files and its
    `_skip_if_exists` matcher (files a project keeps once it has them)."""
    from copier import run_copy

    data = {k: v for k, v in answers.items() if not str(k).startswith("_")}
    with copier_errors("update", f"template {source} at {ref}"):
        worker = run_copy(
            src_path=source,
            dst_path=dest,
            data=data,
            defaults=True,
            quiet=True,
            unsafe=False,
            vcs_ref=ref,
            overwrite=True,
        )
    matcher = getattr(worker, "match_skip", None)

    def skip(path: str) -> bool:
        return bool(matcher and matcher(Path(path)))

    return read_tree(dest), skip
