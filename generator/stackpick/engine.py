"""The recommendation engine: a pure function from answers to a Recommendation.

No I/O and no printing. The same answers always give the same result; copier.yml runs
the same rules in Jinja and a parity test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stackpick.rules import Compatibility, Extension, RuleSet, holds, load_rules


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
    familiarity: dict[str, Any] | None = None
    ruled_out: dict[str, Any] | None = None

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
            "familiarity": self.familiarity,
            "ruled_out": self.ruled_out,
        }


def effective_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as the rules see them: a follow-up question counts only when it applies.

    `needs_roles` only matters with accounts, `evolving_schema` only with relational
    data (copier does not ask them otherwise, and neither does stackpick).
    """
    seen = dict(answers)
    # An answers file leaves out a follow-up that was not asked.
    seen["needs_roles"] = bool(answers.get("needs_roles") and answers["needs_auth"])
    seen["evolving_schema"] = bool(
        answers.get("evolving_schema") and answers["data"] == "relational"
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
    familiarity = _familiarity(ruleset, fired, scores)
    if familiarity:
        picked = familiarity["framework"] if familiarity["kept"] else picked
    ruled_out = _ruled_out(ruleset, seen, picked)
    if ruled_out:
        picked = OTHER[picked]
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
        familiarity=familiarity,
        ruled_out=ruled_out,
    )


OTHER = {"flask": "django", "django": "flask"}
NAMES = {"flask": "Flask", "django": "Django"}


def _familiarity(
    ruleset: RuleSet, fired: list[Reason], scores: dict[str, int]
) -> dict[str, Any] | None:
    """S4's "do not switch": the familiar framework stays unless the other wins clearly.

    Clearly means on strong grounds (at least `min_strong` of its strong rules fired)
    and on points (a lead of at least `min_lead`). copier.yml mirrors this in Jinja.
    """
    bars = ruleset.familiarity
    known = [r for r in fired if bars and r.rule in bars.rules]
    if not bars or len(known) != 1:
        return None
    mine = known[0].framework
    other = OTHER[mine]
    strong = sum(1 for r in fired if r.framework == other and r.strength == "strong")
    lead = scores[other] - scores[mine]
    switch = strong >= bars.min_strong and lead >= bars.min_lead
    if switch:
        text = (
            f"Your team knows {NAMES[mine]}, but {NAMES[other]} wins clearly: by "
            f"{lead} points with {strong} strong reasons (at least {bars.min_lead} "
            f"and {bars.min_strong} needed)."
        )
    elif lead > 0:
        text = (
            f"Your team knows {NAMES[mine]}, so {NAMES[mine]} stays: {NAMES[other]} "
            f"would need to win by at least {bars.min_lead} points with "
            f"{bars.min_strong} or more strong reasons; "
            f"it wins by {lead} with {strong}."
        )
    else:
        text = f"Your team knows {NAMES[mine]}, and {NAMES[mine]} leads on points too."
    return {
        "framework": mine,
        "kept": not switch,
        "rule": known[0].rule,
        "min_strong": bars.min_strong,
        "min_lead": bars.min_lead,
        "strong": strong,
        "lead": lead,
        "text": text,
        "sources": list(bars.sources),
    }


def _ruled_out(
    ruleset: RuleSet, seen: dict[str, Any], picked: str
) -> dict[str, Any] | None:
    """The compatibility rule that refuses `picked` for these answers, when the other
    framework is not refused too: the rules never pick a framework they would refuse.
    """

    def refused(framework: str) -> Compatibility | None:
        return ruleset.refusal(
            {**seen, "framework": framework}, about="framework", steering=True
        )

    rule = refused(picked)
    if rule is None or refused(OTHER[picked]) is not None:
        return None
    return {"framework": picked, "rule": rule.id, "why": rule.why}
