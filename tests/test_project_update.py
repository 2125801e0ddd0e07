"""Updates that never lose work: render a tagged template, edit, update to a new tag.

Per framework, one throwaway clone of this repo is the template (tags v90.0.0 and
v90.1.0). Three projects are rendered from v90.0.0 once each:
- `proj`: the user edits it, then `stackpick update` brings v90.1.0 (a new file, and a
  README line both sides changed: a conflict with both texts);
- `plain`: plain `copier update` (no --trust) brings v90.1.0; the refusals (framework
  switch, dirty tree) run on it afterwards;
- `wheel`: rendered from a plain folder (the wheel case) with `--update-source` set to
  the clone, then updated to v90.1.0.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support import (
    clone_template,
    commit_and_tag,
    copy_template_folder,
    retitle_readme,
    sh,
    stackpick,
)

pytestmark = pytest.mark.slow

USER_TITLE = "# Update Demo, as the user titled it"
TEMPLATE_TITLE = "# Update Demo: new template title"
KEPT = (".env", "docs/decisions/0001-web-framework.md")
CHANGELOG = "# Changelog\n\n- Started from stackpick.\n"
# (includes/ file, text, its v90.1.0 text); the project files that render them.
SHARED_CHANGES = [
    ("includes/ci.jinja", "name: Lint, types and tests\n", "name: Checks\n"),
    ("includes/gitignore.jinja", "dist/\n", "dist/\n.mypy_cache/\n"),
]
SHARED_RENDERED = {
    ".github/workflows/ci.yml": "name: Checks\n",
    ".gitignore": ".mypy_cache/",
}


def copier(*args: str | Path, cwd: Path, check: bool = True):
    return sh(sys.executable, "-m", "copier", *args, cwd=cwd, check=check)


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def status(project: Path) -> str:
    return sh("git", "status", "--porcelain", cwd=project).stdout


def head(project: Path) -> str:
    return sh("git", "rev-parse", "HEAD", cwd=project).stdout.strip()


@dataclass
class Scenario:
    framework: str
    work: Path
    template: Path
    proj: Path
    plain: Path
    wheel: Path
    rendered: dict
    wheel_rendered: dict
    commits_after_new: int
    summary: str
    plain_update: subprocess.CompletedProcess
    wheel_summary: str
    version: str
    kept: dict[str, str]

    @property
    def other(self) -> str:
        return "django" if self.framework == "flask" else "flask"


@pytest.fixture(scope="module", params=["flask", "django"])
def scenario(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Scenario:
    from stackpick import __version__

    framework = request.param
    work = tmp_path_factory.mktemp(f"project-update-{framework}")
    template = clone_template(work, "v90.0.0")

    # The wheel case: the template as a plain folder at v90.0.0, no .git.
    folder = copy_template_folder(template, work / "plain-template")

    common = ("--defaults", "-d", f"framework={framework}")
    common += ("-d", "project_name=Update Demo")
    proj, plain, wheel = work / "proj", work / "plain", work / "wheel"
    for project in (proj, plain):
        stackpick(
            "new", project, *common, "--template", template, "--vcs-ref", "v90.0.0",
            cwd=work,
        )  # fmt: skip
    stackpick(
        "new", wheel, *common, "--template", folder, "--update-source", template,
        cwd=work,
    )  # fmt: skip
    rendered, wheel_rendered = answers(proj), answers(wheel)
    commits = int(sh("git", "rev-list", "--count", "HEAD", cwd=proj).stdout)

    # The user edits a file the template will not touch, adds their own file, and
    # rewrites the README's first line (the template changes that line too).
    with (proj / ".gitignore").open("a") as stream:
        stream.write("# user: local scratch\nscratch/\n")
    (proj / "notes").mkdir()
    (proj / "notes" / "mine.txt").write_text("the user's own file\n")
    readme = (proj / "README.md").read_text().splitlines(keepends=True)
    readme[0] = USER_TITLE + "\n"
    (proj / "README.md").write_text("".join(readme))
    sh("git", "add", "-A", cwd=proj)
    sh("git", "commit", "-qm", "User edits", cwd=proj)

    # Template v90.1.0: a new file, a different README title, and a change to two
    # parts both templates share (includes/): a macro's text and a `call` frame's.
    tdir = template / f"template-{framework}"
    (tdir / "CHANGELOG.md").write_text(CHANGELOG)
    retitle_readme(template, framework, "# {{ project_name }}: new template title\n")
    for part, old, new in SHARED_CHANGES:
        text = (template / part).read_text()
        (template / part).write_text(text.replace(old, new, 1))
    commit_and_tag(template, "v90.1.0")
    # The version the wheel project recorded must exist in its update source.
    if sh("git", "tag", "-l", f"v{__version__}", cwd=template).stdout.strip():
        sh("git", "tag", "-d", f"v{__version__}", cwd=template)
    sh("git", "tag", f"v{__version__}", "v90.0.0", cwd=template)

    # Generated per project and listed in `_skip_if_exists`: the update must keep them.
    kept = {name: (proj / name).read_text() for name in KEPT}
    summary = stackpick("update", proj, cwd=work).stdout
    plain_update = copier("update", "--defaults", "--skip-answered", plain, cwd=work)
    sh("git", "add", "-A", cwd=plain)
    sh("git", "commit", "-qm", "Update to v90.1.0", cwd=plain)
    wheel_summary = stackpick("update", wheel, "--vcs-ref", "v90.1.0", cwd=work).stdout
    return Scenario(
        framework, work, template, proj, plain, wheel, rendered, wheel_rendered,
        commits, summary, plain_update, wheel_summary, __version__, kept,
    )  # fmt: skip


def test_render_records_absolute_source_tag_and_commits(scenario: Scenario) -> None:
    assert scenario.rendered["_src_path"] == str(scenario.template)
    assert Path(scenario.rendered["_src_path"]).is_absolute()
    assert scenario.rendered["_commit"] == "v90.0.0"
    assert scenario.rendered["framework"] == scenario.framework
    assert scenario.commits_after_new == 1  # stackpick new made the first commit


def test_update_applies_the_new_version(scenario: Scenario) -> None:
    proj = scenario.proj
    assert answers(proj)["_commit"] == "v90.1.0"
    assert (proj / "CHANGELOG.md").read_text() == CHANGELOG
    assert "v90.0.0 -> v90.1.0" in scenario.summary
    assert "CHANGELOG.md" in scenario.summary
    # What both templates share updates like the rest, with plain copier too.
    for project in (proj, scenario.plain):
        for name, text in SHARED_RENDERED.items():
            assert text in (project / name).read_text(), (project.name, name)
    print(f"\n[{scenario.framework}] stackpick update summary:\n{scenario.summary}")


def test_update_keeps_user_edits_and_files(scenario: Scenario) -> None:
    proj = scenario.proj
    assert "# user: local scratch\nscratch/\n" in (proj / ".gitignore").read_text()
    assert (proj / "notes" / "mine.txt").read_text() == "the user's own file\n"
    for name, text in scenario.kept.items():
        assert (proj / name).read_text() == text, name


def test_conflict_is_marked_with_both_sides(scenario: Scenario) -> None:
    text = (scenario.proj / "README.md").read_text()
    assert "<<<<<<< before updating" in text
    assert ">>>>>>> after updating" in text
    assert USER_TITLE in text and TEMPLATE_TITLE in text
    assert text.index(USER_TITLE) < text.index(TEMPLATE_TITLE)
    assert "conflicts to resolve" in scenario.summary
    assert "README.md" in scenario.summary.split("conflicts to resolve")[1]


def test_plain_copier_update_without_trust(scenario: Scenario) -> None:
    plain = scenario.plain
    assert answers(plain)["_commit"] == "v90.1.0"
    assert (plain / "CHANGELOG.md").read_text() == CHANGELOG
    assert (plain / "README.md").read_text().startswith(TEMPLATE_TITLE + "\n")


def test_framework_switch_is_refused_by_stackpick(scenario: Scenario) -> None:
    plain = scenario.plain
    before = head(plain)
    proc = stackpick(
        "update", plain, "--data", f"framework={scenario.other}",
        cwd=scenario.work, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "framework" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert status(plain) == "" and head(plain) == before


def test_framework_switch_is_refused_by_plain_copier(scenario: Scenario) -> None:
    plain = scenario.plain
    before = head(plain)
    proc = copier(
        "update", "--defaults", "-d", f"framework={scenario.other}", plain,
        cwd=scenario.work, check=False,
    )  # fmt: skip
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "changing the framework on update is not supported" in proc.stderr
    assert status(plain) == "" and head(plain) == before
    assert answers(plain)["framework"] == scenario.framework
    other_only = "manage.py" if scenario.other == "django" else "wsgi.py"
    assert not (plain / other_only).exists()  # no file of the other framework


def test_dirty_tree_is_refused_and_kept(scenario: Scenario) -> None:
    plain = scenario.plain
    readme = plain / "README.md"
    original = readme.read_text()
    readme.write_text("uncommitted work\n")
    try:
        proc = stackpick("update", plain, cwd=scenario.work, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "uncommitted" in proc.stderr
        assert readme.read_text() == "uncommitted work\n"
        assert answers(plain)["_commit"] == "v90.1.0"
    finally:
        readme.write_text(original)
    assert status(plain) == ""


def test_not_a_project_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = stackpick("update", empty, cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "not a stackpick project" in proc.stderr
    assert list(empty.iterdir()) == []


def test_wheel_render_records_update_source_and_version(scenario: Scenario) -> None:
    recorded = scenario.wheel_rendered
    assert recorded["_src_path"] == str(scenario.template)
    assert recorded["_commit"] == f"v{scenario.version}"


def test_wheel_project_updates_from_its_source(scenario: Scenario) -> None:
    wheel = scenario.wheel
    assert answers(wheel)["_commit"] == "v90.1.0"
    assert answers(wheel)["_src_path"] == str(scenario.template)
    assert (wheel / "CHANGELOG.md").read_text() == CHANGELOG
    assert (wheel / "README.md").read_text().startswith(TEMPLATE_TITLE + "\n")
    assert f"v{scenario.version} -> v90.1.0" in scenario.wheel_summary
