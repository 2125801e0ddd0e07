"""The engine: every rule fires when it should, ties, ordering, determinism."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from factors import defaults, factor_strategy
from stackpick.decide.engine import effective_answers, recommend
from stackpick.decide.rules import holds, load_rules

RULES = load_rules()

# For each rule, answers (over the defaults) that make it fire.
FIRING: dict[str, dict[str, Any]] = {
    "large_project": {"size": "large"},
    "small_project": {"size": "medium"},
    "multi_user_platform": {"kind": "saas"},
    "single_purpose_service": {"kind": "microservice"},
    "ml_model_serving": {"kind": "ml_service"},
    "prototype": {"kind": "prototype"},
    "server_rendered_pages": {"html_pages": True},
    "auth_and_permissions": {"needs_auth": True, "needs_roles": True},
    "user_accounts": {"needs_auth": True, "needs_roles": False},
    "admin_interface": {"needs_admin": True},
    "evolving_schema": {"data": "relational", "evolving_schema": True},
    "multi_tenancy": {"multi_tenant": True},
    "database_forms": {"html_pages": True, "data": "relational"},
    "security_defaults": {"security_first": True},
    "sql_database": {"data": "relational"},
    "document_database": {"data": "document"},
    "pure_json_api": {"needs_api": True, "html_pages": False},
    "api_in_larger_system": {"needs_api": True, "html_pages": True, "needs_auth": True},
    "service_oriented": {"kind": "api"},
    "larger_team": {"team_size": 4},
    "long_maintenance": {"lifetime": "long"},
    "solo_or_pair": {"team_size": 2},
    "learning_fundamentals": {"experience": "beginner"},
    "experienced_python": {"experience": "experienced"},
    "team_knows_flask": {"familiar_with": "flask"},
    "team_knows_django": {"familiar_with": "django"},
    "wants_control": {"control": "flexibility"},
    "wants_conventions": {"control": "conventions"},
    "high_throughput": {"high_throughput": True},
}
# And answers that keep it silent.
SILENT: dict[str, dict[str, Any]] = {
    "large_project": {"size": "medium"},
    "small_project": {"size": "large"},
    "multi_user_platform": {"kind": "internal_tool", "needs_admin": False},
    "single_purpose_service": {"kind": "internal_tool", "needs_admin": True},
    "ml_model_serving": {"kind": "api"},
    "prototype": {"kind": "website"},
    "server_rendered_pages": {"html_pages": False},
    "auth_and_permissions": {"needs_auth": False, "needs_roles": True},
    "user_accounts": {"needs_auth": False},
    "admin_interface": {"needs_admin": False},
    "evolving_schema": {"data": "document", "evolving_schema": True},
    "multi_tenancy": {"multi_tenant": False},
    "database_forms": {"html_pages": True, "data": "none"},
    "security_defaults": {"security_first": False},
    "sql_database": {"data": "none"},
    "document_database": {"data": "relational"},
    "pure_json_api": {"needs_api": True, "html_pages": True},
    "api_in_larger_system": {"needs_api": True, "html_pages": False},
    "service_oriented": {"kind": "ml_service"},
    "larger_team": {"team_size": 3},
    "long_maintenance": {"lifetime": "short"},
    "solo_or_pair": {"team_size": 3},
    "learning_fundamentals": {"experience": "intermediate", "kind": "website"},
    "experienced_python": {"experience": "intermediate"},
    "team_knows_flask": {"familiar_with": "flask", "kind": "prototype"},
    "team_knows_django": {"familiar_with": "both"},
    "wants_control": {"control": "no_preference"},
    "wants_conventions": {"control": "flexibility"},
    "high_throughput": {"high_throughput": False},
}


def fired(answers: dict[str, Any]) -> set[str]:
    return {r.rule for r in recommend(answers).reasons}


def test_every_rule_has_a_firing_case() -> None:
    assert set(FIRING) == {r.id for r in RULES.rules} == set(SILENT)


@pytest.mark.parametrize("rule_id", sorted(FIRING))
def test_rule_fires(rule_id: str) -> None:
    assert rule_id in fired({**defaults(), **FIRING[rule_id]})


@pytest.mark.parametrize("rule_id", sorted(SILENT))
def test_rule_stays_silent(rule_id: str) -> None:
    assert rule_id not in fired({**defaults(), **SILENT[rule_id]})


def test_weights_keep_the_spec_ordering() -> None:
    w = RULES.weights
    assert w["strong"] > w["moderate"] > w["weak"] > 0
    for rule in RULES.rules:
        assert rule.points == w[rule.strength]


def test_every_rule_cites_known_sources() -> None:
    assert set(RULES.sources) == {"S1", "S2", "S3", "S4", "S5"}
    for rule in RULES.rules:
        assert rule.sources and set(rule.sources) <= set(RULES.sources)
        assert rule.why.strip() and "\n" not in rule.why


def test_default_answers_pick_django_with_reasons() -> None:
    rec = recommend(defaults())
    assert rec.framework == "django"
    assert rec.scores == {"flask": 3, "django": 10}
    assert rec.margin == 7 and rec.confidence == "high" and not rec.close_call


def test_microservice_on_documents_is_clearly_flask() -> None:
    answers = {
        **defaults(),
        "kind": "microservice",
        "data": "document",
        "needs_auth": False,
        "needs_api": True,
        "html_pages": False,
    }
    rec = recommend(answers)
    assert rec.framework == "flask"
    assert rec.confidence == "high"
    assert [n["id"] for n in rec.notes] == ["consider_fastapi", "raw_speed"]
    assert [e.name for e in rec.extensions] == ["PyMongo", "API blueprint"]


def test_fastapi_caution_for_ml_serving() -> None:
    rec = recommend({**defaults(), "kind": "ml_service"})
    assert "consider_fastapi" in {n["id"] for n in rec.notes}
    assert "ml_model_serving" in {r.rule for r in rec.reasons}


def test_tie_goes_to_the_tie_break_and_is_a_close_call() -> None:
    # small_project (+2 flask) and sql_database (+2 django), nothing else.
    answers = {
        **defaults(),
        "needs_auth": False,
        "html_pages": False,
        "evolving_schema": False,
        "lifetime": "short",
        "team_size": 3,
    }
    rec = recommend(answers)
    assert rec.scores["flask"] == rec.scores["django"]
    assert rec.margin == 0
    assert rec.framework == RULES.tie_break == "flask"
    assert rec.close_call and rec.confidence == "low"
    assert rec.top_reason("flask") and rec.top_reason("django")


def test_reasons_are_strongest_first_in_rule_order() -> None:
    rec = recommend({**defaults(), "size": "large", "team_size": 8})
    points = [r.points for r in rec.reasons]
    assert points == sorted(points, reverse=True)
    order = [r.id for r in RULES.rules]
    for a, b in zip(rec.reasons, rec.reasons[1:], strict=False):
        if a.points == b.points:
            assert order.index(a.rule) < order.index(b.rule)


def test_override_keeps_the_rules_pick() -> None:
    rec = recommend(defaults(), override="flask", overridden_by="preset: Team")
    assert rec.framework == "flask" and rec.rules_framework == "django"
    assert rec.overridden_by == "preset: Team"
    assert rec.extensions[0].name.startswith("Flask-SQLAlchemy")
    same = recommend(defaults(), override="django", overridden_by="user")
    assert same.overridden_by is None  # agreeing with the rules is no override


def test_follow_up_answers_count_only_when_they_apply() -> None:
    seen = effective_answers({**defaults(), "needs_auth": False, "needs_roles": True})
    assert seen["needs_roles"] is False
    seen = effective_answers({**defaults(), "data": "none", "evolving_schema": True})
    assert seen["evolving_schema"] is False


def test_conditions_any_of_all() -> None:
    condition = ({"kind": ["saas"]}, {"kind": ["internal_tool"], "needs_admin": [True]})
    assert holds(condition, {"kind": "saas", "needs_admin": False})
    assert holds(condition, {"kind": "internal_tool", "needs_admin": True})
    assert not holds(condition, {"kind": "internal_tool", "needs_admin": False})
    assert holds(({"team_size": {"min": 4}},), {"team_size": 4})
    assert not holds(({"team_size": {"max": 2}},), {"team_size": 3})


@settings(max_examples=400, deadline=None)
@given(factor_strategy())
def test_any_valid_answers_give_a_valid_result(answers: dict[str, Any]) -> None:
    rec = recommend(answers)
    assert rec.framework in ("flask", "django")
    assert rec.rules_framework == rec.framework
    for fw in ("flask", "django"):
        assert rec.scores[fw] == sum(r.points for r in rec.reasons if r.framework == fw)
    assert rec.margin == abs(rec.scores["flask"] - rec.scores["django"])
    # Close call: how far the decision is from flipping, and only while both remain.
    assert rec.close_call == (
        rec.decision_margin is not None
        and rec.decision_margin <= RULES.close_call_margin
    )
    other = "django" if rec.framework == "flask" else "flask"
    familiar = rec.familiarity
    if rec.ruled_out:  # a hard constraint: the refused framework is never picked
        assert rec.ruled_out["framework"] == other
    elif familiar and familiar["kept"]:  # the other side did not clear S4's bars
        assert rec.framework == familiar["framework"]
        assert (
            familiar["strong"] < familiar["min_strong"]
            or familiar["lead"] < familiar["min_lead"]
        )
    elif rec.margin:
        assert rec.scores[rec.framework] > rec.scores[other]
    assert recommend(answers) == rec  # deterministic
    assert len({r.rule for r in rec.reasons}) == len(rec.reasons)
