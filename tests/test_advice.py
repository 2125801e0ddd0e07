"""Advice true to its sources: partial answers, honest confidence, what would flip it.

The partial-answer cases are written from the five articles (the quote each one rests
on is in the case), never from rules.yaml: a user who answers only what they know gets
the framework the articles recommend for that, not one that filled-in answers decided.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from factors import QUESTIONS, factor_questions, factor_strategy
from stackpick.decide.answers import Request, gather
from stackpick.decide.engine import Recommendation, recommend
from stackpick.decide.flips import find_flips, indistinct, question_choices
from stackpick.decide.rules import load_rules

RULES = load_rules()
CHOICES = question_choices(QUESTIONS, RULES)
FACTORS = [q.name for q in factor_questions()]


def ask_with(data: dict[str, Any]) -> Recommendation:
    """`stackpick recommend --defaults --data ...` for exactly these answers."""
    pairs = [
        f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in data.items()
    ]
    return gather(QUESTIONS, Request(data=pairs)).recommendation


# (given answers, the framework the articles recommend, the quote that says so)
PARTIAL_CASES = [
    # The issue's own examples.
    ({"kind": "website", "size": "small", "team_size": 2}, "flask",
     "S2: You can apply it to blogs or small sites."),
    ({"team_size": 1, "experience": "beginner"}, "flask",
     "S5: If you are a beginner in Python, it is recommended to use Flask"),
    ({"size": "small", "lifetime": "short"}, "flask",
     "S1: For smaller or medium-scale projects, ... you would use Flask."),
    ({"kind": "api"}, "flask",
     "S4: If you are building a pure JSON API ... Django's template engine and "
     "form system are irrelevant weight."),
    # Written from the articles.
    ({"kind": "saas"}, "django",
     "S4: E-commerce platforms, SaaS applications, ... all fit this profile well."),
    ({"kind": "content"}, "django",
     "S2: a straightforward application such as a news site, store, blog"),
    ({"kind": "microservice"}, "flask",
     "S4: Flask is the right choice for standalone microservices"),
    ({"kind": "ml_service"}, "flask",
     "S4: Flask is the more common choice for standalone ML microservices"),
    ({"kind": "prototype"}, "flask",
     "S4: Flask is also faster to prototype with when requirements are genuinely "
     "uncertain."),
    ({"kind": "learning"}, "flask",
     "S3: Flask's minimalistic nature often makes it easier for beginners to grasp."),
    ({"data": "document"}, "flask", "S2: Your web applications are based on NoSQL."),
    ({"needs_admin": True}, "django",
     "S2: Django includes a fully integrated admin interface for managing "
     "application data."),
    ({"needs_auth": True, "needs_roles": True}, "django",
     "S4: needs user authentication, role-based permissions, ... Django is "
     "dramatically faster."),
    ({"size": "large"}, "django",
     "S1: For large and highly complicated projects ... Django is the best fit."),
    ({"team_size": 8, "lifetime": "long"}, "django",
     "S4: a team of more than two or three developers, or a long expected "
     "maintenance period."),
    ({"experience": "experienced"}, "django",
     "S2: You've been writing in Python for over three years."),
    ({"control": "flexibility"}, "flask",
     "S1: if you would rather have full control over the project with simpler "
     "building blocks, go with Flask."),
    ({"control": "conventions"}, "django",
     'S3: Django\'s approach is "convention over configuration".'),
    ({"multi_tenant": True}, "django",
     "S4: Django is the right choice when your project includes ... multi-tenancy "
     "requirements"),
    ({"familiar_with": "flask", "kind": "website"}, "flask",
     "S4: Flask also remains a strong choice for projects where the developer team "
     "has deep Flask expertise"),
    ({"familiar_with": "django", "kind": "api"}, "django",
     "S4: Do not switch frameworks just because a comparison article tells you to."),
    ({"kind": "internal_tool", "needs_admin": False}, "flask",
     "S4: A simple internal tool that wraps a third-party API ... is a Flask use "
     "case."),
    ({"kind": "website", "needs_api": True, "needs_auth": True}, "django",
     "S4: the API is one component of a larger system ... Django plus DRF is an "
     "efficient choice"),
    ({"kind": "microservice", "high_throughput": True}, "flask",
     "S4: a serverless function that cold-starts frequently, Flask's lower "
     "baseline overhead is meaningful."),
    ({"security_first": True}, "django",
     "S4: Security defaults are strong ... built in and on by default."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "framework", "quote"),
    PARTIAL_CASES,
    ids=["-".join(f"{k}={v}" for k, v in case[0].items()) for case in PARTIAL_CASES],
)
def test_partial_answers_get_what_the_articles_recommend(
    data: dict[str, Any], framework: str, quote: str
) -> None:
    rec = ask_with(data)
    assert rec.framework == framework, (quote, rec.scores, rec.reasons)
    # The pick rests on what was said: no filled-in answer voted.
    said = set(rec.given or ())
    for reason in rec.reasons:
        assert not reason.assumed
    assert said >= set(data)
    if not rec.decided_by_assumed and rec.ruled_out is None:
        other = "django" if framework == "flask" else "flask"
        assert (
            rec.scores[framework] > rec.scores[other] or rec.familiarity is not None
        ), quote


def test_the_issue_examples_are_no_longer_confident_django() -> None:
    """`{kind: website, size: small, team_size: 2}` was Django 10-3, *high*."""
    rec = ask_with({"kind": "website", "size": "small", "team_size": 2})
    assert rec.framework == "flask" and rec.confidence != "high"
    assert {r.rule for r in rec.reasons} == {
        "small_project",
        "solo_or_pair",
        "server_rendered_pages",  # "a website with dynamic pages" says pages
    }
    assumed = {r.rule: r.assumed for r in rec.assumed}
    assert assumed["long_maintenance"] == {"lifetime": "long"}
    # kind=api no longer ties and goes to Flask by the tie-break alone.
    api = ask_with({"kind": "api"})
    assert api.scores["flask"] > api.scores["django"] and not api.decided_by_assumed


def test_an_assumed_answer_only_breaks_a_tie_and_says_how_to_change_it() -> None:
    from io import StringIO

    from stackpick.report import show_recommendation

    rec = ask_with({"kind": "internal_tool"})  # with or without an admin? unsaid
    assert rec.scores == {"flask": 0, "django": 0} and rec.decided_by_assumed
    assert rec.framework == "django" and rec.confidence == "low"
    admin = next(r for r in rec.assumed if r.rule == "multi_user_platform")
    assert admin.assumed == {"needs_admin": True}
    out = StringIO()
    show_recommendation(rec, out)
    text = " ".join(out.getvalue().replace("\u2502", " ").split())
    assert "assumed: needs_admin=true, say otherwise with --data needs_admin=false" in (
        text
    )
    assert "broke the tie between the given answers" in text


@settings(max_examples=200, deadline=None)
@given(factor_strategy())
def test_every_answer_given_keeps_the_full_answer_verdict(answers) -> None:
    """With every answer given, `given` changes nothing (the full-answer verdicts)."""
    told = recommend(answers, given=FACTORS)
    assert told.given is not None and not told.assumed and not told.implied
    assert told._replace(given=None) == recommend(answers)


def load_defaults() -> dict[str, Any]:
    from factors import defaults

    return defaults()


# -- monotonicity ------------------------------------------------------------------

GIVEN = st.sets(st.sampled_from(FACTORS))


def leaning(rec: Recommendation) -> float:
    """How firmly the rules lean to Flask (+) or Django (-): ruled out is infinite."""
    distance = float("inf") if rec.decision_margin is None else rec.decision_margin
    return distance if rec.rules_framework == "flask" else -distance


def toward_django(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Single changes that add Django evidence (the articles' Django signals)."""
    changes = []
    if not answers["needs_admin"]:
        changes.append({"needs_admin": True})
    if not answers["multi_tenant"]:
        changes.append({"multi_tenant": True})
    if not answers["security_first"]:
        changes.append({"security_first": True})
    changes.append({"team_size": answers["team_size"] + 3})
    if answers["size"] != "large":
        changes.append({"size": "large"})
    if answers["control"] == "no_preference":
        changes.append({"control": "conventions"})
    return changes


