"""`uv lock` for a freshly rendered project: the one step of `new` that needs a network.

Rendering stays offline. With `--lock` (or the `lock` answer) stackpick resolves the
project's dependencies into `uv.lock` before the first commit; when uv or the package
index is out of reach the project is still created, and one line says how to lock it
later.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TRUE_WORDS = {"true", "yes", "y", "1", "on"}
LOCK_TIMEOUT = 300


def wants_lock(flag: bool, answer: object) -> bool:
    """`--lock`, or a truthy `lock` answer (YAML gives a bool, --data gives text)."""
    if flag:
        return True
    if isinstance(answer, str):
        return answer.strip().lower() in TRUE_WORDS
    return bool(answer)


def uv_lock(project: Path, timeout: float = LOCK_TIMEOUT) -> str | None:
    """Run `uv lock` in `project`: None when uv.lock was written, else why not.

    The line ends with the command to run once the reason is gone.
    """
    uv = shutil.which("uv")
    later = "run `uv lock` in the project to create uv.lock"
    if uv is None:
        return f"uv.lock not created: uv is not installed; install uv, then {later}."
    try:
        proc = subprocess.run(
            [uv, "lock", "--quiet"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return f"uv.lock not created: `uv lock` took over {timeout:.0f} s; {later}."
    if proc.returncode != 0 or not (project / "uv.lock").is_file():
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"uv exited with {proc.returncode}"
        return (
            "uv.lock not created (the package index may be unreachable: "
            f"{reason}); {later}."
        )
    return None
