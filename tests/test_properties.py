"""Properties: any text or any typed value as an answer, and any valid answers.

1. `stackpick.decide.answers.gather` (in process) given any project_name or slug, as
   --data text or as any YAML value in an answers file, returns valid answers or raises
   `StackpickError` with a one-line message, never another exception. It refuses
   exactly the values an independent oracle (the naming rules written out below from
   Python itself, the template folders and the installed dependencies, not from
   copier.yml) calls a problem, plus only names kept back out of caution, which the
   refusal names as a clash.
2. The engine, for any valid answers (every question's choices, booleans and team
   sizes), gives a consistent Recommendation.
"""

from __future__ import annotations

import importlib.metadata
import json
import keyword
import re
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackpick.cli import _questionnaire
from stackpick.decide.answers import Request, gather
from stackpick.decide.engine import effective_answers, recommend
from stackpick.decide.rules import load_rules
from stackpick.errors import Aborted, StackpickError
from support import ROOT

QUESTIONS = _questionnaire()
SLUG_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
FAST = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SOME = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# -- the oracle: what a name and a package name may be, from first principles --------
def _top_level_names() -> set[str]:
    """Packages and modules at the root of a rendered project (template folders)."""
    names = set()
    for template in ("template-flask", "template-django"):
        for entry in (ROOT / template).iterdir():
            # `{% if cond %}name{% endif %}` renders as `name`; `{{...}}` is the slug.
            stem = re.sub(r"{%.*?%}", "", entry.name).removesuffix(".jinja")
            stem = stem.removesuffix(".py")
            module = entry.is_dir() or entry.name.removesuffix(".jinja").endswith(".py")
            if module and stem.isidentifier() and stem.islower():
                names.add(stem)
    return names


def _dependency_import_names() -> set[str]:
    """What the generated projects' declared dependencies install as importable names.

    Read from the templates' pyproject files and the installed distributions' own
    records (the test extra installs them all), not from copier.yml's list.
    """
    declared = set()
    for template in ("template-flask", "template-django"):
        text = (ROOT / template / "pyproject.toml.jinja").read_text()
        for dist in re.findall(
            r'^\s*"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?[<>=~!]', text, re.M
        ):
            declared.add(re.sub(r"[-_.]+", "-", dist).lower())
    provided: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            key = re.sub(r"[-_.]+", "-", dist).lower()
            provided.setdefault(key, set()).add(module)
    missing = sorted(declared - provided.keys())
    assert not missing, f"not installed, so the oracle cannot read them: {missing}"
    return {
        module
        for dist in declared
        for module in provided[dist]
        if module.isidentifier() and not module.startswith("_")
    }


TAKEN = _top_level_names() | _dependency_import_names()


def oracle_name_refused(name: str) -> bool:
    """One line of 1-80 characters, not blank, no control characters (tab aside)."""
    control = any(unicodedata.category(ch) == "Cc" and ch != "\t" for ch in name)
    return not name.strip() or len(name) > 80 or control


def oracle_slug_refused(slug: str) -> bool:
    """An importable, lowercase package name that shadows nothing the project uses."""
    return (
        re.fullmatch(r"[a-z][a-z0-9_]{0,31}", slug) is None
        or keyword.iskeyword(slug)
        or keyword.issoftkeyword(slug)
        or slug in sys.stdlib_module_names
        or slug in TAKEN
    )


# Text that is likely to hit the edges, mixed with anything at all.
RESERVED = [
    "class", "match", "test", "tests", "json", "graphlib", "flask", "django",
    *sorted(TAKEN),
]  # fmt: skip
NAMES = st.one_of(
    st.text(max_size=100),
    st.text(alphabet=st.characters(codec="ascii"), max_size=90),
    st.from_regex(r"[A-Za-z0-9 {}%#*\-_./\\'\"]{0,85}", fullmatch=True),
    st.sampled_from(["", " ", "x" * 80, "x" * 81, "a\nb", "{{ 7*7 }}", *RESERVED]),
)
SLUGS = st.one_of(
    st.text(max_size=70),
    st.from_regex(r"[a-z_0-9\-./]{0,66}", fullmatch=True),
    st.from_regex(SLUG_RE, fullmatch=True),
    st.sampled_from(["", "a" * 32, "a" * 33, "..", "a/b", *RESERVED]),
)


def outcome_or_error(request: Request) -> tuple[dict[str, Any] | None, str]:
    """(answers, '') or (None, the error's message); any other exception fails."""
    try:
        outcome = gather(QUESTIONS, request)
    except Aborted:  # only a prompt can abort, and nothing is asked here
        raise
    except StackpickError as error:
        message = str(error)
        assert message.strip() and "\n" not in message and "\r" not in message
        return None, message
    return outcome.answers, ""


def assert_valid_names(answers: dict[str, Any]) -> None:
    name, slug = answers["project_name"], answers["project_slug"]
    assert isinstance(name, str) and name.strip() and len(name) <= 80
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in name if ch != "\t")
    assert SLUG_RE.fullmatch(slug), slug
    assert not keyword.iskeyword(slug) and not keyword.issoftkeyword(slug)
    assert slug not in sys.stdlib_module_names
    assert slug not in ("test", "tests", "flask", "django", "rest_framework")
    assert answers["framework"] in ("flask", "django")


