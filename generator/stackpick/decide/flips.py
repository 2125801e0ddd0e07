"""What would change the pick: the smallest answer changes that flip it.

Every single change of one answer (given or assumed) to another allowed value is
tried; when none flips the rules' pick, every pair of changes is. A change the
compatibility rules refuse is skipped. Pure: answers in, flips out (a few hundred
evaluations of the rules' core, well under 100 ms).
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

from stackpick.decide.engine import (
    NAMES,
    OTHER,
    decide,
    effective_answers,
    given_keys,
    implications,
)
from stackpick.decide.rules import RuleSet, load_rules

if TYPE_CHECKING:
    from collections.abc import Collection

    from stackpick.decide.questions import Questionnaire

MAX_PAIRS = 12  # pairs shown when no single change flips the pick (most decisive first)


def factor_keys(ruleset: RuleSet) -> list[str]:
    """The answers the rules' pick can depend on, in the rules file's order."""
    keys: list[str] = []
    conditions = [r.when for r in ruleset.rules] + [i.when for i in ruleset.implied]
    conditions += [c.refuse for c in ruleset.compatibility if c.steers]
    for condition in conditions:
        for clause in condition:
            keys += [k for k in clause if k not in keys and k != "framework"]
    for entry in ruleset.implied:
        keys += [k for k in entry.implies if k not in keys]
    return keys


def cuts(ruleset: RuleSet, key: str) -> list[int]:
    """Where the rules' numeric bounds on `key` start a new range ({max: 2} -> 3)."""
    found: set[int] = set()
    for rule in ruleset.rules:
        for clause in rule.when:
            bound = clause.get(key)
            if isinstance(bound, dict):
                found |= {bound["min"]} if "min" in bound else set()
                found |= {bound["max"] + 1} if "max" in bound else set()
    return sorted(found)


def number_choices(ruleset: RuleSet, key: str) -> list[int]:
    """One value per range the rules tell apart for a number (team_size: 2, 3, 4)."""
    edges = cuts(ruleset, key)
    return [v for v in [edges[0] - 1, *edges] if v >= 1] if edges else []


def question_choices(
    questions: Questionnaire, ruleset: RuleSet | None = None
) -> dict[str, list[Any]]:
    """Each factor's allowed values, from the questions (numbers: one per range)."""
    ruleset = ruleset or load_rules()
    out: dict[str, list[Any]] = {}
    for key in factor_keys(ruleset):
        question = questions.questions.get(key)
        if question is None:
            continue
        if question.choices:
            out[key] = question.choice_values()
        elif question.type == "bool":
            out[key] = [True, False]
        elif question.type == "int":
            out[key] = number_choices(ruleset, key)
    return out


def capped_confidence(
    ruleset: RuleSet, confidence: str, flips: tuple[dict[str, Any], ...]
) -> str:
    """A pick one assumed answer can flip is at most the middle confidence label."""
    labels = [label for label, _ in ruleset.confidence]
    cap = labels[min(1, len(labels) - 1)]
    fragile = any(len(f["changes"]) == 1 and f["assumed"] for f in flips)
    if fragile and labels.index(confidence) < labels.index(cap):
        return cap
    return confidence


def find_flips(
    answers: dict[str, Any],
    given: Collection[str] | None,
    choices: dict[str, list[Any]],
    ruleset: RuleSet | None = None,
) -> tuple[dict[str, Any], ...]:
    """Single changes that flip the pick; if there are none, the most decisive pairs."""
    ruleset = ruleset or load_rules()
    base = _pick(ruleset, answers, given, check=False)
    singles = [
        {key: value}
        for key, values in choices.items()
        for value in values
        if key in answers and not indistinct(ruleset, key, answers[key], value)
    ]
    if given is not None:  # saying what was assumed can change the pick too
        singles += [{k: answers[k]} for k in choices if k in answers and k not in given]
    found = [f for f in (_flip(ruleset, answers, given, c, base) for c in singles) if f]
    if found:
        return tuple(found)
    pairs = [{**a, **b} for a, b in combinations(singles, 2) if set(a).isdisjoint(b)]
    found = [f for f in (_flip(ruleset, answers, given, c, base) for c in pairs) if f]
    # Most decisive first (a rival refused outright counts as the most decisive).
    found.sort(
        key=lambda f: -(99 if f["decision_margin"] is None else f["decision_margin"])
    )
    return tuple(found[:MAX_PAIRS])


def indistinct(ruleset: RuleSet, key: str, old: Any, new: Any) -> bool:
    """Whether the rules cannot tell `new` from `old` (equal, or in one range)."""
    if isinstance(old, int) and not isinstance(old, bool) and isinstance(new, int):
        edges = cuts(ruleset, key)
        return _range(edges, old) == _range(edges, new)
    return old == new


def _range(bounds: list[int], value: int) -> int:
    return sum(1 for b in bounds if value >= b)


def _pick(
    ruleset: RuleSet,
    answers: dict[str, Any],
    given: Collection[str] | None,
    check: bool = True,
) -> Any:
    """The rules' decision (None when `check` and the result would be refused)."""
    seen = effective_answers(answers)
    told = None if given is None else given_keys(seen, given)
    implied = implications(ruleset, seen, told) if told is not None else {}
    decision = decide(ruleset, {**seen, **implied}, told, implied)
    if check and ruleset.refusal({**seen, "framework": decision.picked}) is not None:
        return None
    return decision


def _flip(
    ruleset: RuleSet,
    answers: dict[str, Any],
    given: Collection[str] | None,
    change: dict[str, Any],
    base: Any,
) -> dict[str, Any] | None:
    """The flip `change` makes (its new pick and scores), or None if it makes none."""
    told = None if given is None else {*given, *change}
    after = _pick(ruleset, {**answers, **change}, told)
    if after is None or after.picked == base.picked:
        return None
    assumed = [k for k in change if given is not None and k not in given]
    scores = after.scores
    shown = ", ".join(f"{k}={_show(v)}" for k, v in change.items())
    mine, rival = scores[after.picked], scores[OTHER[after.picked]]
    text = f"with {shown}: {NAMES[after.picked]} {mine}-{rival}"
    if all(answers[k] == v for k, v in change.items()):
        text = f"confirming {shown} (now assumed): {NAMES[after.picked]} {mine}-{rival}"
    if mine == rival and after.familiarity is None:
        text += " (a tie, " + (
            "broken by assumed answers)"
            if after.decided_by_assumed
            else "broken to the smaller commitment)"
        )
    elif mine < rival:
        text += " (the team's familiarity keeps it)" if after.familiarity else ""
    return {
        "changes": dict(change),
        "assumed": assumed,
        "framework": after.picked,
        "scores": dict(scores),
        "decision_margin": after.decision_margin,
        "text": text,
    }


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
