"""The factor space of the questionnaire, read from copier.yml, for exhaustive and
property-based tests of the engine."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from stackpick.decide.answers import computed_values
from stackpick.decide.questions import Questionnaire
from support import ROOT

QUESTIONS = Questionnaire(ROOT / "copier.yml")
# Questions that describe the project but are not factors of the rules.
NOT_FACTORS = {"project_name", "project_slug", "description", "framework"}


def factor_questions() -> list[Any]:
    return [q for q in QUESTIONS.public() if q.name not in NOT_FACTORS]


def factor_strategy() -> st.SearchStrategy[dict[str, Any]]:
    """Any valid factor answers (including follow-ups that do not apply)."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for q in factor_questions():
        if q.choices:
            fields[q.name] = st.sampled_from(q.choice_values())
        elif q.type == "bool":
            fields[q.name] = st.booleans()
        elif q.type == "int":
            fields[q.name] = st.integers(min_value=1, max_value=60)
        else:  # pragma: no cover - a new factor type needs a strategy here
            raise AssertionError(f"no strategy for {q.name} ({q.type})")
    return st.fixed_dictionaries(fields)


def defaults() -> dict[str, Any]:
    """Every factor at its template default."""
    answers = QUESTIONS.resolve({}, computed=computed_values())
    return {q.name: answers[q.name] for q in factor_questions()}
