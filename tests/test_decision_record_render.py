"""Every generated project explains its stack in docs/decisions/0001-*.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackpick import __version__
from stackpick.engine import recommend
from support import ROOT

RECORD = "docs/decisions/0001-web-framework.md"


def new(dest: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "stackpick",
            "new",
            str(dest),
            "--defaults",
            "--no-git",
            *args,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return (dest / RECORD).read_text()


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_record_names_decision_reasons_sources_and_version(
    tmp_path: Path, framework: str
) -> None:
    text = new(
        tmp_path / "site", "-d", "kind=ml_service", "-d", f"framework={framework}"
    )
    for heading in ("## Context", "## Decision", "## Consequences", "## Sources"):
        assert heading in text
    assert f"We use **{framework.capitalize()}**" in text
    assert f"stackpick {__version__}" in text
    assert "| Kind of app | ml_service |" in text
    assert "FastAPI deserves consideration" in text  # the caution for ML serving
    assert "Lycore" in text  # a source article named, not only its key
    for line in ("margin", "confidence"):
        assert line in text
    answers = yaml.safe_load((tmp_path / "site/.copier-answers.yml").read_text())
    factors = {k: v for k, v in answers.items() if not k.startswith("_")}
    rec = recommend(factors)
    for reason in rec.reasons:
        assert f"| +{reason.points} |" in text and f"`{reason.rule}`" in text
    assert ("Close call: **yes**" if rec.close_call else "Close call: no.") in text


def test_a_user_override_is_recorded(tmp_path: Path) -> None:
    text = new(tmp_path / "site", "-d", "framework=flask")  # the rules pick Django
    assert "We use **Flask**" in text
    assert "The rules pick Django; Flask was chosen by" in text
    assert "user" in text


def test_a_preset_pin_is_recorded_with_the_preset_name(tmp_path: Path) -> None:
    preset = tmp_path / "team.yml"
    preset.write_text(
        yaml.safe_dump(
            {"name": "Platform team standard", "pin": {"framework": "flask"}}
        )
    )
    text = new(tmp_path / "site", "--preset", str(preset))
    assert "- Team preset: Platform team standard" in text
    assert "Flask was chosen by\npreset: Platform team standard." in text


@pytest.mark.slow
def test_plain_copier_computes_the_same_record(tmp_path: Path) -> None:
    dest = tmp_path / "plain"
    proc = subprocess.run(
        [
            sys.executable, "-m", "copier", "copy", "--defaults", "--vcs-ref", "HEAD",
            "-d", "kind=ml_service", str(ROOT), str(dest),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = (dest / RECORD).read_text()
    assert "Decided with: stackpick (plain copier)" in text
    assert "`ml_model_serving`" in text and "FastAPI" in text


def test_record_explains_familiarity_and_cites_publisher_and_year(
    tmp_path: Path,
) -> None:
    text = new(tmp_path / "site", "-d", "familiar_with=flask")
    assert "We use **Flask**" in text
    assert "Your team knows Flask, so Flask stays: Django would need" in text
    assert '- S4: Lycore, "Flask vs Django' in text and "(2026)" in text
    assert '- S2: Jelvix, "What' in text and "(n.d.)" in text
