"""The fleet's fast parts: versions, changelog sections, preset URLs, CLI refusals.

The fleet itself (real repositories, rendered projects) is tested in test_fleet.py.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from factors import QUESTIONS
from stackpick.cli import main
from stackpick.decide.presets import split_git_spec
from stackpick.errors import StackpickError
from stackpick.fleet.drift import answers_key
from stackpick.fleet.exports import TemplateExports
from stackpick.fleet.presets import PresetCache, preset_on_update
from stackpick.fleet.versions import Recorded, changelog_between, latest_release
from support import ROOT, commit_and_tag, sh

CHANGELOG = """# Changelog

Intro text that is no version.

## Unreleased

- Not tagged yet.

## v1.3.0

- Three.

## [1.2.0] - 2026-10-01

- Two.
  Continued.

## v1.1.0

- One.
"""


def test_changelog_lines_between_two_versions() -> None:
    lines = changelog_between(CHANGELOG, "v1.1.0", "v1.3.0")
    assert lines == [
        "## v1.3.0", "", "- Three.", "",
        "## [1.2.0] - 2026-10-01", "", "- Two.", "  Continued.",
    ]  # fmt: skip
    assert changelog_between(CHANGELOG, "v1.2.0", "v1.2.0") == []
    assert changelog_between(CHANGELOG, None, "v1.1.0") == ["## v1.1.0", "", "- One."]


def test_recorded_versions_as_copier_writes_them() -> None:
    assert Recorded.parse("v1.2.0").behind("v1.3.0")
    assert not Recorded.parse("v1.3.0").behind("v1.3.0")
    after_tag = Recorded.parse("v1.2.0-4-gabc1234")
    assert after_tag.tag == "v1.2.0" and after_tag.ahead == 4
    assert after_tag.behind("v1.3.0") and not after_tag.behind("v1.2.0")
    with pytest.raises(StackpickError, match="not a release tag"):
        Recorded.parse("d19a289").behind("v1.0.0")


def test_latest_release_skips_prereleases_and_other_tags() -> None:
    tags = ["v1.9.0", "v1.10.0", "v2.0.0rc1", "nightly", "v1.10.0-hotfix"]
    assert latest_release(tags) == "v1.10.0"
    assert latest_release(["nightly"]) is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "git+https://github.com/team/presets.git@v2#platform.yml",
            ("https://github.com/team/presets.git", "v2", "platform.yml"),
        ),
        (
            "git+https://github.com/team/presets.git#teams/web.yml",
            ("https://github.com/team/presets.git", None, "teams/web.yml"),
        ),
        (
            "git+git@github.com:team/presets.git@main#platform.yml",
            ("git@github.com:team/presets.git", "main", "platform.yml"),
        ),
        (
            "git+ssh://git@host/presets.git#p.yml",
            ("ssh://git@host/presets.git", None, "p.yml"),
        ),
    ],
)
def test_git_preset_specs(spec: str, expected: tuple[str, str | None, str]) -> None:
    assert split_git_spec(spec) == expected


def test_the_ci_pins_a_stackpick_range_that_holds_this_version() -> None:
    requirement = QUESTIONS.questions["stackpick_requirement"].default
    assert requirement.startswith("stackpick>=")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version in SpecifierSet(requirement.removeprefix("stackpick"))


def test_check_outside_a_project_cannot_tell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path), "--json"]) == 2
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["framework"] is None and data["problems"]
    assert "not a stackpick project" in err and len(err.strip().splitlines()) == 1


def test_status_and_update_refuse_without_projects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == 2
    assert main(["update", "--all-under", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--find" in err and "no stackpick projects below" in err


def test_equal_answers_share_one_render_key() -> None:
    base = {"project_name": "Twin Site", "framework": "flask"}
    key = answers_key("/t", "v1.0.0", base)
    # Copier's own records (`_commit`, `_src_path`) and the order are no difference.
    assert answers_key("/t", "v1.0.0", {**base, "_commit": "v1.0.0"}) == key
    assert answers_key("/t", "v1.0.0", dict(reversed(base.items()))) == key
    assert answers_key("/t", "v1.1.0", base) != key
    assert answers_key("/t", "v1.0.0", {**base, "project_name": "Other"}) != key


def small_template(tmp_path: Path) -> Path:
    """A git template whose v2 asks one question more than v1 (`status_page`)."""
    repo = tmp_path / "template"
    repo.mkdir()
    sh("git", "init", "-q", cwd=repo)
    questions = (
        "project_name:\n  type: str\n  default: Site\n"
        "project_slug:\n  type: str\n  default: site\n"
        "framework:\n  type: str\n  choices: [flask, django]\n  default: flask\n"
    )
    (repo / "copier.yml").write_text(questions)
    commit_and_tag(repo, "v1")
    (repo / "copier.yml").write_text(
        questions + "status_page:\n  type: bool\n  default: false\n"
    )
    commit_and_tag(repo, "v2")
    return repo


def test_a_preset_is_checked_against_the_version_it_goes_to(tmp_path: Path) -> None:
    template = small_template(tmp_path)
    preset = tmp_path / "platform.yml"
    preset.write_text("name: Platform\ndefaults:\n  status_page: true\n")
    presets = PresetCache(TemplateExports())
    with pytest.raises(StackpickError, match="unknown key 'status_page'"):
        presets.load(str(preset), str(template), "v1")
    answers = {"_src_path": str(template), "_commit": "v1", "framework": "flask"}
    source = str(preset)
    pins, recorded, new = preset_on_update(presets, source, answers, "v2")
    assert (pins, new) == ([], ["status_page=true"])
    assert recorded[0].startswith("preset_hash=sha256:")
    # Answered already (or a question v1 asked): the project's answer stands.
    assert (
        preset_on_update(presets, source, {**answers, "_commit": "v2"}, "v2")[2] == []
    )
    preset.write_text("name: Platform\ndefaults:\n  status_pages: true\n")
    with pytest.raises(StackpickError, match="did you mean 'status_page'"):
        preset_on_update(PresetCache(TemplateExports()), source, answers, "v2")
