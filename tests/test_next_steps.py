"""What `stackpick new` prints at the end, and `--dry-run`, checked by real renders.

- The next steps are the generated README's "Start" commands, for every shape of
  project (no `db upgrade` without SQL; `create-admin` when there is an admin).
- The reproduce command, run as printed, makes the same project.
- `--dry-run` lists the files a render writes and writes nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from factors import QUESTIONS
from stackpick.render.lock import LOCK_LATER_STEP
from stackpick.render.plan import folder_defaults, name_from_folder
from support import without_lock


def stackpick(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`stackpick ARGS`; `new` with `--no-lock` (see `without_lock`)."""
    env = {k: v for k, v in os.environ.items() if k != "STACKPICK_PRESET"}
    return subprocess.run(
        [sys.executable, "-m", "stackpick", *without_lock(args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=300,
    )


def printed(out: str, after: str) -> list[str]:
    """The indented lines printed after the line `after`."""
    lines = out.splitlines()
    start = lines.index(after) + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        block.append(line[2:])
    return block


def readme_start(project: Path) -> list[str]:
    text = (project / "README.md").read_text()
    block = re.search(r"## Start\n\n```bash\n(.*?)\n```", text, re.S)
    assert block, text[:800]
    return block.group(1).splitlines()


SHAPES = {
    "flask-microservice": ["kind=microservice"],
    "flask-admin-sql": ["kind=internal_tool", "familiar_with=flask", "framework=flask"],
    "flask-documents": ["data=document", "needs_admin=true", "framework=flask"],
    "flask-accounts-no-data": ["kind=prototype", "data=none", "needs_auth=true"],
    "django-postgres": ["kind=saas", "database=postgresql"],
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_next_steps_are_the_readmes_start_section(tmp_path: Path, shape: str) -> None:
    data = [arg for pair in SHAPES[shape] for arg in ("--data", pair)]
    proc = stackpick("new", "proj", "--defaults", "--no-git", *data, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    project = tmp_path / "proj"
    steps = printed(proc.stdout, "Next:")
    assert steps[0] == f"cd {project}"
    assert steps[1:-2] == readme_start(project)
    # No uv.lock (--no-lock): the last step says to lock before building the image.
    assert steps[-2:] == ["python -m pytest", LOCK_LATER_STEP]
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    text = "\n".join(steps)
    sql = (
        answers["framework"] == "django"
        or answers["data"] == "relational"
        or (
            answers["data"] == "none"
            and (answers["needs_auth"] or answers["needs_admin"])
        )
    )
    if answers["framework"] == "flask":
        assert ("db upgrade" in text) == sql
        assert ("create-admin" in text) == answers["needs_admin"]
        assert (project / "migrations").is_dir() == sql
    else:
        assert "createsuperuser" in text and "docker compose up -d db" in text


@pytest.mark.slow
def test_the_reproduce_command_makes_the_same_project(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    proc = stackpick(
        "new", "ledger-hub", "--defaults", "--no-git",
        "--data", "kind=api", "--data", "team_size=5",
        "--data", "description=Ledgers, 'quoted' & shared",
        cwd=first,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (command,) = printed(
        proc.stdout, "To create the same project again, non-interactively:"
    )
    words = shlex.split(command)
    assert words[:4] == ["stackpick", "new", "ledger-hub", "--defaults"]
    given = [words[i + 1] for i, w in enumerate(words) if w == "--data"]
    # Only what differs from the defaults: the name comes from the folder again. The
    # pick is named too: on these three given answers the rules pick Flask, while the
    # defaults filled in (accounts, SQL, a long life) would vote for Django, so the
    # command says framework=flask and the same project comes out whatever is given.
    assert sorted(given) == [
        "description=Ledgers, 'quoted' & shared",
        "framework=flask",
        "kind=api",
        "team_size=5",
    ]
    again = stackpick(*words[1:], "--no-git", cwd=second)
    assert again.returncode == 0, again.stderr

    def answers(root: Path) -> dict:
        data = yaml.safe_load((root / "ledger-hub/.copier-answers.yml").read_text())
        data.pop("_commit")  # a dirty checkout gets a new throwaway commit per render
        return data

    assert answers(first) == answers(second)
    assert answers(first)["project_name"] == "Ledger Hub"


@pytest.mark.slow
def test_dry_run_lists_the_files_and_writes_nothing(tmp_path: Path) -> None:
    proc = stackpick(
        "new", "site-x", "--dry-run", "--defaults", "--data", "kind=ml_service",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []
    assert "Recommendation: Flask" in proc.stdout and "Summary" in proc.stdout
    assert "ml_service" in proc.stdout
    header = next(line for line in proc.stdout.splitlines() if "Would write" in line)
    files = printed(proc.stdout, header)
    count = int(header.split()[2])
    assert len(files) == count > 10
    real = stackpick("new", "site-x", "--defaults", "--no-git", "--data",
                     "kind=ml_service", cwd=tmp_path)  # fmt: skip
    assert real.returncode == 0, real.stderr
    written = sorted(
        str(p.relative_to(tmp_path / "site-x"))
        for p in (tmp_path / "site-x").rglob("*")
        if p.is_file()
    )
    assert files == written


def test_the_project_name_follows_the_folder() -> None:
    assert name_from_folder("ledger-hub") == "Ledger Hub"
    assert name_from_folder("~/code/my_site/") == "My Site"
    assert folder_defaults(QUESTIONS, "ledger-hub") == {"project_name": "Ledger Hub"}
    # `site` would make the package `site` (a standard-library module): keep "My Site".
    assert folder_defaults(QUESTIONS, "site") == {}
