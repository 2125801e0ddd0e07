"""The questionnaire end to end, typed into prompt_toolkit's pipe input."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from factors import QUESTIONS
from stackpick.decide.answers import Request, gather
from stackpick.errors import Aborted
from stackpick.interview import Interview, make_asker, summary_text
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
        + ENTER  # lifetime: short (the prototype's default)
        + ENTER * 3  # experience, familiar_with, control
        + "n"  # needs_auth: no -> needs_roles is not asked
        + "n"  # needs_admin
        + DOWN * 2
        + ENTER  # data: none -> evolving_schema is not asked
        + "n"
        + "n"  # multi_tenant, needs_api
        + ENTER  # html_pages: a choice now, "No" greyed out (nothing to serve)
        + "n"
        + "n"  # high_throughput, security_first; no SQL, so no database question
        + DOWN
        + ENTER  # framework: the other one than recommended
        + ENTER  # background_jobs: none
    )
    outcome, asked, shown = run_interview(keys)
    answers = outcome.answers
    assert answers["project_name"] == "Blog Engine"
    assert answers["project_slug"] == "blog_engine"
    assert answers["kind"] == "prototype" and answers["lifetime"] == "short"
    assert answers["control"] == "flexibility"  # the prototype's default
    assert answers["team_size"] == 2
    assert answers["needs_auth"] is False and answers["data"] == "none"
    assert answers["html_pages"] is True
    assert "needs_roles" not in asked and "evolving_schema" not in asked
    assert "database" not in asked
    rec = outcome.recommendation
    assert rec.rules_framework == "flask"
    assert answers["framework"] == "django" and rec.overridden_by == "user"
    assert "Recommendation: Flask" in shown


def test_a_greyed_out_choice_cannot_be_taken() -> None:
    """With no API, "No pages" is refused: moving down skips it, Enter keeps Yes."""
    request = Request(data=["kind=website", "needs_api=false"])
    keys = ENTER * 3 + ENTER * 13 + DOWN + ENTER + ENTER * 10
    outcome, asked, _ = run_interview(keys, request)
    assert "html_pages" in asked and outcome.answers["html_pages"] is True


def test_refused_values_carry_the_rules_reason() -> None:
    interview = Interview(QUESTIONS, lambda rec: None, say=lambda text: None)
    html = QUESTIONS.questions["html_pages"]
    context = {"needs_api": False, "data": "relational"}
    reason = interview.refused(html, False, context)
    assert reason.startswith("html_pages=false with needs_api=false: ")
    assert interview.refused(html, True, context) == ""
    framework = QUESTIONS.questions["framework"]
    assert "data=document" in interview.refused(
        framework, "django", {"data": "document"}
    )


def test_questions_are_numbered_and_the_count_follows_the_answers() -> None:
    interview = Interview(QUESTIONS, lambda rec: None, say=lambda text: None)
    interview.start({})
    first = QUESTIONS.questions["project_name"]
    with_auth = interview.total({}, first)
    interview.start({"needs_auth": False, "data": "none"})  # two fewer follow-ups
    assert interview.total({}, first) < with_auth
    assert with_auth == len(QUESTIONS.public())  # every question applies by default


def test_summary_lists_every_answer_and_the_pick() -> None:
    outcome, _, _ = run_interview(ENTER * 40)
    text = summary_text(QUESTIONS, outcome.answers, "django")
    assert "What kind of app is it?" in text and "Framework picked" in text
    assert len(text.splitlines()) == len(QUESTIONS.public()) + 3


def test_changing_an_answer_keeps_the_others_and_follows_the_new_pick() -> None:
    """Summary -> change -> `kind` -> microservice: only that question is asked again,
    and a framework left to the rules follows the new recommendation."""
    with create_pipe_input() as pipe:
        pipe.send_text(CLEAR + "Keep Me" + ENTER + ENTER * 40)
        options = {"input": pipe, "output": DummyOutput()}
        interview = Interview(
            QUESTIONS, lambda rec: None, say=lambda t: None, **options
        )
        first = gather(QUESTIONS, Request(), ask=interview)
        assert first.answers["framework"] == "django"
    with create_pipe_input() as pipe:
        kind_row = [q.name for q in QUESTIONS.public()].index("kind")
        pipe.send_text(DOWN + ENTER + DOWN * kind_row + ENTER + DOWN * 5 + ENTER)
        interview.prompt_options = {"input": pipe, "output": DummyOutput()}
        choice = interview.review(first.answers, "django")
        assert choice == "kind"
        interview.changing(choice, first.answers, followed=True)
        again = gather(QUESTIONS, Request(), ask=interview)
    assert again.answers["kind"] == "microservice"
    assert again.answers["project_name"] == "Keep Me"  # kept
    assert again.answers["needs_auth"] is True  # kept, not the new kind's default
    assert again.answers["framework"] == again.recommendation.rules_framework
    assert interview.asked == 1


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
