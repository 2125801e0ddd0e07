"""copier.yml read as the answers schema: conditions, derived defaults, validation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from factors import QUESTIONS
from stackpick.decide.answers import computed_values
from stackpick.errors import StackpickError
from support import ROOT

CONTRACT = {
    "project_name",
    "project_slug",
    "kind",
    "size",
    "team_size",
    "lifetime",
    "experience",
    "familiar_with",
    "needs_auth",
    "needs_roles",
    "needs_admin",
    "data",
    "evolving_schema",
    "multi_tenant",
    "needs_api",
    "html_pages",
    "high_throughput",
    "control",
    "framework",
    "database",
}


def test_the_answers_contract_is_all_there() -> None:
    public = {q.name for q in QUESTIONS.public()}
    assert public >= CONTRACT
    kinds = QUESTIONS.questions["kind"].choice_values()
    assert kinds == [
        "website",
        "saas",
        "content",
        "internal_tool",
        "api",
        "microservice",
        "ml_service",
        "prototype",
        "learning",
    ]
    assert QUESTIONS.questions["database"].choice_values() == ["sqlite", "postgresql"]


def test_follow_up_questions_apply_only_when_relevant() -> None:
    roles = QUESTIONS.questions["needs_roles"]
    assert QUESTIONS.applies(roles, {"needs_auth": True})
    assert not QUESTIONS.applies(roles, {"needs_auth": False})
    schema = QUESTIONS.questions["evolving_schema"]
    assert QUESTIONS.applies(schema, {"data": "relational"})
    assert not QUESTIONS.applies(schema, {"data": "document"})


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Site", "my_site"),
        ("Acme Shop 2!", "acme_shop_2"),
        ("42 Things", "things"),
        ("---", "webapp"),
        ("word " * 30, ("word_" * 7)[:32]),  # cut at the 32-character limit
    ],
)
def test_slug_is_derived_from_the_name(name: str, slug: str) -> None:
    question = QUESTIONS.questions["project_slug"]
    assert QUESTIONS.default(question, {"project_name": name}) == slug


@pytest.mark.parametrize(
    "slug",
    ["class", "tests", "json", "flask", "my-site", "1site", "", "a" * 65, "café"],
)
def test_bad_slugs_are_refused(slug: str) -> None:
    question = QUESTIONS.questions["project_slug"]
    assert QUESTIONS.problem(question, slug, {})


def test_python_knows_more_stdlib_names_than_the_template_lists() -> None:
    question = QUESTIONS.questions["project_slug"]
    assert "standard-library" in QUESTIONS.problem(question, "graphlib", {})


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("needs_api", "yes", True),
        ("needs_api", "false", False),
        ("team_size", "7", 7),
        ("kind", "saas", "saas"),
    ],
)
def test_casting_from_text(name: str, raw: str, value: object) -> None:
    assert QUESTIONS.cast(QUESTIONS.questions[name], raw, "--data") == value


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("needs_api", "maybe", "true or false"),
        ("team_size", "many", "whole number"),
        ("team_size", True, "whole number"),
        ("kind", "sass", "did you mean 'saas'"),
    ],
)
def test_casting_refuses_wrong_types(name: str, raw: object, message: str) -> None:
    with pytest.raises(StackpickError, match=message):
        QUESTIONS.cast(QUESTIONS.questions[name], raw, "--data")


def test_unknown_key_suggests_the_closest() -> None:
    with pytest.raises(StackpickError, match="did you mean 'team_size'"):
        QUESTIONS.check_keys({"teamsize": 3}, "answers")


def test_secret_is_never_an_answer_key() -> None:
    with pytest.raises(StackpickError, match="unknown key 'secret_key'"):
        QUESTIONS.check_keys({"secret_key": "x"}, "answers")


@pytest.mark.slow
def test_plain_copier_copy_needs_no_trust(tmp_path: Path) -> None:
    """Users of plain `copier copy` (latest tag, no --trust) get a project."""
    clone = tmp_path / "template"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "tag", "v99.0.0"], check=True)
    dest = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--defaults", str(clone), str(dest)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v99.0.0"
    assert answers["framework"] == "django"  # the rules' pick for the defaults
    assert "secret_key" not in answers
    assert (dest / "docs/decisions/0001-web-framework.md").is_file()


@pytest.mark.parametrize("kind", QUESTIONS.questions["kind"].choice_values())
def test_every_kinds_defaults_pass_every_validator(kind: str) -> None:
    """Why `resolve` need not render validators for the template's own defaults: an
    interview that accepts every default validates each, and none is refused."""
    seen: list[str] = []

    def accept(question: Any, default: Any, context: dict[str, Any]) -> Any:
        seen.append(question.name)
        return default

    answers = QUESTIONS.resolve({"kind": kind}, ask=accept, computed=computed_values())
    assert "project_name" in seen and answers["kind"] == kind
