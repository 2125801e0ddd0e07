"""`stackpick new` writes uv.lock by default; what happens when it cannot, or must not.

The decision (`--lock`/`--no-lock` beat the `lock` answer, which an answers file, a
preset or `--data` can give; no answer means lock) and the one line said when uv or
the package index is out of reach are checked fast. Real renders then check the
outcome: with the index unreachable the project is still created and committed,
exactly as with `--no-lock`, and one line says how to lock later; `--no-lock` and
`lock: false` leave no lock and say nothing, where locking would have worked. The
default lock against the real index, in the first commit and accepted by
`uv sync --locked`, and the line naming how to install uv where it is missing, are
checked in test_first_steps.py, whose runs of the next steps need those renders anyway.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from factors import QUESTIONS
from stackpick.cli import build_parser
from stackpick.decide.answers import Request, gather
from stackpick.render.lock import (
    LOCK_LATER_STEP,
    install_uv_command,
    uv_lock,
    wants_lock,
)
from stackpick.render.plan import next_steps
from support import BIN, ROOT, run

NOT_CREATED = "uv.lock not created"
# The leanest Flask project: the least to lock.
LEAN = ["-d", "framework=flask", "-d", "data=none", "-d", "needs_auth=false",
        "-d", "needs_admin=false", "-d", "needs_api=false"]  # fmt: skip


def test_the_flag_beats_the_answer_and_no_answer_means_lock() -> None:
    assert wants_lock(None, None) and wants_lock(None, True)
    assert wants_lock(None, "yes") and not wants_lock(None, "false")
    assert not wants_lock(None, False)
    assert wants_lock(True, False)  # --lock beats `lock: false`
    assert not wants_lock(False, True)  # --no-lock beats `lock: true`


@pytest.mark.parametrize(
    ("flags", "flag"),
    [([], None), (["--lock"], True), (["--no-lock"], False),
     (["--no-lock", "--lock"], True), (["--lock", "--no-lock"], False)],
)  # fmt: skip
def test_lock_and_no_lock_are_accepted_the_last_one_wins(
    flags: list[str], flag: bool | None
) -> None:
    assert build_parser().parse_args(["new", "site", *flags]).lock is flag


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_lock_false_from_an_answers_file_a_preset_or_data(tmp_path: Path) -> None:
    def lock(**sources: Any) -> bool:
        answer = gather(QUESTIONS, Request(**sources)).answers.get("lock", True)
        return wants_lock(None, answer)

    no = {"lock": False}
    preset = {"name": "P", "defaults": no}
    assert lock()  # nothing said: lock
    assert not lock(answers_file=write(tmp_path / "a.yml", no))
    assert not lock(preset_file=write(tmp_path / "p.yml", preset))
    assert not lock(preset_file=write(tmp_path / "pin.yml", {"name": "P", "pin": no}))
    assert not lock(data=["lock=false"])
    assert lock(preset_file=tmp_path / "p.yml", data=["lock=true"])  # --data beats it


def test_without_uv_the_line_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    note = uv_lock(tmp_path)
    assert note and "\n" not in note and note.startswith(NOT_CREATED)
    assert "uv is not installed" in note and "`uv lock`" in note
    assert f"`{install_uv_command()}`" in note
    # The same words as the next steps and the generated README (includes/uv.jinja).
    answers = {"framework": "flask", "uses_sql": False, "data": "none"}
    answers |= {"database": "sqlite", "project_slug": "a", "needs_admin": False}
    first = next_steps(ROOT, answers)[0]
    assert install_uv_command() == "python3 -m pip install uv"
    assert f"`{install_uv_command()}` gets it" in first


def test_lock_with_the_index_out_of_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\ndependencies = ["flask"]\n'
    )
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    note = uv_lock(tmp_path)
    assert note and "\n" not in note and note.startswith(NOT_CREATED)
    assert "`uv lock`" in note
    assert not (tmp_path / "uv.lock").exists()


def new(dest: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    """`stackpick new DEST --defaults ARGS` (uv first on PATH): the lines it printed
    on stdout; a line about the lock on stderr would fail the test."""
    dest.parent.mkdir(exist_ok=True)
    proc = run(
        [sys.executable, "-m", "stackpick", "new", dest, "--defaults", *args],
        cwd=dest.parent,
        env={"PYTHONPATH": str(ROOT / "generator"), **(env or {})},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (dest / "pyproject.toml").is_file()
    assert "uv.lock" not in proc.stderr, proc.stderr
    return proc.stdout.splitlines()


def committed(project: Path) -> list[str]:
    """The files of the project's one commit; the work tree holds nothing else."""
    log = run(["git", "log", "--format=%s"], cwd=project).stdout.splitlines()
    assert len(log) == 1, log
    assert run(["git", "status", "--porcelain"], cwd=project).stdout == ""
    return run(["git", "ls-files"], cwd=project).stdout.splitlines()


@pytest.mark.slow
def test_an_unreachable_index_says_so_once_and_the_project_is_complete(
    tmp_path: Path,
) -> None:
    unreachable = {"UV_DEFAULT_INDEX": "http://127.0.0.1:9/simple", "UV_NO_CACHE": "1"}
    offline, told = tmp_path / "offline" / "shop", tmp_path / "told" / "shop"
    out = new(offline, *LEAN, env=unreachable)
    (line,) = [line for line in out if NOT_CREATED in line]
    assert "the package index may be out of reach" in line
    assert "run `uv lock` in the project" in line
    assert out[-1].strip() == LOCK_LATER_STEP  # the next steps: lock before building
    assert not (offline / "uv.lock").exists()
    # Reachable, but told not to: no lock, not a word about it, the same project.
    out = new(told, *LEAN, "--no-lock")
    assert not [line for line in out if NOT_CREATED in line]
    assert out[-1].strip() == LOCK_LATER_STEP
    assert not (told / "uv.lock").exists()
    assert "shop/__init__.py" in committed(offline)
    assert committed(offline) == committed(told)


@pytest.mark.slow
def test_lock_false_in_an_answers_file_skips_the_lock(tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.yml", {"lock": False})
    out = new(tmp_path / "site", *LEAN, "--no-git", "--answers", str(answers))
    assert not [line for line in out if NOT_CREATED in line]
    assert out[-1].strip() == LOCK_LATER_STEP
    assert not (tmp_path / "site" / "uv.lock").exists()
