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
from stackpick.fleet.versions import Recorded, changelog_between, latest_release
from support import ROOT

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
