"""The questionnaire end to end, typed into prompt_toolkit's pipe input."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from factors import QUESTIONS
from stackpick.answers import Request, gather
from stackpick.errors import Aborted
from stackpick.interview import make_asker
from stackpick.report import show_recommendation

ENTER = "\r"
DOWN = "\x1b[B"
CLEAR = "\x15"  # Ctrl-U: clear the pre-filled default


def run_interview(keys: str, request: Request | None = None):
    shown = io.StringIO()
    asked: list[str] = []
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        ask = make_asker(
            QUESTIONS,
            lambda rec: show_recommendation(rec, shown),
            input=pipe,
            output=DummyOutput(),
        )

        def recording(question, default, context):
            asked.append(question.name)
            return ask(question, default, context)

        outcome = gather(QUESTIONS, request or Request(), ask=recording)
    return outcome, asked, shown.getvalue()


def test_accepting_every_default_takes_the_recommendation() -> None:
    outcome, asked, shown = run_interview(ENTER * 40)
    answers = outcome.answers
    assert answers["framework"] == "django" == outcome.recommendation.rules_framework
    assert outcome.recommendation.overridden_by is None
    # Follow-ups are asked only when they apply; hidden values never are.
    # needs_auth defaults to yes and data to relational, so both follow-ups apply.
    assert "needs_roles" in asked and "evolving_schema" in asked
    assert "recommendation" not in asked and "secret_key" not in asked
    assert "Recommendation: Django" in shown


def test_typed_answers_follow_ups_and_an_override() -> None:
    keys = (
        CLEAR
        + "Blog Engine"
        + ENTER  # project_name
        + ENTER  # project_slug (derived: blog_engine)
        + ENTER  # description
        + DOWN * 7
        + ENTER  # kind: prototype
        + ENTER  # size: small
        + "\x7f"
        + "2"
        + ENTER  # team_size: 2
        + ENTER  # lifetime: long
        + ENTER * 3  # experience, familiar_with, control
        + "n"  # needs_auth: no -> needs_roles is not asked
        + "n"  # needs_admin
        + DOWN * 2
        + ENTER  # data: none -> evolving_schema is not asked
        + "n"
        + "n"
        + "n"
        + "n"
        + "n"  # multi_tenant, needs_api, html_pages, ...
        + ENTER  # database
        + DOWN
        + ENTER  # framework: the other one than recommended
        + ENTER  # background_jobs: none
    )
    outcome, asked, shown = run_interview(keys)
    answers = outcome.answers
    assert answers["project_name"] == "Blog Engine"
    assert answers["project_slug"] == "blog_engine"
    assert answers["kind"] == "prototype"
    assert answers["team_size"] == 2
    assert answers["needs_auth"] is False and answers["data"] == "none"
    assert "needs_roles" not in asked and "evolving_schema" not in asked
    rec = outcome.recommendation
    assert rec.rules_framework == "flask"
    assert answers["framework"] == "django" and rec.overridden_by == "user"
    assert "Recommendation: Flask" in shown


def test_eof_at_a_prompt_aborts() -> None:
    with create_pipe_input() as pipe:
        pipe.send_text("My")
        pipe.close()
        ask = make_asker(QUESTIONS, lambda rec: None, input=pipe, output=DummyOutput())
        with pytest.raises(Aborted, match="nothing was written"):
            gather(QUESTIONS, Request(), ask=ask)


def test_ctrl_c_at_a_prompt_aborts() -> None:
    with create_pipe_input() as pipe:
        pipe.send_text(ENTER * 3 + "\x03")
        ask = make_asker(QUESTIONS, lambda rec: None, input=pipe, output=DummyOutput())
        with pytest.raises(Aborted):
            gather(QUESTIONS, Request(), ask=ask)
