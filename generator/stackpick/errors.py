"""Errors that reach the user as one readable line.

Nothing below the CLI prints or exits: modules raise these, and `cli` turns them into a
line on stderr and an exit code.
"""

from __future__ import annotations

import errno

# Failures of the machine, not of stackpick: a full disk, a read-only or vanished
# folder, no permission. The user can fix these; they are exit 2, never 1.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error (a failing disk?)",
    errno.ENOENT: "a file or folder disappeared",
    errno.EMFILE: "too many open files",
    errno.ENAMETOOLONG: "a file name or path is too long for the file system",
    errno.EXDEV: "the destination is on another file system than the folder it is "
    "in (a mount point?); choose a folder inside it",
    errno.EBUSY: "the destination is in use by the system (a mount point?); "
    "choose a folder inside it",
    errno.ENFILE: "too many open files",
}


class StackpickError(Exception):
    """Bad input or a refused operation; the message is what the user reads (exit 2)."""

    exit_code = 2


class Aborted(StackpickError):
    """The user pressed Ctrl-C or closed the input at a prompt (exit 130)."""

    exit_code = 130

    def __init__(self, message: str = "Aborted; nothing was written.") -> None:
        super().__init__(message)


def environment_problem(error: OSError) -> str | None:
    """One line for an OSError the machine caused, or None for a bug of ours."""
    what = ENVIRONMENT_ERRNOS.get(error.errno or 0)
    if what is None:
        return None
    where = f" ({error.filename})" if error.filename else ""
    return f"{what}{where}: {error.strerror or error}"
