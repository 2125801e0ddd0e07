"""`uv lock` for a freshly rendered project: the one step of `new` that needs a network.

Rendering stays offline. By default stackpick then resolves the project's dependencies
into `uv.lock` before the first commit, so the Dockerfile (which builds from the lock)
and CI's `uv sync --locked` work from the first push. `--no-lock`, or the answer
`lock: false`, skips it; when uv or the package index is out of reach the project is
still created, and one line says why and how to lock it later.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from stackpick.update.deploy import LOCK_FILE

TRUE_WORDS = {"true", "yes", "y", "1", "on"}
LOCK_TIMEOUT = 300
# The next step printed when a project has no uv.lock (a comment: it runs verbatim).
LOCK_LATER_STEP = "# no uv.lock yet: `uv lock` before `docker compose up --build`"


def wants_lock(flag: bool | None, answer: object) -> bool:
    """`--lock`/`--no-lock` when given, else the `lock` answer, else yes.

    YAML gives the answer as a bool, `--data` as text; no answer (None) means lock.
    """
    if flag is not None:
        return flag
    if answer is None:
        return True
    if isinstance(answer, str):
        return answer.strip().lower() in TRUE_WORDS
    return bool(answer)


def install_uv_command() -> str:
    """How to get uv, as the generated README says it (includes/uv.jinja)."""
    from jinja2 import FileSystemLoader
    from jinja2.sandbox import SandboxedEnvironment

    from stackpick.locate import bundled_template

    env = SandboxedEnvironment(loader=FileSystemLoader(str(bundled_template())))
    return str(vars(env.get_template("includes/uv.jinja").module)["install_uv"])


def uv_lock(project: Path, timeout: float = LOCK_TIMEOUT) -> str | None:
    """Run `uv lock` in `project`: None when uv.lock was written, else why not.

    The reason is one line that ends with what to run once the reason is gone.
    """
    uv = shutil.which("uv")
    later = "run `uv lock` in the project to create it"
    if uv is None:
        return (
            f"{LOCK_FILE} not created: uv is not installed; install it "
            f"(`{install_uv_command()}`), then {later}."
        )
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
        return f"{LOCK_FILE} not created: `uv lock` took over {timeout:.0f} s; {later}."
    if proc.returncode != 0 or not (project / LOCK_FILE).is_file():
        return (
            f"{LOCK_FILE} not created (the package index may be out of reach: "
            f"{_reason(proc)}); {later}."
        )
    return None


def _reason(proc: subprocess.CompletedProcess[str]) -> str:
    """uv's own words for the failure, on one line: its innermost cause."""
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    if not lines:
        return f"uv exited with {proc.returncode}"
    last = lines[-1]
    for prefix in ("error:", "cause:", "Caused by:"):
        last = last.removeprefix(prefix).strip()
    return last
