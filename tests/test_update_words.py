"""`stackpick update` says what happened: git settings and symbolic links.

One project rendered at v90.0.0 of a throwaway template clone whose v90.1.0 retitles
the README. A user with `core.autocrlf=true` was always refused with a false "changed
while the update ran"; a README the user replaced by a symbolic link lost the
template's change under "no conflicts".
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from support import clone_template, commit_and_tag, retitle_readme, sh, stackpick

pytestmark = pytest.mark.slow

NEW_TITLE = "# {{ project_name }}, by the platform\n"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the template at v90.1.0, a committed project at v90.0.0)."""
    work = tmp_path_factory.mktemp("update-words")
    template = clone_template(work, "v90.0.0")
    project = work / "base"
    stackpick(
        "new", project, "--defaults", "--template", template, "--vcs-ref", "v90.0.0",
        "-d", "framework=flask", "-d", "project_name=Words", cwd=work,
    )  # fmt: skip
    retitle_readme(template, "flask", NEW_TITLE)
    commit_and_tag(template, "v90.1.0")
    return template, project


def copy_of(project: Path, where: Path) -> Path:
    copy = where / "project"
    shutil.copytree(project, copy, symlinks=True)
    return copy


def test_autocrlf_does_not_make_files_look_changed(
    rendered: tuple[Path, Path], tmp_path: Path
) -> None:
    _, base = rendered
    project = copy_of(base, tmp_path)
    config = tmp_path / "gitconfig"
    config.write_text("[core]\n\tautocrlf = true\n")
    env = {"GIT_CONFIG_GLOBAL": str(config)}
    assert sh("git", "status", "--porcelain", cwd=project, env=env).stdout == ""
    proc = stackpick("update", project, cwd=tmp_path, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    readme = (project / "README.md").read_bytes()
    assert readme.startswith(b"# Words, by the platform\n")
    assert b"\r\n" not in readme  # the user's LF files stay LF


def test_a_symlinked_file_the_template_changed_is_named(
    rendered: tuple[Path, Path], tmp_path: Path
) -> None:
    _, base = rendered
    project = copy_of(base, tmp_path)
    own = project / "docs" / "README-team.md"
    own.write_text("# Words, as the team keeps it\n")
    (project / "README.md").unlink()
    os.symlink("docs/README-team.md", project / "README.md")
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", "README is the team's page", cwd=project)
    proc = stackpick("update", project, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no conflicts" not in proc.stdout
    assert "README.md: your link (to docs/README-team.md) was kept" in proc.stdout
    assert os.readlink(project / "README.md") == "docs/README-team.md"
    assert own.read_text() == "# Words, as the team keeps it\n"