MONOTONE = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@MONOTONE
@given(factor_strategy(), GIVEN)
def test_django_evidence_never_moves_toward_flask(answers, told) -> None:
    """More Django evidence (an admin, a bigger team, ...) never raises confidence
    in a Flask pick, never lowers it in a Django pick, never flips to Flask."""
    before = leaning(recommend(answers, given=told))
    for change in toward_django(answers):
        after = recommend({**answers, **change}, given=told | set(change))
        assert leaning(after) <= before, change


@MONOTONE
@given(factor_strategy(), GIVEN)
def test_flask_evidence_never_moves_toward_django(answers, told) -> None:
    """The mirror: document data, a prototype's flexibility, a solo developer."""
    before = leaning(recommend(answers, given=told))
    changes = [{"data": "document"}, {"team_size": 1}]
    if answers["control"] == "no_preference":
        changes.append({"control": "flexibility"})
    if not answers["high_throughput"]:
        changes.append({"high_throughput": True})
    for change in changes:
        after = recommend({**answers, **change}, given=told | set(change))
        assert leaning(after) >= before, change


@MONOTONE
@given(factor_strategy(), GIVEN, st.sampled_from(["sqlite", "postgresql"]))
def test_answers_no_article_weighs_change_nothing(answers, told, database) -> None:
    """The SQL engine and the project's name are not evidence for either side."""
    base = recommend(answers, given=told)
    other = recommend(
        {**answers, "database": database, "project_name": "Zzz"},
        given=told | {"database", "project_name"},
    )
    for key in ("rules_framework", "scores", "reasons", "assumed", "confidence"):
        assert getattr(other, key) == getattr(base, key), key


