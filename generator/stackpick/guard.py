"""Guards every command that writes: termination signals, exclusive locks, test pauses.

`new` and `update` promise to never lose work. Two things can break that promise from
outside the program: a signal (SIGTERM from a supervisor, SIGHUP from a closed
terminal) and a second stackpick writing to the same place at the same time. Both are
handled here, in one place, so every writing command gets the same guarantees:

- `termination_as_abort()` turns SIGTERM and SIGHUP into a `Terminated` exception in
  the main thread, so the same `except BaseException` clean-up that handles Ctrl-C
  runs (staging folders removed, replaced files put back). The CLI exits 128 + signal.
- `exclusive_lock()` holds an advisory `flock` on a lock file: the lock is released by
  the kernel when the process dies, even by SIGKILL, so a crash never leaves a stale
  lock that blocks the next run.
- `checkpoint()` is a test hook: with `STACKPICK_TEST_PAUSE=<phase>` in the
  environment, the run announces the phase on stderr and waits there, so a test can
  send a real signal at exactly that phase. It does nothing otherwise.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from stackpick.errors import Aborted, StackpickError

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
PAUSE_ENV = "STACKPICK_TEST_PAUSE"
PAUSE_SECONDS = 60.0


class Terminated(Aborted):
    """A termination signal arrived; the exit code is 128 + the signal number."""

    def __init__(self, signum: int, message: str | None = None) -> None:
        name = signal.Signals(signum).name
        super().__init__(message or f"Stopped by {name}; nothing was written.")
        self.signum = signum
        self.exit_code = 128 + signum


@contextmanager
def termination_as_abort() -> Iterator[None]:
    """Raise `Terminated` in the main thread on SIGTERM/SIGHUP while the block runs.

    Outside the main thread (signals cannot be handled there) this does nothing.
    """

    def raise_terminated(signum: int, _frame: FrameType | None) -> None:
        # Ignore further signals while the clean-up runs: a second SIGTERM must not
        # interrupt the restoring of a user's files half-way.
        for other in HANDLED_SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        raise Terminated(signum)

    try:
        previous = {s: signal.signal(s, raise_terminated) for s in HANDLED_SIGNALS}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def exclusive_lock(lock_file: Path, what: str) -> Iterator[None]:
    """Hold an exclusive advisory lock on `lock_file`, or refuse at once (exit 2).

    `what` names the thing being written, for the refusal message. The lock file is
    left in place (removing it would race with a waiting process); it holds nothing.
    """
    try:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise StackpickError(
            f"cannot lock {lock_file}: {error.strerror or error}"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StackpickError(
                f"another stackpick is already writing {what}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def checkpoint(phase: str) -> None:
    """Pause here when a test asked for this phase (see the module docstring)."""
    if os.environ.get(PAUSE_ENV) != phase:
        return
    print(f"stackpick: paused at {phase}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + PAUSE_SECONDS
    while time.monotonic() < deadline:  # a signal handler raises out of the sleep
        time.sleep(0.05)


@contextmanager
def shielded() -> Iterator[None]:
    """Ignore Ctrl-C and termination signals while the block runs.

    For putting a user's files back after an abort: a second Ctrl-C or SIGTERM must
    not stop the restoring half-way. Outside the main thread this does nothing.
    """
    try:
        signals = (signal.SIGINT, *HANDLED_SIGNALS)
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in signals}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
