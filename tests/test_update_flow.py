"""Living projects: render from a tagged template, edit as a user, update to a new tag.

For each framework: the template change lands, the user's edits and files stay, a
real conflict is marked with both sides, the new version is recorded, and a framework
switch or a dirty tree is refused. The template is a throwaway clone of this repo.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support import ROOT

pytestmark = pytest.mark.slow

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "user@example.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "user@example.invalid",
}


def sh(*cmd: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **IDENTITY},
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc


def stackpick(*args: str | Path, cwd: Path, check: bool = True):
    return sh(sys.executable, "-m", "stackpick", *args, cwd=cwd, check=check)


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


@pytest.fixture(scope="module", params=["flask", "django"])
def updated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    framework = request.param
    work = tmp_path_factory.mktemp(f"update-{framework}")
    template = work / "template"
    sh("git", "clone", "-q", ROOT, template, cwd=work)
    sh("git", "tag", "v90.0.0", cwd=template)

    project = work / "project"
    stackpick(
        "new", project, "--defaults", "--template", template, "--vcs-ref", "v90.0.0",
        "-d", f"framework={framework}", "-d", "project_name=Update Demo",
        cwd=work,
    )  # fmt: skip
    rendered = answers(project)
    log = sh("git", "log", "--oneline", cwd=project).stdout.splitlines()

    # The user edits a file the template will not touch, adds their own file, and
    # rewrites the README's first line (the template will change that line too).
    with (project / ".gitignore").open("a") as stream:
        stream.write("# user: local scratch\nscratch/\n")
    (project / "notes").mkdir()
    (project / "notes" / "mine.txt").write_text("the user's own file\n")
    readme = (project / "README.md").read_text().splitlines(keepends=True)
    readme[0] = "# Update Demo, as the user titled it\n"
    (project / "README.md").write_text("".join(readme))
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", "User edits", cwd=project)

    # A new template version: a new file, and a different README first line.
    tdir = template / f"template-{framework}"
    (tdir / "CHANGELOG.md").write_text("# Changelog\n\n- Started from stackpick.\n")
    lines = (tdir / "README.md.jinja").read_text().splitlines(keepends=True)
    lines[0] = "# {{ project_name }}: new template title\n"
    (tdir / "README.md.jinja").write_text("".join(lines))
    sh("git", "add", "-A", cwd=template)
    sh("git", "commit", "-qm", "Template v90.1.0", cwd=template)
    sh("git", "tag", "v90.1.0", cwd=template)

    summary = stackpick("update", project, cwd=work).stdout
    return framework, project, template, rendered, log, summary


def test_render_recorded_source_and_version(updated) -> None:
    _, _, template, rendered, log, _ = updated
    assert rendered["_src_path"] == str(template)
    assert rendered["_commit"] == "v90.0.0"
    assert len(log) == 1  # stackpick new made the first commit


def test_update_applies_template_change_and_records_version(updated) -> None:
    _, project, _, _, _, summary = updated
    assert (project / "CHANGELOG.md").read_text().startswith("# Changelog")
    assert answers(project)["_commit"] == "v90.1.0"
    assert "v90.0.0 -> v90.1.0" in summary
    assert "CHANGELOG.md" in summary


def test_update_keeps_user_edits_and_files(updated) -> None:
    _, project, *_ = updated
    assert "scratch/" in (project / ".gitignore").read_text()
    assert (project / "notes" / "mine.txt").read_text() == "the user's own file\n"


def test_conflict_is_marked_with_both_sides(updated) -> None:
    _, project, _, _, _, summary = updated
    text = (project / "README.md").read_text()
    assert "<<<<<<< before updating" in text and ">>>>>>> after updating" in text
    assert "# Update Demo, as the user titled it" in text
    assert "# Update Demo: new template title" in text
    assert "conflicts to resolve" in summary and "README.md" in summary


def test_framework_switch_and_dirty_tree_are_refused(updated) -> None:
    framework, project, *_ = updated
    other = "django" if framework == "flask" else "flask"
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", "Resolve the update", cwd=project)
    before = sh("git", "rev-parse", "HEAD", cwd=project).stdout

    proc = stackpick(
        "update", project, "--data", f"framework={other}", cwd=project, check=False
    )
    assert proc.returncode == 2 and "framework" in proc.stderr
    assert "Traceback" not in proc.stderr

    proc = sh(
        sys.executable, "-m", "copier", "update", "--defaults", "-d",
        f"framework={other}", project, cwd=project, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "changing the framework on update is not supported" in proc.stderr
    assert sh("git", "status", "--porcelain", cwd=project).stdout == ""
    assert sh("git", "rev-parse", "HEAD", cwd=project).stdout == before
    marker = "manage.py" if other == "django" else "wsgi.py"
    assert not (project / marker).exists()  # no file of the other framework

    (project / "README.md").write_text("uncommitted work\n")
    proc = stackpick("update", project, cwd=project, check=False)
    assert proc.returncode == 2 and "uncommitted changes" in proc.stderr
    assert (project / "README.md").read_text() == "uncommitted work\n"