# -- flips -------------------------------------------------------------------------


def pick(answers: dict[str, Any], told: set[str] | None) -> str | None:
    """The rules' pick, or None when the compatibility rules refuse the answers."""
    rec = recommend(answers, given=told)
    if RULES.refusal({**answers, "framework": rec.rules_framework}):
        return None
    return rec.rules_framework


def fitting(answers: dict[str, Any]) -> bool:
    return pick(answers, None) is not None


@settings(max_examples=60, deadline=None)
@given(factor_strategy().filter(fitting), GIVEN)
def test_every_flip_listed_flips_and_no_single_change_left_out_does(
    answers, told
) -> None:
    base = pick(answers, told)
    # `fitting` holds the answers to a pick the compatibility rules allow with every
    # answer given; with only `told` given the rules' pick may be the refused one,
    # which is no pick to flip.
    assume(base is not None)
    flips = find_flips(answers, told, CHOICES)
    for flip in flips:  # each one does flip the pick, to what it says
        changed = {**answers, **flip["changes"]}
        assert pick(changed, told | set(flip["changes"])) == flip["framework"] != base
    listed = [f["changes"] for f in flips if len(f["changes"]) == 1]
    for key, values in CHOICES.items():
        for value in values:
            if any(
                k == key and indistinct(RULES, key, v, value)
                for change in listed
                for k, v in change.items()
            ):
                continue
            after = pick({**answers, key: value}, told | {key})
            assert after in (None, base), (key, value)


def test_flips_name_the_change_and_the_scores() -> None:
    rec = ask_with({"kind": "website", "size": "small", "team_size": 2})
    texts = [f["text"] for f in rec.flips]
    assert "with size=large: Django 5-1" in texts
    assert all(len(f["changes"]) == 1 for f in rec.flips)
    assert {"changes", "assumed", "framework", "scores", "text"} <= set(rec.flips[0])


def test_when_no_single_change_flips_it_pairs_are_listed() -> None:
    """A high-throughput microservice on documents: S4's clearest Flask case."""
    full = {
        **load_defaults(),
        "kind": "microservice",
        "data": "document",
        "high_throughput": True,
    }
    flips = find_flips(full, None, CHOICES)
    assert flips and all(len(f["changes"]) == 2 for f in flips)
    assert all("data" in f["changes"] for f in flips)  # documents rule Django out
    assert recommend(full).confidence == "high"
    for flip in flips:
        assert pick({**full, **flip["changes"]}, None) == flip["framework"] == "django"


