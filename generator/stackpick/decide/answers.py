"""Gathering the answers: answers file, --data, a team preset and (maybe) the user.

Precedence: pin > --data > --answers > preset defaults > the template's defaults.
Returns the full, validated answers and the recommendation computed from them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from stackpick import version
from stackpick.decide.engine import Recommendation, recommend
from stackpick.decide.questions import Questionnaire
from stackpick.decide.rules import load_rules
from stackpick.errors import StackpickError
from stackpick.files import read_yaml_mapping
from stackpick.locate import preset_path

if TYPE_CHECKING:
    from stackpick.decide.presets import Preset
    from stackpick.decide.questions import Ask

# Computed by copier.yml itself (from the same rules file); never passed as data.
HIDDEN_FOR_COPIER = (
    "rules_data",
    "forbidden_names",
    "kind_defaults",
    "follow_defaults",
)


def computed_values(
    pinned: str | None = None,
    pinned_by: str | None = None,
    given: Collection[str] | None = None,
) -> dict[str, Any]:
    """The hidden values stackpick computes in Python where copier uses Jinja.

    The rules document (for copier.yml's compatibility validators), the kind's
    defaults and the recommendation; the parity tests hold each equal to copier's on
    complete answers. `given` names the answers someone gave (None: all; a set that
    an interview fills as it asks).
    """
    ruleset = load_rules()

    def recommendation(context: dict[str, Any]) -> dict[str, Any]:
        return recommend(
            context, override=pinned, overridden_by=pinned_by, given=given
        ).to_dict()

    return {
        "rules_data": lambda context: [ruleset.raw],
        "kind_defaults": lambda context: ruleset.defaults_for(context["kind"]),
        "follow_defaults": lambda context: following_defaults(ruleset, context),
        "recommendation": recommendation,
    }


class Request(NamedTuple):
    """What the user gave on the command line."""

    answers_file: Path | None = None
    data: Sequence[str] = ()
    preset_file: str | Path | None = None  # a path or a URL (see presets.py)
    # Built-in defaults of this run (the project name from the folder's name):
    # below a preset's defaults, above the template's.
    defaults: Mapping[str, Any] = MappingProxyType({})  # read-only: shared
    defaults_origin: str = "default"


class Outcome(NamedTuple):
    answers: dict[str, Any]
    recommendation: Recommendation
    preset: Preset | None


# The answers copier.yml asks before `follow_defaults` (the implications it can apply).
ASKED_BEFORE_FOLLOW = ("kind", "size", "team_size", "experience")


def following_defaults(ruleset: Any, context: Mapping[str, Any]) -> dict[str, Any]:
    """The kind's defaults, after what the answers so far imply (rules.yaml `implied`).

    copier.yml's `follow_defaults` computes the same in Jinja (a parity test holds
    them equal): a beginner's project defaults to a short life.
    """
    from stackpick.decide.engine import implications

    known = {k: context[k] for k in ASKED_BEFORE_FOLLOW if k in context}
    merged = ruleset.defaults_for(context["kind"])
    merged.update(implications(ruleset, known, set(known)))
    return merged


class _recording:
    """An `ask` that notes each question it was called for: those answers are given."""

    def __init__(self, ask: Ask, given: set[str]) -> None:
        self._ask, self._given = ask, given

    def __getattr__(self, name: str) -> Any:  # the interview's start, total, ...
        return getattr(self._ask, name)

    def __call__(self, question: Any, default: Any, context: dict[str, Any]) -> Any:
        self._given.add(question.name)
        return self._ask(question, default, context)


def with_flips(
    rec: Recommendation,
    answers: Mapping[str, Any],
    given: Collection[str] | None,
    questions: Questionnaire,
) -> Recommendation:
    """`rec` with the smallest answer changes that would change the rules' pick."""
    from stackpick.decide.flips import capped_confidence, find_flips, question_choices

    ruleset = load_rules()
    found = find_flips(dict(answers), given, question_choices(questions), ruleset)
    confidence = capped_confidence(ruleset, rec.confidence, found)
    return rec._replace(flips=found, confidence=confidence)


def parse_data(pairs: Sequence[str], unique: bool = False) -> dict[str, str]:
    """`KEY=VALUE` strings from --data; a pair without '=' is refused.

    With `unique` (the user's own pairs) a key given twice is refused, as a duplicate
    key in an answers file is: "the last one wins" would silently drop an answer.
    """
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise StackpickError(f"--data {pair!r}: expected KEY=VALUE")
        if unique and key.strip() in data:
            raise StackpickError(
                f"--data {key.strip()} is given twice ({key.strip()}="
                f"{data[key.strip()]}, {pair}): give each key once"
            )
        data[key.strip()] = value
    return data


