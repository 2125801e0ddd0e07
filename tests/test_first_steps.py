"""The next steps `stackpick new` prints, run verbatim as a new user would.

On a machine without uv (PATH holds python3 and the system's programs only) the
first line falls back to pip in a fresh `.venv`, which the next line activates; with
uv on PATH it runs `uv sync`. Either way the project's own test suite then passes
with the `python -m pytest` the steps end with. Commands that serve or ask
(`flask run`, `runserver`, `createsuperuser`, `create-admin`) are left out; and a
PostgreSQL project without its server says once what is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import BIN, require

SERVES_OR_ASKS = ("run --debug", "runserver", "createsuperuser", "create-admin")


def stackpick_new(where: Path, *data: str) -> list[str]:
    """`stackpick new proj ...`; the printed next steps, one command per line."""
    args = [arg for pair in data for arg in ("--data", pair)]
    proc = subprocess.run(
        [sys.executable, "-m", "stackpick", "new", "proj", "--defaults", "--no-git",
         *args],
        cwd=where, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index("Next:") + 1
    steps = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        steps.append(line[2:])
    return steps


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
    # The leanest Flask project: the least to download for pip (no cache of uv's).
    steps = stackpick_new(tmp_path, "framework=flask", "data=none", "needs_auth=false",
                          "needs_admin=false", "needs_api=false")  # fmt: skip
    assert steps[0] == f"cd {tmp_path / 'proj'}" and steps[-1] == "python -m pytest"
    out = run_steps(steps, without_uv(tmp_path), tmp_path)
    assert " passed" in out.splitlines()[-1]
    # pip's path: the project went into its own .venv, not this environment.
    assert (tmp_path / "proj" / ".venv" / "bin" / "flask").exists()
    assert not (tmp_path / "proj" / "uv.lock").exists()


@pytest.mark.slow
def test_the_next_steps_work_with_uv(tmp_path: Path) -> None:
    uv = Path(require("uv")["uv"])
    steps = stackpick_new(tmp_path, "framework=django", "database=sqlite",
                          "needs_api=false")  # fmt: skip
    env = without_uv(tmp_path)
    env["PATH"] = os.pathsep.join([str(uv.parent), env["PATH"]])
    env |= {"UV_PYTHON_DOWNLOADS": "never", "UV_PYTHON": sys.executable}
    out = run_steps(steps, env, tmp_path)
    assert " passed" in out.splitlines()[-1]
    assert (tmp_path / "proj" / "uv.lock").exists()  # `uv sync` locked it


@pytest.mark.slow
def test_postgres_tests_without_a_server_say_so_once(tmp_path: Path) -> None:
    stackpick_new(tmp_path, "framework=django", "database=postgresql")
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
