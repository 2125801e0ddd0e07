"""The interactive questionnaire: questionary prompts over the copier.yml questions.

Only the prompting lives here; which questions apply, their defaults and their
validation come from `questions.Questionnaire`, so copier and stackpick ask alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import questionary
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
from questionary import Choice

from stackpick.engine import recommend
from stackpick.errors import Aborted, StackpickError
from stackpick.questions import Question, Questionnaire

Check = Callable[[str, Any], str | None]


def make_asker(
    questions: Questionnaire,
    show: Callable[[Any], None],
    check: Check | None = None,
    **prompt_options: Any,
) -> Callable[[Question, Any, dict[str, Any]], Any]:
    """An `ask` callback for `Questionnaire.resolve` that prompts with questionary.

    Before the `framework` question it shows the recommendation with its reasons, so
    accepting the default is accepting the rules' pick. `prompt_options` go to every
    prompt (tests pass `input`/`output` here).
    """

    def problem(question: Question, value: Any, context: dict[str, Any]) -> str | None:
        try:
            typed = questions.cast(question, value, "answer")
        except StackpickError as error:
            return str(error).split(": ", 2)[-1]
        message = questions.problem(question, typed, context)
        if not message and check:
            message = check(question.name, typed) or ""
        return message or None

    def ask(question: Question, default: Any, context: dict[str, Any]) -> Any:
        if question.name == "framework":
            show(recommend(context))
        label = question.help
        if question.type == "bool":
            prompt = questionary.confirm(label, default=bool(default), **prompt_options)
        elif question.choices:
            choices = [
                Choice(
                    title=_choice_title(question, text, value, default),
                    value=value,
                    # A preset's forbidden value is shown, greyed out, with its reason.
                    disabled=(check(question.name, value) if check else None),
                )
                for text, value in question.choices
            ]
            prompt = questionary.select(
                label, choices=choices, default=default, **prompt_options
            )
        else:
            prompt = questionary.text(
                label,
                default="" if default is None else str(default),
                validate=lambda text: problem(question, text, context) or True,
                **prompt_options,
            )
        if question.type == "bool" or question.choices:
            _eof_aborts(prompt)
        try:
            answer = prompt.unsafe_ask()
        except (KeyboardInterrupt, EOFError):
            raise Aborted() from None
        if answer is None:
            raise Aborted()
        return questions.cast(question, answer, "answer")

    return ask


def _eof_aborts(prompt: questionary.Question) -> None:
    """Ctrl-D ends a yes/no or a choice prompt the way it ends an empty text prompt."""
    extra = KeyBindings()

    @extra.add("c-d", eager=True)
    def _(event: Any) -> None:
        event.app.exit(exception=EOFError, style="class:aborting")

    app = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), extra])


def _choice_title(question: Question, text: str, value: Any, default: Any) -> str:
    if question.name == "framework" and value == default:
        return f"{text} (recommended)"
    return text