def gather(
    questions: Questionnaire,
    request: Request,
    *,
    ask: Ask | None = None,
    require_complete: bool = False,
    with_secret: bool = False,
    factors_only: bool = False,
) -> Outcome:
    """Merge every source of answers, ask what is left (when `ask`), and recommend.

    `factors_only` (a recommendation, nothing to render) resolves only the answers
    the rules read when nothing else was given: no name, slug or framework is
    derived only to be thrown away.
    """
    fixed, origins = _given_answers(questions, request)
    path = preset_path(request.preset_file)
    preset = None
    if path:  # presets bring URL fetching and git's checks: load them only for one
        from stackpick.decide.presets import load_preset_spec

        preset = load_preset_spec(path, questions)
    defaults = _defaults(questions, request, preset, fixed, origins)
    pinned = preset.pin.get("framework") if preset else None
    pinned_by = f"preset: {preset.name}" if preset else None

    # Given: the answers file, --data, the preset (its pins and the team's defaults)
    # and every question the user saw and answered; the rest are filled in.
    given: set[str] = set(fixed) | set(preset.defaults if preset else ())
    computed = computed_values(pinned, pinned_by, given)
    if require_complete and ask is None:
        _refuse_missing(questions.missing(fixed, defaults, computed))
    _record(fixed, preset, with_secret)
    if ask is not None:
        ask = _recording(ask, given)
    start = getattr(ask, "start", None)
    if start is not None:  # an interview: it counts the questions left to ask
        start(fixed)
    answers = questions.resolve(
        fixed,
        defaults,
        ask=ask,
        computed=computed,
        check=preset.refusal if preset else None,
        origins=origins,
        only=_factors_to_resolve(questions, fixed) if factors_only else None,
    )
    _refuse_combination(answers)
    final = recommend(
        answers,
        override=answers.get("framework"),
        overridden_by=pinned_by if pinned else "user",
        given=given,
    )
    if "framework" not in answers:  # factors only: check the pick with the rest
        _refuse_combination({**answers, "framework": final.framework})
    final = with_flips(final, answers, given, questions)
    answers["recommendation"] = final.to_dict()
    for key in HIDDEN_FOR_COPIER:
        answers.pop(key, None)
    return Outcome(answers=answers, recommendation=final, preset=preset)


def _given_answers(
    questions: Questionnaire, request: Request
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers file and --data (later wins), each key checked, with its origin."""
    origins: dict[str, str] = {}
    fixed: dict[str, Any] = {}
    if request.answers_file is not None:
        from_file = read_yaml_mapping(request.answers_file, "answers")
        # A .copier-answers.yml carries _src_path/_commit too: those are not answers.
        from_file = {k: v for k, v in from_file.items() if not str(k).startswith("_")}
        questions.check_keys(from_file, f"answers file {request.answers_file}")
        fixed.update(from_file)
        origins.update(dict.fromkeys(from_file, f"answers file {request.answers_file}"))
    data = parse_data(request.data, unique=True)
    questions.check_keys(data, "--data")
    fixed.update(data)
    origins.update(dict.fromkeys(data, "--data"))
    return fixed, origins


def _defaults(
    questions: Questionnaire,
    request: Request,
    preset: Preset | None,
    fixed: dict[str, Any],
    origins: dict[str, str],
) -> dict[str, Any]:
    """This run's defaults, then the preset's; the preset's pins join `fixed`.

    A given answer that contradicts a pin is refused before anything is asked.
    """
    defaults: dict[str, Any] = dict(request.defaults)
    for key in request.defaults:
        origins.setdefault(key, request.defaults_origin)
    if preset is None:
        return defaults
    preset.check_against_pins(
        {
            k: questions.cast(questions.questions[k], v, origins[k])
            for k, v in fixed.items()
        },
        origins,
    )
    fixed.update(preset.pin)
    origins.update(dict.fromkeys(preset.pin, f"preset '{preset.name}'"))
    defaults.update(preset.defaults)
    for key in preset.defaults:  # a bad default is the preset's fault: say so
        if key not in fixed:
            origins[key] = f"preset '{preset.name}': defaults"
    return defaults


def _factors_to_resolve(
    questions: Questionnaire, fixed: Mapping[str, Any]
) -> set[str] | None:
    """The rules' questions, when every given answer is one of them (or hidden).

    A given name, slug or framework is checked with what derives from it (a name's
    slug), so then every question is resolved, as for a project.
    """
    factors = questions.factors()
    for key in fixed:
        if key not in factors and not questions.questions[key].hidden:
            return None
    return factors


def _refuse_combination(answers: dict[str, Any]) -> None:
    """Every rule is also checked at its question; this is the backstop."""
    refused = load_rules().refusal_line(answers)
    if refused:
        raise StackpickError(refused)


def _refuse_missing(absent: list[str]) -> None:
    """No terminal to ask on: name every answer still missing, in one line."""
    if absent:
        raise StackpickError(
            "no terminal to ask on, and these answers are missing: "
            f"{', '.join(absent)} (give them with --answers/--data, "
            "or pass --defaults)"
        )


def _record(fixed: dict[str, Any], preset: Preset | None, with_secret: bool) -> None:
    """Answers recorded for later runs: the preset's identity, version and secret."""
    if preset:
        fixed.setdefault("preset_name", preset.name)
        # Recorded in .copier-answers.yml: `check` and `update` load it again.
        fixed["preset_source"] = preset.source
        fixed["preset_hash"] = preset.digest
    if with_secret:  # answers to render with: recorded version, a fresh secret
        import secrets

        fixed.setdefault("stackpick_version", version())
        fixed["secret_key"] = secrets.token_urlsafe(50)
