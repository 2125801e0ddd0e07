"""The questions, read from the root copier.yml: the one source of the answers schema.

Copier asks these questions when it is used alone; stackpick reads the same file to
drive its own questionnaire and to validate answers files, presets and `--data`. The
`when:`, `default:` and `validator:` expressions are Jinja, rendered here the way
Copier renders them (sandboxed, with the same filters). Annotations are evaluated
(no `from __future__ import annotations`), as in rules.py: NamedTuple records are
cheaper to define with real types than with strings.
"""

import keyword
import sys
from collections.abc import Callable, Collection, Mapping
from contextlib import suppress
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from stackpick.errors import StackpickError

TRUE_WORDS = {"true", "yes", "y", "on", "1"}
FALSE_WORDS = {"false", "no", "n", "off", "0"}
# Hidden from Copier (it cannot act on them: `lock` runs uv after rendering) but the
# user's to set for stackpick, from --data, an answers file or a preset.
STACKPICK_OPTIONS = ("lock",)
# The question whose answer chooses the defaults of the others (rules.yaml `defaults`).
KIND = "kind"


def parse_copier_yml(path: Path) -> dict[str, Any]:
    """copier.yml as data, with copier's `!include` resolved."""
    import yaml

    # libyaml's loader when PyYAML has it: copier.yml and the rules parse ~10x faster.
    safe: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(safe):  # type: ignore[valid-type,misc]
        """A safe loader that understands copier's `!include` (beside copier.yml)."""

    def include(loader: Loader, node: yaml.Node) -> list[Any]:
        target = path.parent / str(loader.construct_scalar(node))  # type: ignore[arg-type]
        # Copier wraps an included document in a list; mirror it so expressions agree.
        return [yaml.load(target.read_text(encoding="utf-8"), Loader=safe)]

    Loader.add_constructor("!include", include)
    with path.open(encoding="utf-8") as stream:
        loader = Loader(stream)
        try:
            config = loader.get_single_data()
        finally:
            loader.dispose()
    return config


class _Given(NamedTuple):
    """What a walk over the questions starts from: answers taken as given, defaults
    that replace the template's, and where each came from (for messages)."""

    fixed: Mapping[str, Any]
    defaults: Mapping[str, Any]
    origins: Mapping[str, str]


class Question(NamedTuple):
    """One question of copier.yml."""

    name: str
    type: str
    help: str
    default: Any
    choices: tuple[tuple[str, Any], ...]
    when: Any
    validator: str
    secret: bool

    @property
    def hidden(self) -> bool:
        """Computed or recorded, never asked.

        `when: false` in copier.yml, or a `when:` on the question's own value: that
        one is recorded only when stackpick passes it (the preset's source and hash).
        """
        if self.when is False:
            return True
        return isinstance(self.when, str) and f"{self.name} is defined" in self.when

    @property
    def follows_kind(self) -> bool:
        """Its default is the kind's default (rules.yaml's `defaults`), not derived."""
        return self.default in (
            "{{ kind_defaults." + self.name + " }}",
            "{{ follow_defaults." + self.name + " }}",
        )

    @property
    def derived(self) -> bool:
        """Its default is computed from earlier answers (a slug, the recommendation)."""
        return (
            isinstance(self.default, str)
            and "{{" in self.default
            and not self.follows_kind
        )

    def choice_values(self) -> list[Any]:
        return [value for _, value in self.choices]


Ask = Callable[[Question, Any, dict[str, Any]], Any]
Check = Callable[[str, Any], str | None]


