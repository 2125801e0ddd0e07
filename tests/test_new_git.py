"""`stackpick new` and git: a first commit, `--no-git`, no identity, no git at all.

The first commit must never depend on (or change) the user's git configuration, and a
machine without git still gets its project, with a note saying why there is no repo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, copy_template

pytestmark = pytest.mark.slow


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any git identity or config from the outside."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_", "GIT_CONFIG"))
        and key != "EMAIL"
    }
    env.update(extra)
    return env


def stackpick(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stackpick", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env if env is not None else os.environ.copy(),
        timeout=300,
        check=False,
    )


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def plain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder (no .git), like the copy inside the wheel."""
    return copy_template(ROOT, tmp_path_factory.mktemp("plain-template") / "template")


def test_new_makes_a_repo_with_one_commit(tmp_path: Path) -> None:
    proc = stackpick("new", tmp_path / "p", "--defaults", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    project = tmp_path / "p"
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(project, "status", "--porcelain") == ""


def test_no_git_option_leaves_no_repo(tmp_path: Path) -> None:
    proc = stackpick("new", tmp_path / "p", "--defaults", "--no-git", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "p" / ".copier-answers.yml").is_file()
    assert not (tmp_path / "p" / ".git").exists()


def test_git_without_identity_commits_as_stackpick(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    proc = stackpick("new", tmp_path / "p", "--defaults", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    project = tmp_path / "p"
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"
    author = git(project, "log", "-1", "--format=%an|%cn").strip()
    assert author == "stackpick|stackpick"
    assert "note: git has no user configured" in proc.stdout + proc.stderr
    # The user's git configuration was neither created nor changed.
    assert not (home / ".gitconfig").exists()
    assert not (home / ".config" / "git").exists()
    assert not (project / ".git" / "config").read_text().count("[user]")


def test_without_git_the_project_is_still_rendered(
    tmp_path: Path, plain_template: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = clean_env(PATH=str(bin_dir))
    assert shutil.which("git", path=env["PATH"]) is None
    proc = stackpick(
        "new", tmp_path / "p", "--defaults", "--template", plain_template,
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    project = tmp_path / "p"
    assert (project / ".copier-answers.yml").is_file()
    assert (project / "README.md").is_file()
    assert not (project / ".git").exists()
    assert "git is not installed" in proc.stdout + proc.stderr
