"""The fleet's update commit, made without touching the user's checkout.

A fleet update used to switch the project to a new branch, write the update into the
working tree, `git add -A`, commit and switch back. Everything in that working tree
was at risk: an editor saving meanwhile had its edit committed (or wiped by the
restore), `status.showUntrackedFiles=no` hid untracked files from the checks, and a
merge in progress stopped the switch. Here the commit is built from git objects
alone: the worked-out files become blobs, a private index (in a temporary folder)
starts from the commit the branch grows from, the update's paths are set in it, and
`commit-tree` plus one `update-ref` make the branch. The user's working tree, index
and current branch are never read for it or written; a signal or SIGKILL before the
`update-ref` leaves only unreachable objects, which git's own gc removes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from stackpick.errors import StackpickError
from stackpick.gitsafe import run_git
from stackpick.update.tree import Entry
from stackpick.update.workfolder import scratch_folder

NO_COMMIT = "0" * 40


def git_bytes(
    project: Path, *args: str, data: bytes = b"", env: Mapping[str, str] | None = None
) -> bytes:
    """Run git in `project` with `data` on stdin; its stdout, or a one-line error.

    Through `gitsafe.run_git`, as every git call: a deadline, its own process group.
    """
    proc = run_git(*args, cwd=project, env=env, text=False, data=data)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise StackpickError(
            f"git {args[0]} failed: {lines[-1] if lines else proc.returncode}"
        )
    return proc.stdout


def git_text(project: Path, *args: str) -> str:
    return git_bytes(project, *args).decode(errors="surrogateescape").strip()


def new_paths_git_ignores(project: Path, base: str, paths: list[str]) -> set[str]:
    """Which of `paths` (relative to the project) are new and git-ignored.

    `git add -A` never committed those (a template file where the project ignores
    the path, as a secret's place); the commit built here leaves them out too.
    """
    if not paths:
        return set()
    prefix = git_text(project, "rev-parse", "--show-prefix")
    listed = git_bytes(
        project, "ls-tree", "-r", "-z", "--name-only", "--full-tree", base, "--"
    ).split(b"\0")
    tracked = {os.fsdecode(name) for name in listed if name}
    new = [p for p in paths if prefix + p not in tracked]
    if not new:
        return set()
    proc = run_git(
        "check-ignore", "-z", "--no-index", "--stdin",
        cwd=project,
        text=False,
        data=b"".join(os.fsencode(p) + b"\0" for p in new),
    )  # fmt: skip
    return {os.fsdecode(p) for p in proc.stdout.split(b"\0") if p}


def commit_plan(
    project: Path,
    plan: Mapping[str, Entry | None],
    *,
    base: str,
    message: str,
    env: Mapping[str, str],
) -> str:
    """A commit on top of `base` with `plan` applied (paths relative to `project`)."""
    prefix = git_text(project, "rev-parse", "--show-prefix")
    with scratch_folder("commit") as work:
        index_env = {**env, "GIT_INDEX_FILE": str(work / "index")}
        git_bytes(project, "read-tree", base, env=index_env)
        listing = _index_lines(project, prefix, plan, work)
        git_bytes(
            project, "update-index", "-z", "--index-info", data=listing, env=index_env
        )
        tree = git_bytes(project, "write-tree", env=index_env).decode().strip()
    commit = git_bytes(
        project, "commit-tree", tree, "-p", base, "-F", "-",
        data=message.encode(), env=env,
    )  # fmt: skip
    return commit.decode().strip()


def _index_lines(
    project: Path, prefix: str, plan: Mapping[str, Entry | None], work: Path
) -> bytes:
    """`update-index -z --index-info` input: each path with its new blob, or removed."""
    blobs: list[str] = []
    for number, entry in enumerate(plan[path] for path in sorted(plan)):
        if entry is not None:
            blob = work / f"blob-{number}"
            blob.write_bytes(entry.data)
            blobs.append(str(blob))
    written = git_bytes(project, "hash-object", "-w", "--no-filters", "--", *blobs)
    shas = iter(written.split())
    listing = b""
    for path in sorted(plan):
        entry = plan[path]
        mode, sha = (
            (b"0", NO_COMMIT.encode())
            if entry is None
            else (f"{entry.mode:o}".encode(), next(shas))
        )
        listing += mode + b" " + sha + b"\t" + os.fsencode(prefix + path) + b"\0"
    return listing


def create_branch(
    project: Path, branch: str, commit: str, old: str = NO_COMMIT
) -> None:
    """Point `branch` at `commit` only if it still is at `old` (zeros: absent)."""
    git_bytes(
        project, "update-ref", "-m", "stackpick update", f"refs/heads/{branch}",
        commit, old,
    )  # fmt: skip
