"""The one way stackpick runs git, and the checks on every value it hands to git.

Values reach git from files anyone can edit in a pull request (`.copier-answers.yml`'s
`_src_path`, `_commit` and `preset_source`), from presets and from the command line.
A value that starts with `-` would be read by git as an option (`--upload-pack=CMD`
runs CMD), and `ext::CMD` or `fd::` are transports that run commands or read file
descriptors. So each value is checked as what it must be (a repository source, a ref,
a path inside a repository) before any git runs, is passed after `--` where git takes
one, and every git child (Copier's too, through the environment) may only speak the
transports in `ALLOWED_PROTOCOLS`.

Every git call has a deadline (`STACKPICK_GIT_TIMEOUT` seconds). git runs in its own
process group, so on a deadline, an error or a signal git and the helpers it started
(`git-remote-https`, `ssh`) are killed together; under GNU `timeout` when it is
installed, so they die by the deadline even if stackpick itself is SIGKILLed.
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import TYPE_CHECKING

from stackpick.deadlines import (
    DEFAULT_GIT_TIMEOUT,
    DEFAULT_NETWORK_TIMEOUT,
    GIT_TIMEOUT_ENV,
    NETWORK_TIMEOUT_ENV,
    seconds,
)
from stackpick.errors import StackpickError

if TYPE_CHECKING:  # subprocess and shutil load when git runs, not on every start
    import subprocess
    from collections.abc import Iterator, Mapping
    from pathlib import Path
    from types import FrameType

ALLOWED_PROTOCOLS = "file:git:http:https:ssh"
WATCHDOG_GRACE = 2.0  # `timeout` ends git this long after our own deadline
TIMED_OUT = 124  # the exit status of a git call past its deadline (as `timeout`)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TRANSPORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.-]*::")  # git's `<helper>::<address>`
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.S)
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._~-]+@)?(?P<host>[A-Za-z0-9._-]+):(?!//)")
_REF_FORBIDDEN = re.compile(r"[\s~^:?*\[\\]|\.\.|@\{|//")
_RUNNING: set[subprocess.Popen] = set()  # git processes not yet waited for
URL_SCHEMES = frozenset(ALLOWED_PROTOCOLS.split(":"))


class UnsafeValue(StackpickError):
    """A value git would misread (an option, a transport that runs a command)."""


def git_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a git child: no prompts, safe transports, stall limits."""
    network = seconds(NETWORK_TIMEOUT_ENV, DEFAULT_NETWORK_TIMEOUT)
    return {
        **os.environ,
        **protective_variables(network),
        **(extra or {}),
    }


def protective_variables(network: float) -> dict[str, str]:
    """Variables git honours: transports allowed, no prompt, an HTTP stall ends."""
    return {
        "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
        "GIT_TERMINAL_PROMPT": "0",
        "GCM_INTERACTIVE": "never",
        "GIT_HTTP_LOW_SPEED_LIMIT": "1",
        "GIT_HTTP_LOW_SPEED_TIME": str(max(1, round(network))),
    }


def protect_process_environment() -> None:
    """Set the protective variables in this process, for git children we do not start.

    Copier runs git itself (clone, ls-remote); it inherits this environment, so a
    template source that slipped past the checks still cannot use `ext::`.
    """
    network = seconds(NETWORK_TIMEOUT_ENV, DEFAULT_NETWORK_TIMEOUT)
    os.environ.update(protective_variables(network))


