"""The next steps `stackpick new` prints, run verbatim as a new user would.

On a machine without uv (PATH holds python3 and the system's programs only)
`stackpick new` cannot lock: it says so in one line naming how to install uv, and the
steps end with locking before `docker compose up --build`; their first line falls
back to pip in a fresh `.venv`, which the next line activates. With uv on PATH `new`
locks against the real package index into the first commit and the steps run
`uv sync`, which installs what the lock pins (`uv sync --locked` accepts it). Either
way the project's own test suite then passes with the `python -m pytest` the steps
run. Commands that serve or ask (`flask run`, `runserver`, `createsuperuser`,
`create-admin`) are left out; and a PostgreSQL project without its server says once
what is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stackpick.render.lock import LOCK_LATER_STEP, install_uv_command
from support import BIN, require

SERVES_OR_ASKS = ("run --debug", "runserver", "createsuperuser", "create-admin")
NO_LOCK = ("--no-git", "--no-lock")  # what locking is not the point of


def stackpick_new(
    where: Path,
    *data: str,
    options: tuple[str, ...] = NO_LOCK,
    env: dict[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """`stackpick new proj OPTIONS ...`: (the printed next steps, one command per
    line; the lines saying uv.lock was not created)."""
    args = [arg for pair in data for arg in ("--data", pair)]
    proc = subprocess.run(
        [sys.executable, "-m", "stackpick", "new", "proj", "--defaults", *options,
         *args],
        cwd=where, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=300, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index("Next:") + 1
    steps = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        steps.append(line[2:])
    output = proc.stdout.splitlines() + proc.stderr.splitlines()
    return steps, [line for line in output if "uv.lock not created" in line]


def without_uv(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has python3 and /usr/bin, /bin, and no uv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    env = {"PATH": path, "HOME": os.environ.get("HOME", str(tmp_path))}
    # How this machine reaches the package index (certificates, proxies, mirrors).
    reach = (
        "SSL_",
        "REQUESTS_CA",
        "CURL_CA",
        "PIP_",
        "UV_",
        "HTTP",
        "NO_PROXY",
        "LANG",
    )
    env |= {k: v for k, v in os.environ.items() if k.upper().startswith(reach)}
    check = subprocess.run(["bash", "-c", "command -v uv"], env=env, check=False)
    assert check.returncode != 0, "uv is still on PATH"
    return env


def run_steps(steps: list[str], env: dict[str, str], cwd: Path) -> str:
    """The steps as one bash script (-e: the first failure stops it); its output."""
    script = [s for s in steps if not any(word in s for word in SERVES_OR_ASKS)]
    proc = subprocess.run(
        ["bash", "-e", "-c", "\n".join(script)], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, (
        f"{script}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.mark.slow
def test_the_next_steps_work_without_uv(tmp_path: Path) -> None:
    env = without_uv(tmp_path)
    # The leanest Flask project: the least to download for pip (no cache of uv's).
    # stackpick itself runs without uv too: it cannot lock and says so, once.
    lean = ("framework=flask", "data=none", "needs_auth=false", "needs_admin=false",
            "needs_api=false")  # fmt: skip
    steps, said = stackpick_new(tmp_path, *lean, options=("--no-git",), env=env)
    assert len(said) == 1 and "uv is not installed" in said[0], said
    assert f"`{install_uv_command()}`" in said[0] and "`uv lock`" in said[0]
    assert steps[0] == f"cd {tmp_path / 'proj'}"
    assert steps[-2:] == ["python -m pytest", LOCK_LATER_STEP]
    out = run_steps(steps, env, tmp_path)
    assert " passed" in out.splitlines()[-1]
    # pip's path: the project went into its own .venv, not this environment.
    assert (tmp_path / "proj" / ".venv" / "bin" / "flask").exists()
    assert not (tmp_path / "proj" / "uv.lock").exists()


@pytest.mark.slow
def test_the_next_steps_work_with_uv(tmp_path: Path) -> None:
    uv = Path(require("uv")["uv"])
    env = without_uv(tmp_path)
    env["PATH"] = os.pathsep.join([str(uv.parent), env["PATH"]])
    env |= {"UV_PYTHON_DOWNLOADS": "never", "UV_PYTHON": sys.executable}
    # As a user runs it: with git, and uv.lock from the real package index.
    steps, said = stackpick_new(tmp_path, "framework=django", "database=sqlite",
                                "needs_api=false", options=(), env=env)  # fmt: skip
    assert said == [] and steps[-1] == "python -m pytest"
    project = tmp_path / "proj"
    lock = (project / "uv.lock").read_bytes()
    first = git(project, "show", "--name-only", "--format=%s", "HEAD").splitlines()
    assert "uv.lock" in first and git(project, "rev-list", "--count", "HEAD") == "1"
    out = run_steps(steps, env, tmp_path)
    assert " passed" in out.splitlines()[-1]
    # `uv sync` installed what the lock pins, and the lock is what CI accepts.
    assert (project / "uv.lock").read_bytes() == lock
    locked = subprocess.run(
        [uv, "sync", "--locked"], cwd=project, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert locked.returncode == 0, locked.stderr


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.slow
def test_postgres_tests_without_a_server_say_so_once(tmp_path: Path) -> None:
    stackpick_new(tmp_path, "framework=django", "database=postgresql")  # NO_LOCK
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:9/proj"}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path / "proj", env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert "No PostgreSQL server answers at 127.0.0.1:9" in out
    assert "docker compose up -d db" in out and "error" not in out.lower()
