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
- `deferred_signals()` holds SIGINT/SIGTERM/SIGHUP back for a few system calls that
  must not be split (park a user's file and record it; put it back), and delivers
  them right after.
- `checkpoint()` is a test hook: with `STACKPICK_TEST_PAUSE=<phase>` in the
  environment, the run announces the phase on stderr and waits there, so a test can
  send a real signal at exactly that phase (or, with `STACKPICK_TEST_RESUME=<file>`,
  change the world and let the run go on once that file exists). It does nothing
  otherwise.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

from stackpick.errors import Aborted, StackpickError

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
PAUSE_ENV = "STACKPICK_TEST_PAUSE"
RESUME_ENV = "STACKPICK_TEST_RESUME"
PAUSE_SECONDS = 60.0
_terminated_by: int | None = None  # the signal that stopped this run, if any
_reached: dict[str, int] = {}  # test pauses: how often each phase was reached


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
        # Ignore further signals (Ctrl-C too) while the clean-up runs: a second
        # SIGTERM must not interrupt the restoring of a user's files half-way. A
        # Python no-op, not SIG_IGN: a signal already caught by the interpreter but
        # not yet handled would otherwise raise "ignored due to race condition".
        global _terminated_by
        for other in (*HANDLED_SIGNALS, signal.SIGINT):
            signal.signal(other, _ignore)
        _terminated_by = signum
        raise Terminated(signum)

    global _terminated_by
    _terminated_by = None
    handlers: dict[int, Any] = dict.fromkeys(HANDLED_SIGNALS, raise_terminated)
    # SIGINT keeps its handler but is put back too: raise_terminated silences it.
    handlers[signal.SIGINT] = signal.getsignal(signal.SIGINT)
    with _signal_handlers(handlers):
        yield


def raise_if_terminated() -> None:
    """Raise `Terminated` again if a signal stopped this run.

    For code that calls a library which catches every Exception (Copier turns one
    raised inside a validator into a "validation error"): afterwards, the signal
    still wins.
    """
    if _terminated_by is not None:
        raise Terminated(_terminated_by)


@contextmanager
def exclusive_lock(
    lock_file: Path, what: str, *, remove: bool = False
) -> Iterator[None]:
    """Hold an exclusive advisory lock on `lock_file`, or refuse at once (exit 2).

    `what` names the thing being written, for the refusal message. By default the lock
    file is left in place (it holds nothing). With `remove`, it is deleted while still
    locked, so a user's folder keeps no trace; a process that opened the old file in
    the meantime notices that its lock is on a deleted file and tries again.
    """
    for _ in range(5):
        fd = _open_lock(lock_file)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StackpickError(
                f"another stackpick is already writing {what}; wait for it to finish"
            ) from None
        if not remove or _same_file(fd, lock_file):
            break
        os.close(fd)  # locked a file its owner just deleted: take the new one
    else:
        raise StackpickError(f"cannot lock {lock_file}: it keeps changing")
    try:
        yield
    finally:
        if remove:
            with suppress(FileNotFoundError):
                os.unlink(lock_file)
        os.close(fd)  # closing releases the lock


def _open_lock(lock_file: Path) -> int:
    try:
        return os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise StackpickError(
            f"cannot lock {lock_file}: {error.strerror or error}"
        ) from None


def _same_file(fd: int, path: Path) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back while the block runs; deliver them after.

    For steps that must happen together or not at all, such as parking a user's file
    and recording where it went. Outside the main thread this does nothing extra.
    """
    blocked = {signal.SIGINT, *HANDLED_SIGNALS}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """A handler that does nothing (see `termination_as_abort`)."""


def checkpoint(phase: str) -> None:
    """Pause here when a test asked for this phase (see the module docstring).

    `phase@N` pauses at the N-th time the run reaches the phase (the second project
    of a fleet run, say), and only then.
    """
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or not wanted.startswith(phase):
        return
    _reached[phase] = _reached.get(phase, 0) + 1
    if wanted not in (phase, f"{phase}@{_reached[phase]}"):
        return
    print(f"stackpick: paused at {wanted}", file=sys.stderr, flush=True)
    resume = os.environ.get(RESUME_ENV)
    deadline = time.monotonic() + PAUSE_SECONDS
    while time.monotonic() < deadline:  # a signal handler raises out of the sleep
        if resume and os.path.exists(resume):
            return
        time.sleep(0.05)


@contextmanager
def shielded() -> Iterator[None]:
    """Ignore Ctrl-C and termination signals while the block runs.

    For putting a user's files back after an abort: a second Ctrl-C or SIGTERM must
    not stop the restoring half-way. Outside the main thread this does nothing.
    """
    with _signal_handlers(
        dict.fromkeys((signal.SIGINT, *HANDLED_SIGNALS), signal.SIG_IGN)
    ):
        yield


@contextmanager
def _signal_handlers(handlers: Mapping[int, Any]) -> Iterator[None]:
    """Install `handlers` (signal -> handler) for the block; put the old ones back.

    Outside the main thread, where Python cannot handle signals, nothing changes.
    """
    previous: dict[int, Any] = {}
    try:
        for sig, handler in handlers.items():
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: signal.signal refuses the first one
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
