"""The new project's repository: `git init` and a first commit, or nothing at all.

Runs in the staging folder before the project is moved into place, so a failure here
never touches the destination. It never reads or changes the user's git
configuration beyond asking whether an identity is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from stackpick.errors import StackpickError

NEUTRAL_AUTHOR = ("stackpick", "stackpick@users.noreply.invalid")
# What git prints when a write fails for want of space (pack writes use their own).
DISK_FULL_PHRASES = (
    "No space left on device",
    "Disk quota exceeded",
    "Out of diskspace",
)


def first_commit(project: Path, notes: list[str]) -> bool:
    """`git init` and a first commit; never touches the user's git configuration.

    A failure leaves no half `.git`. A full disk is an error (the run stops, nothing
    is written); any other git failure is a note and a project without a repository.
    """
    git = shutil.which("git")
    if not git:
        notes.append("git is not installed: the project has no repository yet.")
        return False

    def run(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, str]:
        from stackpick.gitsafe import run_git  # a deadline, its own process group

        proc = run_git(*args, cwd=project, env=env)
        return proc.returncode, proc.stderr

    code, err = run("init", "-q")
    if code:
        return _git_failed(project, notes, "git init", err)
    # Whether an identity is set is asked while `add` runs (read-only, no lock).
    identity = subprocess.Popen(
        [git, "config", "user.email"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    # `add` streams the blobs into one pack (bulk check-in) rather than a loose
    # object file, and a folder for most of them: a fraction of the file system
    # work. The setting applies to this one command; nothing is written to config.
    code, err = run("-c", "core.bigFileThreshold=1", "add", "-A")
    identity.wait()
    if code:
        return _git_failed(project, notes, "git add", err)
    author: dict[str, str] = {}
    if identity.returncode:
        name, email = NEUTRAL_AUTHOR
        author = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        notes.append(
            f"git has no user configured: the first commit is authored by {name}."
        )
    message = "Initial commit from stackpick"
    code, err = run("commit", "-q", "--no-verify", "-m", message, env=author)
    if code:
        return _git_failed(project, notes, "git commit", err)
    return True


def _git_failed(project: Path, notes: list[str], step: str, stderr: str) -> bool:
    """Remove the half repository; raise on a full disk, else note it."""
    shutil.rmtree(project / ".git", ignore_errors=True)
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    detail = lines[-1] if lines else "no message"
    if _disk_full(project, stderr):
        raise StackpickError(
            f"the disk is full: {step} failed ({detail}); nothing was written"
        )
    notes.append(f"{step} failed ({detail}): the project has no repository yet.")
    return False


def _disk_full(folder: Path, stderr: str) -> bool:
    """Whether a failure came from a full disk (git does not always say ENOSPC).

    git writing a pack (as `git add` does for a whole new project) reports its own
    words, "Out of diskspace", instead of the system's message.
    """
    if any(phrase in stderr for phrase in DISK_FULL_PHRASES):
        return True
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < 64 * 1024 or info.f_favail == 0
