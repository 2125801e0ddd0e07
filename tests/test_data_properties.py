"""Any --data pairs, known keys or not: answers or a clean error, never a crash.

Name and slug texts alone are covered by test_properties.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from factors import QUESTIONS
from stackpick.decide.answers import Request, gather
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
        assert slug.isidentifier() and slug.isascii() and len(slug) <= 32
        assert 1 <= len(answers["project_name"].strip()) <= 80
        assert "\n" not in answers["project_name"]
        assert answers["framework"] in ("flask", "django")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(KEYS | st.text(max_size=12), st.text(max_size=20)), max_size=4)
)
def test_any_data_pairs(pairs: list[tuple[str, str]]) -> None:
    gathers_or_refuses([f"{key}={value}" for key, value in pairs])
