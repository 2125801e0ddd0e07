"""Every rule of the spec (/work/shared/rules-from-the-literature.md), as shipped.

The parity tests compare two readers of rules.yaml, so a changed framework, strength
or condition in the file passes them: this table pins what the spec says for each
rule (framework, strength and so points, condition) and the confidence bands. The
rules' wording (`why`) and sources are the advice's to improve and are not pinned.
"""

from __future__ import annotations

from typing import Any

import pytest

from stackpick.decide.engine import recommend
from stackpick.decide.rules import load_rules

ANY_KIND = [
    "website", "saas", "content", "internal_tool", "api", "microservice",
    "ml_service", "learning",
]  # fmt: skip

# (the spec's words, rule id, framework, strength, condition as in rules.yaml)
SPEC: list[tuple[str, str, str, str, list[dict[str, Any]]]] = [
    # Project shape
    ("Large or highly complex project", "large_project", "django", "strong",
     [{"size": ["large"]}]),
    ("Small or medium project, built up gradually", "small_project", "flask",
     "moderate", [{"size": ["small", "medium"]}]),
    ("Multi-user platform: SaaS, CMS, internal tool with admin",
     "multi_user_platform", "django", "strong",
     [{"kind": ["saas", "content"]},
      {"kind": ["internal_tool"], "needs_admin": [True]}]),
    ("Standalone microservice, single-purpose internal tool",
     "single_purpose_service", "flask", "strong",
     [{"kind": ["microservice"]},
      {"kind": ["internal_tool"], "needs_admin": [False]}]),
    ("ML model serving API", "ml_model_serving", "flask", "moderate",
     [{"kind": ["ml_service"]}]),
    ("Prototype / proof of concept", "prototype", "flask", "moderate",
     [{"kind": ["prototype"]}]),
    ("Predominantly dynamic, server-rendered HTML pages", "server_rendered_pages",
     "django", "moderate", [{"html_pages": [True]}]),
    # Features needed
    ("User authentication and role/permission management", "auth_and_permissions",
     "django", "strong", [{"needs_auth": [True], "needs_roles": [True]}]),
    ("(plain logins, without roles)", "user_accounts", "django", "weak",
     [{"needs_auth": [True], "needs_roles": [False]}]),
    ("Admin or content-management interface", "admin_interface", "django",
     "strong", [{"needs_admin": [True]}]),
    ("Relational data with complex, evolving schemas", "evolving_schema", "django",
     "moderate", [{"data": ["relational"], "evolving_schema": [True]}]),
    ("Multi-tenancy", "multi_tenancy", "django", "moderate",
     [{"multi_tenant": [True]}]),
    ("Forms tied to the database", "database_forms", "django", "weak",
     [{"html_pages": [True], "data": ["relational"]}]),
    ("Security defaults matter most", "security_defaults", "django", "weak",
     [{"security_first": [True]}]),
    # Data layer
    ("SQL database", "sql_database", "django", "moderate",
     [{"data": ["relational"]}]),
    ("Non-relational data layer", "document_database", "flask", "strong",
     [{"data": ["document"]}]),
    # APIs
    ("A pure JSON API, no server-rendered pages", "pure_json_api", "flask",
     "moderate", [{"needs_api": [True], "html_pages": [False]}]),
    ("An API that is one part of a larger system with admin, users and pages",
     "api_in_larger_system", "django", "moderate",
     [{"needs_api": [True], "html_pages": [True], "needs_auth": [True]},
      {"needs_api": [True], "html_pages": [True], "needs_admin": [True]}]),
    ("Service-oriented architecture", "service_oriented", "flask", "moderate",
     [{"kind": ["api", "microservice"]}]),
    # Team and people
    ("Team of more than two or three developers", "larger_team", "django",
     "strong", [{"team_size": {"min": 4}}]),
    ("Long expected maintenance period", "long_maintenance", "django", "moderate",
     [{"lifetime": ["long"]}]),
    ("Solo developer or very small team", "solo_or_pair", "flask", "weak",
     [{"team_size": {"max": 2}}]),
    ("Beginner learning web fundamentals", "learning_fundamentals", "flask",
     "moderate", [{"experience": ["beginner"]}, {"kind": ["learning"]}]),
    ("Developer with 3+ years of Python", "experienced_python", "django", "weak",
     [{"experience": ["experienced"]}]),
    ("Team already expert in Flask, scope well-defined", "team_knows_flask",
     "flask", "strong", [{"familiar_with": ["flask"], "kind": ANY_KIND}]),
    ("Team already expert in Django, scope well-defined", "team_knows_django",
     "django", "strong", [{"familiar_with": ["django"], "kind": ANY_KIND}]),
    ("Wants full control and free choice of every component", "wants_control",
     "flask", "moderate", [{"control": ["flexibility"]}]),
    ("Wants one clear, conventional way to do things", "wants_conventions",
     "django", "moderate", [{"control": ["conventions"]}]),
    # Runtime
    ("Very high request volume per instance, cold starts", "high_throughput",
     "flask", "moderate", [{"high_throughput": [True]}]),
]  # fmt: skip

POINTS = {"strong": 3, "moderate": 2, "weak": 1}


def test_the_spec_table_is_every_shipped_rule_in_order() -> None:
    assert [row[1] for row in SPEC] == [rule.id for rule in load_rules().rules]


@pytest.mark.parametrize(
    ("words", "rule_id", "framework", "strength", "when"),
    SPEC,
    ids=[row[1] for row in SPEC],
)
def test_a_rule_is_shipped_as_the_spec_says(
    words: str,
    rule_id: str,
    framework: str,
    strength: str,
    when: list[dict[str, Any]],
) -> None:
    rule = {r.id: r for r in load_rules().rules}[rule_id]
    assert (rule.favours, rule.strength, rule.points) == (
        framework,
        strength,
        POINTS[strength],
    ), words
    assert list(rule.when) == when, words
    # And the engine fires it, with those points, for each alternative.
    for clause in when:
        answers = {**load_rules().base_defaults, "kind": "website"}
        for key, allowed in clause.items():
            answers[key] = (
                allowed[0] if isinstance(allowed, list) else sum(allowed.values())
            )
        fired = {r.rule: r for r in recommend(answers).reasons}
        assert rule_id in fired, (words, clause)
        assert (fired[rule_id].framework, fired[rule_id].points) == (
            framework,
            POINTS[strength],
        )


def test_weights_and_confidence_bands_are_shipped() -> None:
    rules = load_rules()
    assert rules.weights == POINTS  # strong > moderate > weak, the engine's points
    assert rules.confidence == (("high", 6), ("medium", 3), ("low", 0))
    assert rules.close_call_margin == 2
    assert rules.tie_break == "flask"


@pytest.mark.parametrize(
    ("team_size", "needs_api", "margin", "confidence", "close_call"),
    [
        # A website of a small team without accounts' extras: each edge of a band.
        (1, True, 2, "low", True),
        (3, True, 3, "medium", False),
        (3, False, 5, "medium", False),
        (5, True, 6, "high", False),
    ],
)
def test_the_confidence_bands_hold_at_their_edges(
    team_size: int, needs_api: bool, margin: int, confidence: str, close_call: bool
) -> None:
    answers = {
        **load_rules().base_defaults,
        "kind": "website",
        "team_size": team_size,
        "needs_api": needs_api,
        "html_pages": False,
    }
    found = recommend(answers)
    assert (found.margin, found.confidence, found.close_call) == (
        margin,
        confidence,
        close_call,
    )
