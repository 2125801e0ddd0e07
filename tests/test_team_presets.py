"""Team presets: pins, defaults and forbids, their precedence, and bad preset files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from factors import QUESTIONS
from stackpick.decide.answers import Request, gather
from stackpick.errors import StackpickError
from support import run_stackpick

PLATFORM = {
    "name": "Platform team standard",
    "pin": {"framework": "django", "database": "postgresql"},
    "defaults": {"team_size": 6},
    "forbid": {"database": {"sqlite": "Production parity - use PostgreSQL."}},
}


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    return write(tmp_path / "platform.yml", PLATFORM)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_stackpick(*args, env={**os.environ, **(env or {})}, timeout=120)


def test_pin_beats_the_rules_and_json_shows_both(platform: Path) -> None:
    proc = cli(
        "recommend", "--json", "--preset", str(platform),
        "-d", "kind=microservice", "-d", "data=none", "-d", "needs_auth=false",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["framework"] == "django"
    assert data["rules_framework"] == "flask"
    assert data["overridden_by"] == "preset: Platform team standard"


def test_human_output_shows_both_picks(platform: Path) -> None:
    proc = cli(
        "recommend", "--preset", str(platform), "-d", "kind=microservice",
        "-d", "data=none", "-d", "needs_auth=false",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Recommendation: Django" in proc.stdout
    assert "The rules pick Flask" in proc.stdout
    assert "preset: Platform team standard" in proc.stdout


def test_environment_variable_names_the_default_preset(platform: Path) -> None:
    proc = cli("recommend", "--json", env={"STACKPICK_PRESET": str(platform)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["framework"] == "django"


def test_flag_beats_the_environment_variable(platform: Path, tmp_path: Path) -> None:
    flask_team = write(
        tmp_path / "flask.yml", {"name": "F", "pin": {"framework": "flask"}}
    )
    proc = cli(
        "recommend", "--json", "--preset", str(flask_team),
        env={"STACKPICK_PRESET": str(platform)},
    )  # fmt: skip
    assert json.loads(proc.stdout)["framework"] == "flask"


def test_contradicting_a_pin_is_refused_with_the_team_named(platform: Path) -> None:
    proc = cli("recommend", "--preset", str(platform), "-d", "framework=flask")
    assert proc.returncode == 2
    assert (
        "Platform team standard" in proc.stderr
        and "pins framework=django" in proc.stderr
    )


def test_forbidden_value_is_refused_with_the_teams_reason(tmp_path: Path) -> None:
    preset = write(tmp_path / "p.yml", {"name": "T", "forbid": PLATFORM["forbid"]})
    proc = cli("recommend", "--preset", str(preset), "-d", "database=sqlite")
    assert proc.returncode == 2
    assert "Production parity - use PostgreSQL." in proc.stderr
    # The built-in default (sqlite) is refused too, not silently kept.
    proc = cli("recommend", "--preset", str(preset))
    assert proc.returncode == 2 and "Production parity" in proc.stderr


def resolve(tmp_path: Path, preset: dict[str, Any], **sources: Any) -> dict[str, Any]:
    path = write(tmp_path / "preset.yml", preset)
    request = Request(preset_file=path, **sources)
    return gather(QUESTIONS, request).answers


def test_precedence_pin_data_answers_preset_defaults_builtin(tmp_path: Path) -> None:
    preset = {
        "name": "P",
        "pin": {"size": "large"},
        "defaults": {"team_size": 6, "lifetime": "short"},
    }
    answers_file = write(tmp_path / "a.yml", {"team_size": 3, "experience": "beginner"})
    got = resolve(
        tmp_path,
        preset,
        answers_file=answers_file,
        data=["experience=experienced"],
    )
    assert got["size"] == "large"  # pin
    assert got["experience"] == "experienced"  # --data over --answers
    assert got["team_size"] == 3  # --answers over preset defaults
    assert got["lifetime"] == "short"  # preset defaults over built-in
    assert got["kind"] == "website"  # built-in default


def test_data_that_repeats_a_pin_is_fine(tmp_path: Path) -> None:
    got = resolve(
        tmp_path, {"name": "P", "pin": {"size": "large"}}, data=["size=large"]
    )
    assert got["size"] == "large"


def test_preset_defaults_are_asked_and_pins_are_not(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.yml",
        {"name": "P", "pin": {"kind": "saas"}, "defaults": {"team_size": 6}},
    )
    offered: dict[str, Any] = {}

    def ask(question, default, context):
        offered[question.name] = default
        return default

    outcome = gather(QUESTIONS, Request(preset_file=path), ask=ask)
    assert "kind" not in offered
    assert offered["team_size"] == 6
    assert outcome.answers["kind"] == "saas"
    assert outcome.preset and outcome.answers["preset_name"] == "P"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"name": "X", "pins": {}}, "unknown key 'pins' (did you mean 'pin'?)"),
        ({"name": "X", "pin": {"framwork": "django"}}, "did you mean 'framework'"),
        ({"name": "X", "pin": {"framework": "rails"}}, "not one of: flask, django"),
        ({"name": "X", "defaults": {"team_size": "many"}}, "whole number"),
        ({"name": "X", "pin": ["framework"]}, "must be a mapping"),
        ({"name": "X", "forbid": {"database": "sqlite"}}, "reason"),
        (
            {
                "name": "X",
                "pin": {"database": "sqlite"},
                "forbid": {"database": {"sqlite": "no"}},
            },
            "both pinned and forbidden",
        ),
        ("- just\n- a list\n", "mapping"),
        ("name: [unclosed\n", "invalid YAML at line"),
    ],
)
def test_bad_presets_are_refused_naming_the_problem(
    tmp_path: Path, content: Any, message: str
) -> None:
    path = write(tmp_path / "bad.yml", content)
    with pytest.raises(StackpickError, match=None) as error:
        gather(QUESTIONS, Request(preset_file=path))
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_missing_preset_file_exits_2(tmp_path: Path) -> None:
    proc = cli("recommend", "--preset", str(tmp_path / "nope.yml"))
    assert proc.returncode == 2
    assert "preset file not found" in proc.stderr
