"""The interactive questionnaire: questionary prompts over the copier.yml questions.

Only the prompting lives here; which questions apply, their defaults and their
validation come from `questions.Questionnaire`, and which choices are refused from
the compatibility rules (rules.yaml) and a team preset, so copier and stackpick ask
alike. The flow: a one-line welcome, numbered questions ("4/17"), the reasons before
the framework question, then a summary screen (accept / change an answer / abort).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import questionary
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
from questionary import Choice

from stackpick.decide.engine import recommend
from stackpick.decide.questions import Question, Questionnaire
from stackpick.decide.rules import load_rules
from stackpick.errors import Aborted, StackpickError

Check = Callable[[str, Any], str | None]
Say = Callable[[str], None]

WELCOME = (
    "stackpick: a few questions about your project, then a recommendation and a "
    "summary; nothing is written until you accept (Ctrl-C aborts)."
)
ACCEPT, CHANGE, ABORT = "accept", "change", "abort"
# questionary draws a refused choice in the `disabled` class, which its default style
# leaves in the default colour: grey it out.
GREYED = questionary.Style([("disabled", "fg:ansibrightblack italic")])


class Interview:
    """An `ask` callback for `Questionnaire.resolve` that prompts with questionary.

    Before the `framework` question it shows the recommendation with its reasons, so
    accepting the default is accepting the rules' pick. `prompt_options` go to every
    prompt (tests pass `input`/`output` here). `start(fixed)` (called by `gather`)
    says which answers were given up front, so the question count leaves them out.
    """

    def __init__(
        self,
        questions: Questionnaire,
        show: Callable[[Any], None],
        check: Check | None = None,
        *,
        say: Say = print,
        ask_framework: bool = True,
        **prompt_options: Any,
    ) -> None:
        self.questions = questions
        self.show = show
        self.check = check
        self.say = say
        self.ask_framework = ask_framework
        self.prompt_options = prompt_options
        self.given: dict[str, Any] = {}
        self.asked = 0
        self.keep: Mapping[str, Any] = {}  # answers kept while changing one
        self.change: str | None = None

    def start(self, fixed: Mapping[str, Any]) -> None:
        self.given = dict(fixed)
        if self.asked == 0 and self.change is None:
            self.say(WELCOME)

    # -- what is asked -------------------------------------------------------------
    def total(self, context: Mapping[str, Any], current: Question) -> int:
        """How many questions this interview asks, as far as the answers so far tell.

        Later follow-ups are judged with the kind's defaults for what is unanswered.
        """
        guess = self.questions.with_flags(
            {
                **load_rules().base_defaults,
                **(context.get("kind_defaults") or {}),
                **(context.get("follow_defaults") or {}),
                **self.given,
                **context,
            }
        )
        later = False
        count = max(self.asked, 1)  # those asked so far, this one included
        for question in self.questions.public():
            if question is current:
                later = True
                continue
            if not later or question.name in self.given:
                continue
            if self.change is not None and question.name in self.keep:
                continue  # kept while one answer changes (the framework counts itself)
            if question.name == "framework" and not self.ask_framework:
                continue
            if self.questions.applies(question, guess):
                count += 1
        return count

    def refused(
        self, question: Question, value: Any, context: Mapping[str, Any]
    ) -> str:
        """Why `value` cannot be chosen here ('' when it can)."""
        veto = self.check(question.name, value) if self.check else None
        if veto:
            return veto
        answers = {k: v for k, v in context.items() if k in self.questions.questions}
        return load_rules().refusal_line(
            {**answers, question.name: value}, about=question.name
        )

    def __call__(
        self, question: Question, default: Any, context: dict[str, Any]
    ) -> Any:
        name = question.name
        if self.change is not None and name != self.change and name in self.keep:
            # Changing one answer keeps the others. A framework left to the rules
            # follows them; when their pick changed, the reasons are shown and the
            # framework asked again.
            kept = self.keep[name]
            if name != "framework" or not self.keep.get("_followed_rules"):
                return kept
            if default == kept:
                return default
        if name == "framework":
            rec = recommend(context)  # every answer that applies was asked: given
            if not self.ask_framework:
                return rec.framework
            from stackpick.decide.answers import with_flips

            self.show(with_flips(rec, context, None, self.questions))
        self.asked += 1
        label = f"{self.asked}/{self.total(context, question)} {question.help}"
        return self.prompt(question, label, default, context)

    # -- prompting -------------------------------------------------------------------
    def prompt(
        self, question: Question, label: str, default: Any, context: dict[str, Any]
    ) -> Any:
        options = self.prompt_options
        if question.type == "bool" or question.choices:
            pairs = (
                list(question.choices)
                if question.choices
                else [("Yes", True), ("No", False)]
            )
            reasons = {v: self.refused(question, v, context) for _, v in pairs}
            if question.choices or any(reasons.values()):
                # A refused value is shown, greyed out, with its reason.
                choices = [
                    Choice(
                        title=_choice_title(question, text, value, default),
                        value=value,
                        disabled=_wrapped(
                            _choice_title(question, text, value, default),
                            reasons[value],
                        )
                        or None,
                    )
                    for text, value in pairs
                ]
                allowed = [v for _, v in pairs if not reasons[v]]
                prompt = questionary.select(
                    label,
                    choices=choices,
                    default=default if default in allowed else None,
                    style=GREYED,
                    **options,
                )
            else:
                prompt = questionary.confirm(label, default=bool(default), **options)
            _eof_aborts(prompt)
        else:
            prompt = questionary.text(
                label,
                default="" if default is None else str(default),
                validate=lambda text: self.problem(question, text, context) or True,
                **options,
            )
        return self.questions.cast(question, _answer(prompt), "answer")

    def problem(self, question: Question, value: Any, context: dict[str, Any]) -> str:
        try:
            typed = self.questions.cast(question, value, "answer")
        except StackpickError as error:
            return str(error).split(": ", 2)[-1]
        message = self.questions.problem(question, typed, context)
        if not message and self.check:
            message = self.check(question.name, typed) or ""
        return message

    # -- the summary screen ----------------------------------------------------------
    def review(self, answers: Mapping[str, Any], pick: str) -> str:
        """Every answer and the pick; returns ACCEPT, ABORT or the key to change."""
        recorded = answers.get("recommendation") or {}
        given = recorded.get("given") if isinstance(recorded, Mapping) else None
        self.say(summary_text(self.questions, answers, pick, given))
        flips = recorded.get("flips") if isinstance(recorded, Mapping) else None
        if flips:
            pairs = len(flips[0]["changes"]) > 1
            self.say(
                "  Nothing short of two changes flips this:"
                if pairs
                else "  What would change the pick:"
            )
            for flip in flips:
                self.say(f"    {flip['text']}")
        choice = _answer(
            questionary.select(
                "Create the project with these answers?",
                choices=[
                    Choice("Yes, create it", ACCEPT),
                    Choice("Change an answer", CHANGE),
                    Choice("Abort (nothing is written)", ABORT),
                ],
                **self.prompt_options,
            ),
            escape=True,
        )
        if choice != CHANGE:
            return choice
        asked = [q for q in self.questions.public() if q.name in answers]
        return _answer(
            questionary.select(
                "Which answer?",
                choices=[
                    Choice(f"{q.help}: {labelled(q, answers[q.name])}", q.name)
                    for q in asked
                ],
                **self.prompt_options,
            ),
            escape=True,
        )

    def changing(self, key: str, answers: Mapping[str, Any], followed: bool) -> None:
        """Ask `key` again next time; keep every other answer."""
        self.change = key
        self.keep = {**answers, "_followed_rules": followed}
        self.asked = 0


def make_asker(
    questions: Questionnaire,
    show: Callable[[Any], None],
    check: Check | None = None,
    **prompt_options: Any,
) -> Interview:
    """An Interview (the name callers used before the class existed)."""
    return Interview(questions, show, check, **prompt_options)


def summary_text(
    questions: Questionnaire,
    answers: Mapping[str, Any],
    pick: str,
    given: Collection[str] | None = None,
) -> str:
    """The summary screen: one line per answer, in the words the question used.

    An answer nobody gave (filled in: it did not vote) says so.
    """
    shown = [q for q in questions.public() if q.name in answers]
    width = min(48, max(len(q.help) for q in shown))
    lines = ["", "Summary"]
    for q in shown:
        help_text = q.help if len(q.help) <= width else q.help[: width - 1] + "…"
        value = labelled(q, answers[q.name])
        if given is not None and q.name not in given and questions.applies(q, answers):
            value += " (assumed)"
        lines.append(f"  {help_text:<{width}}  {value}")
    framework = next((q for q in shown if q.name == "framework"), None)
    picked = labelled(framework, pick) if framework else pick
    lines.append(f"  {'Framework picked':<{width}}  {picked}")
    return "\n".join(lines)


def labelled(question: Question, value: Any) -> str:
    """The choice's label as the question showed it ('saas' -> 'A SaaS or ...')."""
    for text, choice in question.choices:
        if choice == value and not isinstance(choice, bool):
            return text
    return _shown(value)


def _columns() -> int:
    """The width prompt_toolkit draws in (the terminal's own, not $COLUMNS)."""
    from prompt_toolkit.application.current import get_app_session

    try:
        return get_app_session().output.get_size().columns or 80
    except OSError:  # not a terminal: the prompts fail later with their own error
        return 80


def _wrapped(title: str, reason: str) -> str:
    """A refused choice's reason, broken into lines that fit the terminal (questionary
    would draw it on one line, cut at the right edge)."""
    if not reason:
        return ""
    import textwrap

    columns = _columns()
    lead = len(f"    - {title} (")
    lines = textwrap.wrap(
        reason,
        max(columns - 2, 20),
        initial_indent=" " * lead,
        subsequent_indent=" " * 6,
        break_on_hyphens=False,
    )
    lines[0] = lines[0][lead:]
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _answer(prompt: questionary.Question, escape: bool = False) -> Any:
    if escape:
        _eof_aborts(prompt)
    try:
        answer = prompt.unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        raise Aborted() from None
    if answer is None:
        raise Aborted()
    return answer


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