class Questionnaire:
    """The questions of a template, with Copier's rendering of their expressions."""

    def __init__(self, copier_yml: Path) -> None:
        from stackpick.decide import snapshot

        self.path = copier_yml
        config = snapshot.load(copier_yml) or parse_copier_yml(copier_yml)
        self._templates: dict[str, Any] = {}
        self.settings = {k: v for k, v in config.items() if k.startswith("_")}
        self.questions: dict[str, Question] = {
            name: _question(name, spec)
            for name, spec in config.items()
            if not name.startswith("_")
        }

    @cached_property
    def _jinja(self) -> Any:
        from jinja2.sandbox import SandboxedEnvironment

        return SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
        )

    # -- rendering ---------------------------------------------------------------
    def render(self, expression: Any, context: Mapping[str, Any]) -> Any:
        """Render a Jinja string against `context`; other values pass through.

        Each distinct expression is compiled once per run; plain text (no `{`) is
        returned as it is, and a plain one-line expression is evaluated (see
        expressions.py), both without Jinja.
        """
        if not isinstance(expression, str):
            return expression
        if "{" not in expression:  # plain text renders to itself
            return expression
        from stackpick.decide.expressions import NotPlain, render_plain

        full = self._full_context(context)
        with suppress(NotPlain):  # one plain `{{ ... }}`: no Jinja needed
            return render_plain(expression, full)
        return self.render_with_jinja(expression, context)

    def render_with_jinja(self, expression: str, context: Mapping[str, Any]) -> str:
        """Render `expression` with Jinja, as Copier does (sandboxed, its filters)."""
        template = self._templates.get(expression)
        if template is None:
            template = self._templates[expression] = self._jinja.from_string(expression)
        return template.render(self._full_context(context))

    def _full_context(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """The answers so far, the included data, and Copier's `_external_data`."""
        return {"_external_data": {"current": {}}, **self._data, **context}

    @cached_property
    def _data(self) -> dict[str, Any]:
        """Hidden answers that are plain data (included files): always in context."""
        return {
            q.name: q.default
            for q in self.questions.values()
            if q.hidden and not isinstance(q.default, str)
        }

    def with_flags(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """`context` plus the hidden flags computed from it (`has_users`, `uses_sql`).

        For judging later questions from a guess, before `resolve` reaches the flags.
        """
        out = dict(context)
        for question in self.questions.values():
            if (
                question.hidden
                and question.type == "bool"
                and isinstance(question.default, str)
            ):
                rendered = self.render(question.default, out)
                out[question.name] = self.cast(question, rendered, question.name)
        return out

    def applies(self, question: Question, context: Mapping[str, Any]) -> bool:
        """Whether the question is asked, given the answers so far."""
        if isinstance(question.when, bool):
            return question.when
        return self.render(question.when, context).strip().lower() in TRUE_WORDS

    def default(self, question: Question, context: Mapping[str, Any]) -> Any:
        """The question's own default, rendered and cast."""
        return self.cast(question, self.render(question.default, context), "default")

    # -- checking ----------------------------------------------------------------
    def public(self) -> list[Question]:
        return [q for q in self.questions.values() if not q.hidden]

    def check_keys(self, answers: Mapping[str, Any], origin: str) -> None:
        """Refuse keys that are not questions, suggesting the closest one."""
        known = [q.name for q in self.public()]
        for key in answers:
            question = self.questions.get(key)
            if question and (
                key in STACKPICK_OPTIONS or not (question.secret or question.hidden)
            ):
                continue
            if question:  # preset_name, secret_key, the rules: never given
                raise StackpickError(
                    f"{origin}: unknown key '{key}': the template computes it, "
                    "it is not an answer you can give"
                )
            import difflib

            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise StackpickError(f"{origin}: unknown key '{key}'{hint}")

    def cast(self, question: Question, raw: Any, origin: str) -> Any:
        """Convert `raw` to the question's type; a string from --data is parsed."""
        name, kind = question.name, question.type
        where = f"{origin}: {name}"
        if kind == "bool":
            if isinstance(raw, bool):
                value: Any = raw
            elif (
                isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS
            ):
                value = raw.strip().lower() in TRUE_WORDS
            else:
                raise StackpickError(f"{where} must be true or false, not {raw!r}")
        elif kind == "int":
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise StackpickError(f"{where} must be a whole number, not {raw!r}")
            try:
                value = int(raw)
            except ValueError:
                raise StackpickError(
                    f"{where} must be a whole number, not {raw!r}"
                ) from None
        elif kind in {"yaml", "json"}:
            import yaml

            value = yaml.safe_load(raw) if isinstance(raw, str) else raw
        else:
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise StackpickError(f"{where} must be text, not {raw!r}")
            value = str(raw)
        if question.choices and value not in question.choice_values():
            import difflib

            allowed = ", ".join(str(v) for v in question.choice_values())
            close = difflib.get_close_matches(
                str(value), map(str, question.choice_values()), 1
            )
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise StackpickError(f"{where}: {value!r} is not one of: {allowed}{hint}")
        return value

    def problem(
        self, question: Question, value: Any, context: Mapping[str, Any]
    ) -> str:
        """The validator's message for `value` ('' when it is fine)."""
        if question.name == "project_slug":
            extra = _slug_problem(str(value))
            if extra:
                return extra
        message = ""
        if question.validator:
            message = " ".join(
                self.render(
                    question.validator, {**context, question.name: value}
                ).split()
            )
        if not message and isinstance(value, str) and _has_control(value):
            message = "Control characters (escapes, NUL, ...) are not allowed here."
        return message

    def validate(
        self, question: Question, value: Any, context: Mapping[str, Any], origin: str
    ) -> None:
        message = self.problem(question, value, context)
        if message:
            raise StackpickError(f"{origin}: {question.name}: {message}")

    # -- resolving ---------------------------------------------------------------
    def resolve(
        self,
        fixed: Mapping[str, Any],
        defaults: Mapping[str, Any] | None = None,
        *,
        ask: Ask | None = None,
        computed: Mapping[str, Callable[[dict[str, Any]], Any]] | None = None,
        check: Check | None = None,
        origins: Mapping[str, str] | None = None,
        only: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """Walk the questions in order and return every answer.

        `fixed` answers are taken as given (never asked); `defaults` replace the
        template's defaults; `ask` (interactive) is called for the rest that apply;
        `computed` supplies hidden values (the rules, the recommendation); `check` is
        an extra veto (a preset's forbid list). Values are cast and validated.
        With `only`, the walk answers just those questions and the given ones (and
        the hidden values on the way), and ends after the last of them.
        """
        computed = computed or {}
        given = _Given(fixed, defaults or {}, origins or {})
        context: dict[str, Any] = {}
        wanted = None if only is None else {*only, *fixed}
        for question in self._walk(wanted):
            name = question.name
            if name in computed:
                context[name] = computed[name](context)
            elif question.hidden or question.secret:
                context[name] = self._hidden_value(question, given, context)
            else:
                context[name] = self._answer(question, given, context, ask, check)
        return context

    def _walk(self, wanted: set[str] | None) -> list[Question]:
        """The questions to resolve, in order: all, or up to the last one wanted."""
        questions = list(self.questions.values())
        if wanted is None:
            return questions
        last = max((i for i, q in enumerate(questions) if q.name in wanted), default=-1)
        return [
            q for q in questions[: last + 1] if q.name in wanted or q.hidden or q.secret
        ]

    def factors(self) -> set[str]:
        """The questions the rules read: the kind, and each whose default it gives."""
        return {KIND} | {q.name for q in self.public() if q.follows_kind}

    def _hidden_value(
        self, question: Question, given: _Given, context: dict[str, Any]
    ) -> Any:
        """A value nobody is asked for: given, computed by its expression, or ''."""
        name = question.name
        fixed, defaults, origins = given
        raw = fixed.get(name, defaults.get(name, question.default))
        if name in STACKPICK_OPTIONS and name in fixed:  # the user's: checked
            return self.cast(question, raw, origins.get(name, name))
        if name in fixed:
            return raw
        if question.secret:  # never guessed here: render passes its own
            return ""
        if question.type == "bool":  # computed flags (`uses_sql`) as bools
            return self.cast(question, self.render(raw, context), name)
        return self.render(raw, context)

    def _answer(
        self,
        question: Question,
        given: _Given,
        context: dict[str, Any],
        ask: Ask | None,
        check: Check | None,
    ) -> Any:
        """A public question's answer: given, asked for, or its default; checked."""
        name = question.name
        fixed, defaults, origins = given
        origin = origins.get(name) or self._origin(question, fixed, context)
        if name in defaults:
            default = self.cast(question, defaults[name], origins.get(name, "preset"))
        else:
            default = self.default(question, context)
        applies = self.applies(question, context)
        if name in fixed:
            value = self.cast(question, fixed[name], origin)
        elif ask is not None and applies:
            value = ask(question, default, context)
        else:
            value = default
        if applies or name in fixed:
            # The template's own defaults (a constant, the kind's) are valid by
            # construction (tests/test_questions.py checks every kind's), so only
            # what someone gave, or derived from it, is rendered through its
            # validator. Combinations are refused by the engine (refusal_line).
            someones = name in fixed or name in defaults or ask is not None
            if someones or question.derived:
                self.validate(question, value, context, origin)
            veto = check(name, value) if check else None  # a preset's forbid
            if veto:
                raise StackpickError(veto)
        return value

    @staticmethod
    def _origin(
        question: Question, fixed: Mapping[str, Any], context: Mapping[str, Any]
    ) -> str:
        """Where an answer came from, for the message when it is refused."""
        name = question.name
        if name in fixed:
            return "answers"
        if question.derived:
            return f"derived from your answers (set {name} yourself)"
        if question.follows_kind:
            return f"the default for kind={context.get('kind')}"
        return "default"

    def missing(
        self,
        fixed: Mapping[str, Any],
        defaults: Mapping[str, Any],
        computed: Mapping[str, Callable[[dict[str, Any]], Any]] | None = None,
    ) -> list[str]:
        """Questions that would be asked but have no answer (for non-interactive use).

        Derived defaults (the slug, the framework) count as answered: deriving them
        is the point.
        """
        absent: list[str] = []

        def note(question: Question, default: Any, context: dict[str, Any]) -> Any:
            if not question.derived and question.name not in defaults:
                absent.append(question.name)
            return default

        self.resolve(fixed, defaults, ask=note, computed=computed)
        return absent


def _question(name: str, spec: Any) -> Question:
    if not isinstance(spec, dict):
        spec = {"default": spec}
    choices = spec.get("choices") or ()
    if isinstance(choices, dict):
        pairs = tuple((str(label), value) for label, value in choices.items())
    else:
        pairs = tuple((str(value), value) for value in choices)
    kind = spec.get("type") or (
        "bool" if isinstance(spec.get("default"), bool) else "str"
    )
    return Question(
        name=name,
        type=kind,
        help=str(spec.get("help") or name),
        default=spec.get("default"),
        choices=pairs,
        when=spec.get("when", True),
        validator=str(spec.get("validator") or ""),
        secret=bool(spec.get("secret", False)),
    )


def _has_control(text: str) -> bool:
    """Whether `text` holds a control character (tab aside) that has no place in it."""
    import unicodedata  # only for given text: the defaults never need it

    return any(unicodedata.category(ch) == "Cc" and ch != "\t" for ch in text)


def _slug_problem(slug: str) -> str:
    """Checks Jinja cannot make: the running Python's keywords and stdlib names."""
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return f"'{slug}' is a Python keyword."
    if slug in sys.stdlib_module_names:
        return f"'{slug}' is a standard-library module name."
    return ""
