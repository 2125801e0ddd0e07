"""Loading and checking rules.yaml, the single source of the rules.

The same file is `!include`d by the root copier.yml, so plain Copier computes the same
recommendation; this module gives the engine a typed, validated view of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

FRAMEWORKS = ("flask", "django")

# A condition: any of these alternatives; each maps an answer key to allowed values
# (a list) or numeric bounds ({min: N} / {max: N}).
Clause = dict[str, Any]
Condition = tuple[Clause, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    favours: str
    strength: str
    points: int
    sources: tuple[str, ...]
    why: str
    when: Condition


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    sources: tuple[str, ...]
    when: Condition


@dataclass(frozen=True)
class Extension:
    name: str
    why: str
    when: Condition


@dataclass(frozen=True)
class RuleSet:
    weights: dict[str, int]
    close_call_margin: int
    confidence: tuple[tuple[str, int], ...]  # (label, min_margin), highest first
    tie_break: str
    sources: dict[str, str]
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]
    extensions: dict[str, tuple[Extension, ...]]


def holds(condition: Condition, answers: dict[str, Any]) -> bool:
    """True when any alternative of `condition` matches `answers` in every key."""
    return any(_clause_holds(clause, answers) for clause in condition)


def _clause_holds(clause: Clause, answers: dict[str, Any]) -> bool:
    for key, expected in clause.items():
        value = answers[key]
        if isinstance(expected, dict):
            if "min" in expected and value < expected["min"]:
                return False
            if "max" in expected and value > expected["max"]:
                return False
        elif value not in expected:
            return False
    return True


def raw_rules_text() -> str:
    """The rules file as shipped in the package.

    In a checkout it sits beside this module. In the wheel it travels once, inside
    the bundled template at the path copier.yml's `!include` names.
    """
    package = files("stackpick")
    for candidate in (
        package.joinpath("rules.yaml"),
        package.joinpath("_template", "generator", "stackpick", "rules.yaml"),
    ):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError("stackpick's rules.yaml is missing from this installation")


@cache
def load_rules() -> RuleSet:
    """Parse and validate rules.yaml (cached: it is read-only data)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
    return parse_rules(yaml.load(raw_rules_text(), Loader=loader))


def parse_rules(data: dict[str, Any]) -> RuleSet:
    """Build a RuleSet, failing loudly on data the engine could misread."""
    weights = {str(k): int(v) for k, v in data["weights"].items()}
    if not weights["strong"] > weights["moderate"] > weights["weak"] > 0:
        raise ValueError("rules.yaml: weights must keep strong > moderate > weak > 0")
    sources = {str(k): str(v) for k, v in data["sources"].items()}

    def condition(entry: dict[str, Any], where: str) -> Condition:
        when = entry.get("when")
        if not isinstance(when, list) or not all(isinstance(c, dict) for c in when):
            raise ValueError(f"rules.yaml: {where}: 'when' must be a list of mappings")
        return tuple(when)

    def cited(entry: dict[str, Any], where: str) -> tuple[str, ...]:
        keys = tuple(entry.get("sources", ()))
        unknown = [k for k in keys if k not in sources]
        if unknown or not keys:
            raise ValueError(
                f"rules.yaml: {where}: sources {unknown or '[]'} not in table"
            )
        return keys

    rules = []
    seen: set[str] = set()
    for entry in data["rules"]:
        rid = entry["id"]
        if rid in seen:
            raise ValueError(f"rules.yaml: rule id {rid!r} is repeated")
        seen.add(rid)
        if entry["favours"] not in FRAMEWORKS:
            raise ValueError(f"rules.yaml: {rid}: favours must be flask or django")
        rules.append(
            Rule(
                id=rid,
                favours=entry["favours"],
                strength=entry["strength"],
                points=weights[entry["strength"]],
                sources=cited(entry, rid),
                why=entry["why"],
                when=condition(entry, rid),
            )
        )
    notes = tuple(
        Note(n["id"], n["text"], cited(n, n["id"]), condition(n, n["id"]))
        for n in data.get("notes", ())
    )
    extensions = {
        fw: tuple(
            Extension(e["name"], e["why"], condition(e, e["name"]))
            for e in data["extensions"][fw]
        )
        for fw in FRAMEWORKS
    }
    confidence = tuple(
        (c["label"], int(c["min_margin"]))
        for c in sorted(data["confidence"], key=lambda c: -int(c["min_margin"]))
    )
    return RuleSet(
        weights=weights,
        close_call_margin=int(data["close_call_margin"]),
        confidence=confidence,
        tie_break=data["tie_break"],
        sources=sources,
        rules=tuple(rules),
        notes=notes,
        extensions=extensions,
    )


def condition_keys(ruleset: RuleSet) -> set[str]:
    """Every answer key some rule, note or extension looks at."""
    keys: set[str] = set()
    for item in (*ruleset.rules, *ruleset.notes, *sum(ruleset.extensions.values(), ())):
        for clause in item.when:
            keys.update(clause)
    return keys
