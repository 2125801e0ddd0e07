"""copier.yml computes the same recommendation as the engine, from the same rules file.

Plain `copier copy` evaluates the rules in Jinja (the `recommendation` question's
default); stackpick runs the Python engine. These tests hold the two equal: every
kind x size x data combination through real Copier runs, and 2000 hypothesis samples
through copier.yml's own expression rendered by Copier's own Jinja environment.
"""

from __future__ import annotations

import itertools
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from factors import QUESTIONS, factor_questions, factor_strategy
from stackpick.engine import recommend
from support import ROOT, copy_template

# The keys plain copier computes (stackpick adds rules_framework and overridden_by).
COPIER_KEYS = (
    "framework",
    "scores",
    "margin",
    "confidence",
    "close_call",
    "reasons",
    "notes",
    "extensions",
)


def engine_view(answers: dict[str, Any]) -> dict[str, Any]:
    full = recommend(answers).to_dict()
    return {key: full[key] for key in COPIER_KEYS}


@pytest.fixture(scope="module")
def plain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder: Copier renders it without cloning."""
    return copy_template(ROOT, tmp_path_factory.mktemp("template"))


def copier_answers(template: Path, data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    from copier import run_copy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker = run_copy(
            str(template), tmp, data=data, defaults=True, pretend=True, quiet=True
        )
    return worker.answers.combined


@pytest.mark.slow
def test_copier_framework_default_matches_engine_for_every_kind_size_data(
    plain_template: Path, tmp_path: Path
) -> None:
    choices = {q.name: q for q in factor_questions()}
    rng = random.Random(2026)
    combos = list(
        itertools.product(
            choices["kind"].choice_values(),
            choices["size"].choice_values(),
            choices["data"].choice_values(),
        )
    )
    assert len(combos) == 81
    mismatches = []
    for kind, size, data in combos:
        answers = {
            q.name: (
                rng.choice(q.choice_values())
                if q.choices
                else rng.random() < 0.5
                if q.type == "bool"
                else rng.randint(1, 12)
            )
            for q in choices.values()
        }
        answers.update(kind=kind, size=size, data=data)
        got = copier_answers(plain_template, answers, tmp_path / "out")
        copier_view = {key: got["recommendation"][key] for key in COPIER_KEYS}
        if (
            copier_view != engine_view(answers)
            or got["framework"] != copier_view["framework"]
        ):
            mismatches.append((answers, copier_view))
    assert not mismatches, mismatches[:2]


@pytest.fixture(scope="module")
def copier_expression(plain_template: Path):
    """copier.yml's `recommendation` default, compiled by Copier's Jinja environment."""
    from copier._main import Worker

    worker = Worker(src_path=str(plain_template), dst_path=plain_template / "x")
    env = worker.jinja_env
    question = QUESTIONS.questions["recommendation"]
    rules_data = QUESTIONS.questions["rules_data"].default
    template = env.from_string(question.default)
    return lambda answers: template.render({**answers, "rules_data": rules_data})


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(answers=factor_strategy())
def test_copier_expression_matches_engine(copier_expression, answers) -> None:
    import json

    computed = json.loads(copier_expression(answers))
    assert computed == engine_view(answers)