def test_flips_take_well_under_100_ms() -> None:
    """All single and pair changes of a pick no single change flips (the worst case)."""
    full = {
        **load_defaults(),
        "kind": "saas",
        "size": "large",
        "team_size": 12,
        "needs_admin": True,
        "database": "postgresql",  # so data=document is refused: no flip at all
    }
    assert find_flips(full, None, CHOICES) == ()  # warm; every pair was tried
    timings = []
    for _ in range(5):  # CPU time: other processes on a shared machine do not count
        start = time.process_time()
        find_flips(full, None, CHOICES)
        timings.append(time.process_time() - start)
    # ~13 ms of CPU (460 evaluations of the rules); the bound catches a blow-up.
    assert min(timings) < 0.1, timings


# -- where the advice shows ----------------------------------------------------------


def test_recommend_json_adds_flips_and_keeps_every_key(capsys) -> None:
    import json

    from stackpick.cli import main

    assert main(["recommend", "--json", "-d", "kind=website", "-d", "size=small"]) == 0
    data = json.loads(capsys.readouterr().out)
    old = {"framework", "rules_framework", "scores", "margin", "confidence"}
    old |= {"close_call", "reasons", "notes", "extensions", "overridden_by"}
    assert old | {"familiarity", "ruled_out", "flips", "assumed", "given"} <= set(data)
    assert data["flips"]
    assert all(f["framework"] != data["framework"] for f in data["flips"])
    assert sorted(data["given"]) == ["kind", "size"]
    assert all(r["assumed"] for r in data["assumed"])


def test_rules_text_shows_each_rules_quotes() -> None:
    from stackpick.report import rules_as_dict, rules_text

    text = rules_text(RULES)
    assert "\u201cYou are using an SQL database.\u201d" in text
    assert "  S2    \u201cChoose Django for a medium to large site.\u201d" in text
    listed = {r["id"]: r["quotes"] for r in rules_as_dict(RULES)["rules"]}
    assert listed["sql_database"] == {"S2": "You are using an SQL database."}


def test_summary_uses_the_questions_words_and_marks_assumed_answers() -> None:
    from stackpick.interview import summary_text

    answers = gather(QUESTIONS, Request(data=["kind=saas"])).answers
    text = summary_text(QUESTIONS, answers, answers["framework"], {"kind"})
    lines = {line.split("  ")[1].strip(): line for line in text.splitlines()[2:]}
    assert lines["What kind of app is it?"].endswith(
        "A SaaS or multi-user platform (store, marketplace, e-learning)"
    )
    assert lines["How long will it be maintained?"].endswith("Long (years) (assumed)")
    assert lines["Framework picked"].endswith("Django")


# -- defaults that follow the given answers ------------------------------------------


def test_a_beginners_defaults_follow_the_answer() -> None:
    """S4's beginner FAQ: a first project; the filled-in life is short, the schema
    young (our reading), and the record shows them as implied, not assumed."""
    answers = gather(QUESTIONS, Request(data=["experience=beginner"])).answers
    assert answers["lifetime"] == "short" and answers["evolving_schema"] is False
    rec = answers["recommendation"]
    assert rec["implied"] == {"lifetime": "short", "evolving_schema": False}
    said = gather(QUESTIONS, Request(data=["experience=beginner", "lifetime=long"]))
    assert said.answers["lifetime"] == "long"  # an answer given wins


def test_copier_follows_the_same_defaults(tmp_path) -> None:
    """copier.yml's `follow_defaults`, rendered by Copier's own Jinja, equals
    stackpick's for every kind, size, experience and team size."""
    import itertools
    import json

    from stackpick.decide.answers import following_defaults
    from support import ROOT, copier_jinja_env, copy_template_folder

    template = copy_template_folder(ROOT, tmp_path / "template")
    env = copier_jinja_env(template, tmp_path / "x")
    expression = env.from_string(QUESTIONS.questions["follow_defaults"].default)
    rules_data = QUESTIONS.questions["rules_data"].default
    for kind, size, experience, team in itertools.product(
        QUESTIONS.questions["kind"].choice_values(),
        QUESTIONS.questions["size"].choice_values(),
        QUESTIONS.questions["experience"].choice_values(),
        (1, 3, 5),
    ):
        context = {"kind": kind, "size": size, "experience": experience}
        context["team_size"] = team
        context["kind_defaults"] = RULES.defaults_for(kind)
        theirs = json.loads(expression.render({**context, "rules_data": rules_data}))
        assert theirs == following_defaults(RULES, context), context
