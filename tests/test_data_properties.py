"""Any text for a name, or any --data pair: answers or a clean error, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from factors import QUESTIONS
from stackpick.answers import Request, gather
from stackpick.errors import StackpickError

KEYS = st.sampled_from(sorted(QUESTIONS.questions))


def gathers_or_refuses(data: list[str]) -> None:
    try:
        outcome = gather(QUESTIONS, Request(data=data))
    except StackpickError as error:
        message = str(error)
        assert message and "Traceback" not in message
    else:
        answers = outcome.answers
        slug = answers["project_slug"]
        assert slug.isidentifier() and slug.isascii() and len(slug) <= 64
        assert 1 <= len(answers["project_name"].strip()) <= 80
        assert "\n" not in answers["project_name"]
        assert answers["framework"] in ("flask", "django")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=100))
def test_any_project_name(name: str) -> None:
    gathers_or_refuses([f"project_name={name}"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_project_slug(slug: str) -> None:
    gathers_or_refuses([f"project_slug={slug}"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(KEYS | st.text(max_size=12), st.text(max_size=20)), max_size=4)
)
def test_any_data_pairs(pairs: list[tuple[str, str]]) -> None:
    gathers_or_refuses([f"{key}={value}" for key, value in pairs])
