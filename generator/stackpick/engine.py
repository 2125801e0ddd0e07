"""The recommendation engine: a pure function from answers to a Recommendation.

No I/O and no printing. The same answers always give the same result; copier.yml runs
the same rules in Jinja and a parity test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stackpick.rules import Extension, RuleSet, holds, load_rules


@dataclass(frozen=True)
class Reason:
    """A rule that fired."""

    rule: str
    framework: str
    strength: str
    points: int
    sources: tuple[str, ...]
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "framework": self.framework,
            "strength": self.strength,
            "points": self.points,
            "sources": list(self.sources),
            "why": self.why,
        }


@dataclass(frozen=True)
class Recommendation:
    framework: str
    rules_framework: str
    scores: dict[str, int]
    margin: int
    confidence: str
    close_call: bool
    reasons: tuple[Reason, ...]
    notes: tuple[dict[str, Any], ...]
    extensions: tuple[Extension, ...]
    overridden_by: str | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def top_reason(self, framework: str) -> Reason | None:
        """The strongest reason for `framework` (first in rule order on a tie)."""
        return next((r for r in self.reasons if r.framework == framework), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `stackpick recommend --json` (keys are stable)."""
        return {
            "framework": self.framework,
            "rules_framework": self.rules_framework,
            "scores": dict(self.scores),
            "margin": self.margin,
            "confidence": self.confidence,
            "close_call": self.close_call,
            "reasons": [r.to_dict() for r in self.reasons],
            "notes": [dict(n) for n in self.notes],
            "extensions": [e.name for e in self.extensions],
            "overridden_by": self.overridden_by,
        }


def effective_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as the rules see them: a follow-up question counts only when it applies.

    `needs_roles` only matters with accounts, `evolving_schema` only with relational
    data (copier does not ask them otherwise, and neither does stackpick).
    """
    seen = dict(answers)
    seen["needs_roles"] = bool(answers["needs_roles"] and answers["needs_auth"])
    seen["evolving_schema"] = bool(
        answers["evolving_schema"] and answers["data"] == "relational"
    )
    seen.setdefault("database", "sqlite")
    return seen


def recommend(
    answers: dict[str, Any],
    ruleset: RuleSet | None = None,
    *,
    override: str | None = None,
    overridden_by: str | None = None,
) -> Recommendation:
    """Score both frameworks by the rules that hold for `answers`.

    An override (a team preset's pin, or the user's own choice) wins over the rules;
    the rules' own pick stays in `rules_framework` so the output can show both, and
    `overridden_by` says who decided ("user", or "preset: <name>").
    """
    ruleset = ruleset or load_rules()
    seen = effective_answers(answers)
    fired = [
        Reason(r.id, r.favours, r.strength, r.points, r.sources, r.why)
        for r in ruleset.rules
        if holds(r.when, seen)
    ]
    # Strongest first; equal points keep the rules file's order (a stable sort).
    fired.sort(key=lambda r: -r.points)
    scores = {
        fw: sum(r.points for r in fired if r.framework == fw)
        for fw in ("flask", "django")
    }
    margin = abs(scores["flask"] - scores["django"])
    if margin == 0:
        picked = ruleset.tie_break
    else:
        picked = max(scores, key=lambda fw: scores[fw])
    confidence = next(label for label, least in ruleset.confidence if margin >= least)
    framework = override or picked
    notes = tuple(
        {"id": n.id, "text": n.text, "sources": list(n.sources)}
        for n in ruleset.notes
        if holds(n.when, seen)
    )
    extensions = tuple(e for e in ruleset.extensions[framework] if holds(e.when, seen))
    return Recommendation(
        framework=framework,
        rules_framework=picked,
        scores=scores,
        margin=margin,
        confidence=confidence,
        close_call=margin <= ruleset.close_call_margin,
        reasons=tuple(fired),
        notes=notes,
        extensions=extensions,
        overridden_by=overridden_by if override and override != picked else None,
        sources=dict(ruleset.sources),
    )
