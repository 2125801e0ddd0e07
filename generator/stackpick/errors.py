"""Errors that reach the user as one readable line.

Nothing below the CLI prints or exits: modules raise these, and `cli` turns them into a
line on stderr and an exit code.
"""

from __future__ import annotations


class StackpickError(Exception):
    """Bad input or a refused operation; the message is what the user reads (exit 2)."""

    exit_code = 2


class Aborted(StackpickError):
    """The user pressed Ctrl-C or closed the input at a prompt (exit 130)."""

    exit_code = 130

    def __init__(self, message: str = "Aborted; nothing was written.") -> None:
        super().__init__(message)
