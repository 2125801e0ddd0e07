"""Secrets in generated projects: one per project, only in the git-ignored .env."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from support import run_stackpick

SECRET_LINE = re.compile(r"^(?:DJANGO_)?SECRET_KEY=(.+)$", re.MULTILINE)


def render(dest: Path, framework: str) -> str:
    run_stackpick("new", dest, "--defaults", "-d", f"framework={framework}", check=True)
    match = SECRET_LINE.search((dest / ".env").read_text())
    assert match, ".env holds no secret key"
    return match.group(1).strip()


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_secret_is_random_per_project_and_never_tracked(
    tmp_path: Path, framework: str
) -> None:
    first = render(tmp_path / "one", framework)
    second = render(tmp_path / "two", framework)
    assert first != second
    assert len(first) >= 50
    project = tmp_path / "one"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".env" not in tracked and ".env.example" in tracked
    for name in tracked:
        assert first not in (project / name).read_text(errors="replace"), name
    ignored = subprocess.run(
        ["git", "check-ignore", ".env"], cwd=project, capture_output=True, text=True
    )
    assert ignored.returncode == 0, ".env is not git-ignored"
    # Copier must not have stored it either.
    assert "secret" not in (project / ".copier-answers.yml").read_text().lower()