def run_git(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    text: bool = True,
    data: bytes | None = None,
) -> subprocess.CompletedProcess:
    """Run git with a deadline; never prompts; the result is not checked.

    `data` goes to git's standard input (bytes: give it with `text=False`).

    Past the deadline git and its helpers are killed and the result has exit status
    `TIMED_OUT` and a stderr line naming the deadline and its variable.
    """
    import shutil
    import subprocess

    exe = shutil.which("git")
    if not exe:
        raise StackpickError("git is not installed: stackpick needs it here")
    limit = seconds(GIT_TIMEOUT_ENV, DEFAULT_GIT_TIMEOUT)
    command = [exe, *args]
    watchdog = shutil.which("timeout")
    if watchdog:  # enforces the deadline even if stackpick dies without cleaning up
        command = [watchdog, "-s", "KILL", f"{limit + WATCHDOG_GRACE:g}", *command]
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=git_environment(env),
        stdin=subprocess.DEVNULL if data is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=text,
        errors="replace" if text else None,
        start_new_session=True,  # its own process group: killed as one
    )
    _RUNNING.add(proc)
    try:
        out, err = proc.communicate(input=data, timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        line = f"fatal: no answer within {limit:g} s (set {GIT_TIMEOUT_ENV})"
        return subprocess.CompletedProcess(args, TIMED_OUT, "" if text else b"", line)
    except BaseException:  # Ctrl-C, a termination signal, an error of ours
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        _RUNNING.discard(proc)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def kill_running() -> None:
    """Kill every git this process started that still runs (any thread's).

    Also any child leading its own process group that is not registered yet (a
    signal between the start of git and its registration): only `run_git` starts
    such children here.
    """
    import signal

    leaders = {proc.pid for proc in list(_RUNNING)} | _child_group_leaders()
    for pid in leaders:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _child_group_leaders() -> set[int]:
    """Our child processes that lead their own process group (Linux /proc)."""
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            path = f"/proc/self/task/{task}/children"
            with contextlib.suppress(OSError, ValueError), open(path) as children:
                found.update(int(pid) for pid in children.read().split())
    return {pid for pid in found if _leads_group(pid)}


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


@contextlib.contextmanager
def children_die_with_us() -> Iterator[None]:
    """On SIGINT, SIGTERM or SIGHUP, kill our running git first, then do what the
    signal did before (raise KeyboardInterrupt, a handler's exception, or end the
    process by the signal). git runs in its own process group, so without this a
    signal to stackpick alone would leave it running.

    Only in the main thread (where Python handles signals); elsewhere it does nothing.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {int(signum): signal.getsignal(signum) for signum in signums}

    def handler(signum: int, frame: FrameType | None) -> None:
        kill_running()
        before = previous[signum]
        if callable(before):
            before(signum, frame)
        elif before != signal.SIG_IGN:  # the default: end as the signal would
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    for signum in signums:
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for number, before in previous.items():
            signal.signal(number, before)


def _kill_group(proc: subprocess.Popen) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _plain(value: str, what: str, shown: str | None = None) -> str:
    """One line of text that cannot be read as an option (`shown` in messages)."""
    shown = value if shown is None else shown
    if not isinstance(value, str) or not value.strip():
        raise UnsafeValue(f"{what} is empty")
    if _CONTROL.search(value):
        raise UnsafeValue(f"{what} {shown!r}: control characters are not allowed")
    if value.startswith("-"):
        raise UnsafeValue(
            f"{what} {shown!r}: must not start with '-' (git reads that as an option)"
        )
    return value


def check_source(value: str, what: str = "template") -> str:
    """A git repository source: a URL of an allowed scheme, `user@host:path` or a
    path. Transports that run commands (`ext::`, `fd::`) are refused."""
    _plain(value, what)
    body = value.removeprefix("git+")
    _plain(body, what, value)
    if TRANSPORT.match(body):
        raise UnsafeValue(
            f"{what} {value!r}: git transport '{body.split('::')[0]}::' is not allowed "
            f"(use a URL: {', '.join(sorted(URL_SCHEMES))})"
        )
    url = _SCHEME.match(body)
    if url:
        if url["scheme"].lower() not in URL_SCHEMES:
            raise UnsafeValue(
                f"{what} {value!r}: URL scheme '{url['scheme']}' is not allowed "
                f"(allowed: {', '.join(sorted(URL_SCHEMES))})"
            )
        host = url["rest"].split("/", 1)[0].rpartition("@")[2]
        if host.startswith("-"):
            raise UnsafeValue(f"{what} {value!r}: a host must not start with '-'")
        return value
    scp = _SCP_LIKE.match(body)
    if scp and "/" not in body.split(":", 1)[0] and scp["host"].startswith("-"):
        raise UnsafeValue(f"{what} {value!r}: a host must not start with '-'")
    return value


def check_ref(value: str, what: str = "ref") -> str:
    """A tag, branch or commit as `git check-ref-format` would take it."""
    _plain(value, what)
    bad = (
        _REF_FORBIDDEN.search(value)
        or value.endswith((".", "/", ".lock"))
        or value.startswith("/")
        or value == "@"
        or any(part.startswith(".") for part in value.split("/"))
        or len(value) > 255
    )
    if bad:
        raise UnsafeValue(f"{what} {value!r} is not a valid git ref name")
    return value


def check_repo_path(value: str, what: str = "file") -> str:
    """A relative path of a file inside a repository (no `..`, not absolute)."""
    _plain(value, what)
    parts = value.split("/")
    if value.startswith("/") or ".." in parts:
        raise UnsafeValue(f"{what} {value!r} must be a path inside the repository")
    return value


def check_recorded_source(answers: Mapping[str, object], where: Path) -> None:
    """The template source and version an answers file records, checked for git.

    Missing values are left to the caller (each says what it needs).
    """
    source, commit = answers.get("_src_path"), answers.get("_commit")
    if source is not None:
        check_source(str(source), f"{where}: _src_path")
    if commit is not None:
        check_ref(str(commit), f"{where}: _commit")
