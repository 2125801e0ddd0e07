"""copier.yml's plain expressions give what Jinja gives, without loading Jinja.

stackpick evaluates a one-line `{{ ... }}` of names, lookups, comparisons and
`and`/`or`/`not` itself (stackpick/decide/expressions.py); everything else is
rendered by Jinja. These tests hold the two equal on every plain expression in
copier.yml, over random answers, with and without some answers missing.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factors import QUESTIONS, factor_strategy
from stackpick.decide.answers import Request, gather
from stackpick.decide.expressions import NotPlain, is_plain, render_plain


def copier_expressions() -> list[str]:
    """Every Jinja string of copier.yml's questions: defaults, conditions, checks."""
    found: list[str] = []
    for question in QUESTIONS.questions.values():
        for value in (question.default, question.when, question.validator):
            if isinstance(value, str) and "{" in value:
                found.append(value)
    return found


PLAIN = [e for e in copier_expressions() if is_plain(e)]


def test_most_of_copier_yml_is_plain_and_the_rest_is_jinja() -> None:
    """The kind's defaults, the follow-ups' conditions and the derived flags are
    plain; the slug, the validators and the rule evaluator stay Jinja."""
    assert len(PLAIN) >= 25
    assert "{{ follow_defaults.needs_auth }}" in PLAIN
    assert "{{ data == 'relational' or (data == 'none' and has_users) }}" in PLAIN
    slug = QUESTIONS.questions["project_slug"]
    assert slug.default not in PLAIN and slug.validator not in PLAIN
    assert QUESTIONS.questions["recommendation"].default not in PLAIN


@settings(max_examples=60, deadline=None)
@given(answers=factor_strategy(), seed=st.integers(0, 2**16))
def test_plain_expressions_render_as_jinja_renders_them(
    answers: dict[str, Any], seed: int
) -> None:
    from stackpick.decide.answers import computed_values

    try:
        context = gather(
            QUESTIONS,
            Request(
                data=[
                    f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                    for k, v in answers.items()
                ]
            ),
        ).answers
    except Exception:  # a combination the rules refuse: nothing to render
        return
    computed = computed_values()
    context["kind_defaults"] = computed["kind_defaults"](context)
    context["follow_defaults"] = computed["follow_defaults"](context)
    rng = random.Random(seed)
    partial = {k: v for k, v in context.items() if rng.random() < 0.8}
    for ctx in (context, partial):
        for expression in PLAIN:
            try:
                ours = render_plain(expression, QUESTIONS._full_context(ctx))
            except NotPlain:
                continue  # a missing name: Jinja renders it, as the questions do
            assert ours == QUESTIONS.render_with_jinja(expression, ctx), expression


@pytest.mark.parametrize(
    "template",
    [
        "{{ project_name | lower }}",  # a filter
        "{{ preset_source is defined }}",  # a test
        "{% if a %}x{% endif %}",  # a block
        "{{ a }} and {{ b }}",  # two expressions
        "{{ missing }}",  # undefined: Jinja's Undefined decides
        "{{ mapping.items }}",  # a method of the mapping, not its key
        "{{ a + 1 }}",  # arithmetic is not in the subset
        "{{ a < b }}",  # nor are orderings
        "{{ None }}",  # nor Python's None (Jinja spells it none)
        "{{ f(a) }}",  # nor calls
    ],
)
def test_anything_else_is_left_to_jinja(template: str) -> None:
    context = {"a": 1, "b": 2, "mapping": {"items": 3}, "project_name": "X"}
    with pytest.raises(NotPlain):
        render_plain(template, context)


@pytest.mark.parametrize(
    ("template", "context", "expected"),
    [
        ("{{ kind_defaults.size }}", {"kind_defaults": {"size": "small"}}, "small"),
        ("{{ a or b }}", {"a": False, "b": True}, "True"),
        ("{{ a and b }}", {"a": 0, "b": True}, "0"),
        ("{{ a and missing }}", {"a": False}, "False"),  # never reaches the name
        ("{{ not a }}", {"a": ""}, "True"),
        ("{{ a == 'x' }}", {"a": "x"}, "True"),
        ("{{ a != 'x' }}", {"a": "x"}, "False"),
        ("{{ a in ['x', 'y'] }}", {"a": "y"}, "True"),
        ("{{ true and a }}", {"a": "yes"}, "yes"),
    ],
)
def test_the_plain_subset(template: str, context: dict, expected: str) -> None:
    assert render_plain(template, context) == expected
    assert QUESTIONS.render_with_jinja(template, context) == expected
