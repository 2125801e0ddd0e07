"""Helpers for tests that render projects and run them the way a user would.

Shared by the Flask and Django suites: process running, free ports, a real server
started and stopped by its own PID, and checks that a rendered tree looks hand-written.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# What a plain-folder template (the wheel's copy) holds: copier.yml and what it uses.
TEMPLATE_PARTS = (
    "copier.yml",
    "includes",
    "generator/stackpick/rules.yaml",
    "generator/stackpick/names.yaml",
    "template-flask",
    "template-django",
)

# Jinja that should never survive rendering (HTML templates of the generated app are
# themselves Jinja/Django templates, so those files are checked separately).
JINJA_LEFTOVER = re.compile(r"{{|}}|{%|%}|{#|#}")
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml"}


def run(
    cmd: Sequence[str | os.PathLike[str]],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command and, when it fails, fail the test with its whole output."""
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    full_env.update(env or {})
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {proc.returncode} in {cwd}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    return proc


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll until the server answers (any status), or fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited with {proc.returncode} before answering"
            )
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {timeout} s")


@contextlib.contextmanager
def gunicorn(
    app: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    probe: str = "/",
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve `app` with one sync gunicorn worker on 127.0.0.1; yield (url, process).

    The process is gunicorn itself, so it is stopped by its own PID; the control socket
    is off so two servers in parallel do not fight over it.
    """
    port = free_port()
    log = cwd / f"gunicorn-{port}.log"
    full_env = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--no-control-socket",
                app,
            ],
            cwd=cwd,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(base + probe, proc)
        except AssertionError as error:
            raise AssertionError(
                f"{error}\n--- server log ---\n{log.read_text()}"
            ) from None
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def worker_rss_kib(master_pid: int) -> int:
    """Resident memory (KiB) of the first child process of a gunicorn master."""
    children = (
        Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    )
    pid = children[0]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


def rendered_files(project: Path) -> list[Path]:
    """Every file of a rendered project, skipping VCS and cache folders."""
    skip = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".venv"}
    return [
        p
        for p in sorted(project.rglob("*"))
        if p.is_file() and not skip.intersection(p.relative_to(project).parts)
    ]


def assert_hand_written(project: Path) -> None:
    """No .jinja files, no Jinja left outside HTML templates, no runs of blank lines."""
    problems: list[str] = []
    for path in rendered_files(project):
        rel = path.relative_to(project)
        if path.suffix == ".jinja":
            problems.append(f"{rel}: a .jinja file was left")
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if path.suffix not in TEMPLATE_SUFFIXES and JINJA_LEFTOVER.search(text):
            problems.append(f"{rel}: Jinja left in a rendered file")
        if "\n\n\n\n" in text or (path.suffix != ".py" and "\n\n\n" in text):
            problems.append(f"{rel}: a run of blank lines")
        if text.startswith("\n"):
            problems.append(f"{rel}: starts with a blank line")
        if text and not text.endswith("\n"):
            problems.append(f"{rel}: no newline at the end")
    assert not problems, "\n".join(problems)


def assert_ruff_clean(project: Path) -> None:
    """`ruff check` and `ruff format --check` pass, with the project's own settings."""
    run([BIN / "ruff", "check", "--no-cache", "."], cwd=project)
    run([BIN / "ruff", "format", "--check", "--no-cache", "."], cwd=project)


def files_holding(project: Path, value: str) -> list[str]:
    """Relative paths of the project's files whose text contains `value`."""
    return [
        path.relative_to(project).as_posix()
        for path in rendered_files(project)
        if value in path.read_text(errors="replace")
    ]


def fresh_venv(project: Path, where: Path) -> Path:
    """A new virtual environment with the project installed the README's way.

    Returns its python. Dependencies come from the package index, so a dependency the
    project forgot to declare shows up here and nowhere else.
    """
    venv = where / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=project)
    python = venv / "bin" / "python"
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-e",
            ".[dev]",
        ],
        cwd=project,
        timeout=900,
    )
    return python


# -- running stackpick as a user would, and what it left behind ----------------------
Tree = dict[str, tuple[int, str, bytes | str | None]]


def snapshot(root: Path) -> Tree | None:
    """Each path under `root`, and root: mode, kind, content. None when absent.

    Hidden and git-ignored files (`.env`, `.git/`) are included: nothing is skipped.
    """
    if not os.path.lexists(root):
        return None
    tree: Tree = {}

    def record(path: str) -> None:
        info = os.lstat(path)
        rel = os.path.relpath(path, root)
        if stat.S_ISLNK(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "dir", None)
        elif stat.S_ISREG(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "file", Path(path).read_bytes())
        else:  # a FIFO or a device: reading it could block forever
            tree[rel] = (stat.S_IMODE(info.st_mode), "special", None)

    record(str(root))
    if root.is_dir() and not root.is_symlink():
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                record(os.path.join(folder, name))
    return tree


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without a team preset or a test pause, plus `extra`."""
    unset = ("STACKPICK_PRESET", "STACKPICK_TEST_PAUSE", "STACKPICK_TEST_RESUME")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(extra)
    return env


def run_cli(
    *args: str,
    cwd: Path,
    stdin: int | None = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m stackpick ARGS` with no terminal."""
    return subprocess.run(
        [sys.executable, "-m", "stackpick", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=stdin,
        timeout=timeout,
        env=env or clean_env(),
    )


def start_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`python -m stackpick ARGS` started in the background (stderr a pipe)."""
    return subprocess.Popen(
        [sys.executable, "-m", "stackpick", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(),
    )


def start_paused(
    *args: str, cwd: Path, phase: str, resume: Path | None = None
) -> subprocess.Popen[str]:
    """Start stackpick and return once it says it is paused at `phase` (guard hook).

    With `resume`, the run goes on by itself once that file exists.
    """
    extra = {"STACKPICK_TEST_PAUSE": phase}
    if resume is not None:
        extra["STACKPICK_TEST_RESUME"] = str(resume)
    proc = start_cli(*args, cwd=cwd, env=clean_env(**extra))
    assert proc.stderr is not None
    line = proc.stderr.readline()  # blocks until the pause is announced (or exit)
    if line.strip() != f"stackpick: paused at {phase}":
        out, err = proc.communicate(timeout=60)
        raise AssertionError(
            f"never paused at {phase}; exit {proc.returncode}\n{line}{err}{out}"
        )
    return proc


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    """Wait for a started stackpick; (exit code, stdout, stderr)."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def assert_one_line(err: str, *needles: str) -> None:
    """stderr is one readable line holding every needle, no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


def copy_template(source: Path, folder: Path) -> Path:
    """The template at `source` as a plain folder (no .git), like the wheel's copy."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in TEMPLATE_PARTS:
        src, target = source / part, folder / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=ignore)
        else:
            shutil.copy2(src, target)
    return folder
