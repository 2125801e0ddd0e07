"""Every generated project explains its stack in docs/decisions/0001-*.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackpick import __version__
from stackpick.decide.engine import recommend
from support import ROOT, run_stackpick

RECORD = "docs/decisions/0001-web-framework.md"


def new(dest: Path, *args: str) -> str:
    run_stackpick("new", dest, "--defaults", "--no-git", *args, check=True)
    return (dest / RECORD).read_text()


def without_date_and_version(record: str) -> str:
    """The record minus the two lines that differ by day and by tool version."""
    lines = record.splitlines(keepends=True)
    kept = [
        line for line in lines if not line.startswith(("- Date: ", "- Decided with: "))
    ]
    assert len(lines) - len(kept) == 2, record
    return "".join(kept)


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
    # Only kind (and framework) were given: the rest voted not, and show as assumed.
    rec = recommend(factors, given={"kind", "framework"})
    for reason in rec.reasons:
        assert f"| +{reason.points} |" in text and f"`{reason.rule}`" in text
    for reason in rec.assumed:
        assert f"| (+{reason.points}) | {reason.framework.capitalize()} | `" in text
        assert f"`{reason.rule}`" in text
    assert "| Maintenance | long (assumed) |" in text
    assert "| JSON API | yes (implied) |" in text  # an ML serving API is an API
    assert ("Close call: **yes**" if rec.close_call else "Close call: no.") in text
    assert "## What would make us revisit this" in text


def test_a_user_override_is_recorded(tmp_path: Path) -> None:
    text = new(tmp_path / "site", "-d", "framework=flask")
    answers = yaml.safe_load((tmp_path / "site/.copier-answers.yml").read_text())
    factors = {k: v for k, v in answers.items() if not k.startswith("_")}
    assert recommend(factors).rules_framework == "django"  # the premise
    assert "We use **Flask**" in text
    # Who overrode the rules, by the name stackpick gives a --data answer.
    assert "The rules pick Django; Flask was chosen by\nuser.\n" in text
    # The same answers without the override: the rules' pick, and no such sentence.
    followed = new(tmp_path / "followed")
    assert "We use **Django**" in followed and "was chosen by" not in followed


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
    assert "- Decided with: stackpick (plain copier)\n" in text
    ours = new(tmp_path / "stackpick", "-d", "kind=ml_service")
    # Plain copier cannot tell given answers from its --defaults, and says so.
    assert "plain `copier copy` cannot tell the answers you gave" in text
    assert "Not worked out here: plain copier" in text
    for same in ("# 1. Web framework: ", "We use **", "## Consequences"):
        line = next(x for x in ours.splitlines() if x.startswith(same))
        assert line in text.splitlines()
    assert "`ml_model_serving`" in text and "FastAPI" in text


def test_record_explains_familiarity_and_cites_publisher_and_year(
    tmp_path: Path,
) -> None:
    shape = ("kind=website", "needs_auth=true", "data=relational", "lifetime=long")
    argv = [arg for pair in shape for arg in ("-d", pair)]
    text = new(tmp_path / "site", "-d", "familiar_with=flask", *argv)
    assert "We use **Flask**" in text
    assert "Your team knows Flask, so Flask stays: Django would need" in text
    assert '- S4: Lycore, "Flask vs Django' in text and "(2026)" in text
    assert '- S2: Jelvix, "What' in text and "(n.d.)" in text