@FAST
@given(name=NAMES, slug=SLUGS)
def test_any_name_and_slug_as_data(name: str, slug: str) -> None:
    if "\x00" in name + slug:  # a command line cannot carry NUL; files can (below)
        return
    answers, error = outcome_or_error(
        Request(data=[f"project_name={name}", f"project_slug={slug}"])
    )
    bad_name = oracle_name_refused(name)
    bad_slug = oracle_slug_refused(slug)
    if answers is None:
        if bad_name or bad_slug:
            assert ("project_name" if bad_name else "project_slug") in error
        else:  # beyond the oracle: only a name kept back out of caution
            assert "project_slug" in error, error
            assert "clashes with" in error or "would shadow" in error, error
    else:
        assert not bad_name and not bad_slug
        assert (answers["project_name"], answers["project_slug"]) == (name, slug)
        assert_valid_names(answers)


@SOME
@given(name=NAMES)
def test_a_slug_derived_from_any_name(name: str) -> None:
    """Only a name given: the derived slug is valid, or the refusal says "derived"."""
    if "\x00" in name:
        return
    answers, error = outcome_or_error(Request(data=[f"project_name={name}"]))
    if answers is not None:
        assert_valid_names(answers)
    elif not oracle_name_refused(name):
        assert "derived" in error and "project_slug" in error, error


# Any YAML value an answers file can hold, typed or not.
YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | NAMES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
FILE_KEYS = st.sampled_from(
    ["project_name", "project_slug", "description", "team_size", "kind", "needs_api"]
)
_FILES = Path(tempfile.mkdtemp(prefix="stackpick-properties-"))


@SOME
@given(st.dictionaries(FILE_KEYS, YAML_VALUES, min_size=1, max_size=3))
def test_any_typed_values_in_an_answers_file(values: dict[str, Any]) -> None:
    path = _FILES / "answers.yml"
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    answers, error = outcome_or_error(Request(answers_file=path))
    if answers is None:
        assert str(path) in error or "derived" in error, error
        return
    assert_valid_names(answers)
    assert isinstance(answers["team_size"], int) and answers["team_size"] >= 1
    assert isinstance(answers["needs_api"], bool)


# -- the engine -----------------------------------------------------------------------
def answer_strategy() -> st.SearchStrategy[dict[str, Any]]:
    """Every question that feeds the rules, over all of its valid values."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for question in QUESTIONS.public():
        if question.name in ("framework", "project_name", "project_slug"):
            continue
        if question.choices:
            fields[question.name] = st.sampled_from(question.choice_values())
        elif question.type == "bool":
            fields[question.name] = st.booleans()
        elif question.type == "int":
            fields[question.name] = st.integers(min_value=1, max_value=10000)
    return st.fixed_dictionaries(fields)


ANSWERS = answer_strategy()
RULES = load_rules()


@FAST
@given(ANSWERS, st.sampled_from([None, "flask", "django"]))
def test_any_valid_answers_give_a_consistent_recommendation(
    answers: dict[str, Any], override: str | None
) -> None:
    rec = recommend(answers, override=override, overridden_by="user")
    assert rec.framework in ("flask", "django")
    assert rec.rules_framework in ("flask", "django")
    assert set(rec.scores) == {"flask", "django"}
    assert all(isinstance(v, int) and v >= 0 for v in rec.scores.values())
    assert rec.margin == abs(rec.scores["flask"] - rec.scores["django"])
    # Close call: how far the decision is from flipping, and only while both remain.
    assert rec.close_call == (
        rec.decision_margin is not None
        and rec.decision_margin <= RULES.close_call_margin
    )
    for framework in ("flask", "django"):
        points = sum(r.points for r in rec.reasons if r.framework == framework)
        assert points == rec.scores[framework]
    assert all(r.points > 0 for r in rec.reasons)
    assert [r.points for r in rec.reasons] == sorted(
        (r.points for r in rec.reasons), reverse=True
    )
    familiar = rec.familiarity
    if rec.ruled_out:  # a compatibility rule excludes the other framework
        assert rec.ruled_out["framework"] != rec.rules_framework
    elif familiar and familiar["kept"]:  # S4: the other side did not win clearly
        assert rec.rules_framework == familiar["framework"]
    elif rec.margin == 0:
        assert rec.rules_framework == RULES.tie_break
    else:
        assert (
            rec.scores[rec.rules_framework]
            > rec.scores["django" if rec.rules_framework == "flask" else "flask"]
        )
    assert rec.framework == (override or rec.rules_framework)
    assert (rec.overridden_by is not None) == (
        override is not None and override != rec.rules_framework
    )
    least = dict(RULES.confidence)[rec.confidence]
    assert rec.decision_margin is None or rec.decision_margin >= least
    assert all(ext in RULES.extensions[rec.framework] for ext in rec.extensions)
    assert json.loads(json.dumps(rec.to_dict()))["margin"] == rec.margin
    # The same answers always give the same result.
    assert recommend(dict(answers), override=override, overridden_by="user") == rec


@SOME
@given(ANSWERS)
def test_answers_given_as_text_recommend_the_same(answers: dict[str, Any]) -> None:
    """Through gather (--data strings, cast and validated) the rules see the same."""
    data = [
        f"{key}={str(value).lower() if isinstance(value, bool) else value}"
        for key, value in answers.items()
    ]
    direct = recommend(answers)
    refused = RULES.refusal_line(
        {**effective_answers(answers), "framework": direct.rules_framework}
    )
    if refused:  # a combination the templates cannot honour: one line, no project
        whys = "|".join(re.escape(rule.why) for rule in RULES.compatibility)
        with pytest.raises(StackpickError, match=f" with .*: ({whys})$"):
            gather(QUESTIONS, Request(data=data))
        return
    outcome = gather(QUESTIONS, Request(data=data))
    assert outcome.recommendation.rules_framework == direct.rules_framework
    assert outcome.recommendation.scores == direct.scores
    assert outcome.recommendation.reasons == direct.reasons
    for key in answers:
        assert (
            effective_answers(outcome.answers)[key] == effective_answers(answers)[key]
        )
