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
from stackpick.decide.engine import recommend
from stackpick.decide.rules import load_rules
from stackpick.errors import StackpickError
from support import ROOT, copier_jinja_env, copy_template_folder

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
    "familiarity",
    "ruled_out",
)


def engine_view(answers: dict[str, Any]) -> dict[str, Any]:
    full = recommend(answers).to_dict()
    return {key: full[key] for key in COPIER_KEYS}


@pytest.fixture(scope="module")
def plain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder: Copier renders it without cloning."""
    return copy_template_folder(ROOT, tmp_path_factory.mktemp("template"))


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
        pick = engine_view(answers)["framework"]
        if load_rules().refusal_line({**answers, "framework": pick}):
            # Refused by stackpick, and by copier's validators too.
            from copier.errors import CopierError

            with pytest.raises((CopierError, ValueError), match=" with "):
                copier_answers(plain_template, answers, tmp_path / "out")
            continue
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
    env = copier_jinja_env(plain_template, plain_template.parent / "x")
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


def stackpick_answers(data: dict[str, Any]) -> dict[str, Any]:
    """What `stackpick new --defaults --data ...` resolves for these answers."""
    from stackpick.decide.answers import Request, gather

    pairs = [
        f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in data.items()
    ]
    return gather(QUESTIONS, Request(data=pairs)).answers


def partial_answers() -> list[dict[str, Any]]:
    """Every kind alone, and every kind with a few other answers drawn at random."""
    rng = random.Random(10)
    factors = [q for q in factor_questions() if q.name != "kind"]
    cases: list[dict[str, Any]] = []
    for kind in QUESTIONS.questions["kind"].choice_values():
        cases.append({"kind": kind})
        for _ in range(3):
            case = {"kind": kind}
            for q in rng.sample(factors, 3):
                case[q.name] = (
                    rng.choice(q.choice_values())
                    if q.choices
                    else rng.random() < 0.5
                    if q.type == "bool"
                    else rng.randint(1, 12)
                )
            cases.append(case)
    return cases


@pytest.mark.slow
def test_partial_answers_take_the_same_kind_defaults_and_pick(
    plain_template: Path, tmp_path: Path
) -> None:
    """Plain `copier copy --defaults` fills the unanswered questions from the kind's
    defaults exactly as stackpick does, and evaluates the rules on them as the engine
    does on complete answers. It cannot tell the filled-in answers from given ones
    (its decision record says so); stackpick weighs only the given ones."""
    from copier.errors import CopierError

    compared = refused = 0
    for data in partial_answers():
        try:
            ours = stackpick_answers(data)
        except StackpickError:
            with pytest.raises((CopierError, ValueError)):
                copier_answers(plain_template, data, tmp_path / "out")
            refused += 1
            continue
        theirs = copier_answers(plain_template, data, tmp_path / "out")
        for q in factor_questions():
            assert theirs[q.name] == ours[q.name], (data, q.name)
        view = {key: theirs["recommendation"][key] for key in COPIER_KEYS}
        assert view == engine_view(ours), data
        assert theirs["framework"] == view["framework"]
        weighed = recommend(ours, given=set(data))
        assert ours["framework"] == weighed.rules_framework, data
        compared += 1
    assert compared >= 30 and compared + refused == 36


def test_every_kind_default_is_compatible_and_follows_the_table() -> None:
    ruleset = load_rules()
    assert set(ruleset.kind_defaults) == set(
        QUESTIONS.questions["kind"].choice_values()
    )
    for kind in ruleset.kind_defaults:
        answers = stackpick_answers({"kind": kind})
        for key, value in ruleset.defaults_for(kind).items():
            assert answers[key] == value, (kind, key)
        assert ruleset.refusal_line(answers) == ""


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (
            {"framework": "django", "data": "document"},
            "framework=django with data=document",
        ),
        ({"kind": "api", "needs_api": False}, "html_pages=false with needs_api=false"),
        ({"html_pages": False}, "html_pages=false with needs_api=false"),
        (
            {"data": "document", "database": "postgresql"},
            "database=postgresql with data=document",
        ),
        (
            {"kind": "microservice", "database": "postgresql"},
            "database=postgresql with data=none with needs_auth=false",
        ),
    ],
)
def test_copier_validators_refuse_what_stackpick_refuses(
    plain_template: Path, tmp_path: Path, data: dict[str, Any], named: str
) -> None:
    with pytest.raises(StackpickError) as ours:
        stackpick_answers(data)
    assert named in str(ours.value)
    from copier.errors import CopierError

    with pytest.raises((CopierError, ValueError)) as theirs:
        copier_answers(plain_template, data, tmp_path / "out")
    assert named in str(theirs.value)


def test_readme_answers_table_shows_the_kind_defaults() -> None:
    """README's table is the data's: each kind's differences and the pick they give."""
    from stackpick.decide.rules import load_rules

    readme = (ROOT / "README.md").read_text()
    ruleset = load_rules()

    def shown(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    base = ", ".join(f"{k}={shown(v)}" for k, v in ruleset.base_defaults.items())
    assert base in " ".join(readme.split())
    for kind, entry in ruleset.kind_defaults.items():
        differs = ", ".join(f"{k}={shown(v)}" for k, v in entry.differs.items())
        pick = recommend({**entry.answers, "kind": kind}).framework.capitalize()
        row = f"| {kind} | {differs or '(the base profile)'} | {pick} | {entry.why}"
        assert row in readme, row
