"""The recommendation engine: a pure function from answers to a Recommendation.

No I/O and no printing. The same answers always give the same result; copier.yml runs
the same rules in Jinja and a parity test keeps the two in step. Annotations are
evaluated (no `from __future__ import annotations`), as in rules.py: NamedTuple
records are cheaper to define with real types than with strings.
"""

from collections.abc import Iterable
from typing import Any, NamedTuple

from stackpick.decide.rules import (
    Compatibility,
    Extension,
    Rule,
    RuleSet,
    clause_holds,
    holds,
    load_rules,
)


class Reason(NamedTuple):
    """A rule that fired."""

    rule: str
    framework: str
    strength: str
    points: int
    sources: tuple[str, ...]
    why: str
    # The answers nobody gave that this reason rests on (filled in): such a reason
    # does not vote; it can at most break a tie. Empty for a reason that votes.
    assumed: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "rule": self.rule,
            "framework": self.framework,
            "strength": self.strength,
            "points": self.points,
            "sources": list(self.sources),
            "why": self.why,
        }
        if self.assumed:  # only then: complete answers keep copier's exact shape
            out["assumed"] = dict(self.assumed)
        return out


class Recommendation(NamedTuple):
    framework: str
    rules_framework: str
    scores: dict[str, int]
    margin: int
    confidence: str
    close_call: bool
    reasons: tuple[Reason, ...]
    notes: tuple[dict[str, Any], ...]
    extensions: tuple[Extension, ...]
    overridden_by: str | None
    sources: dict[str, str]
    familiarity: dict[str, Any] | None
    ruled_out: dict[str, Any] | None
    # How far the decision is from flipping, in points (None: the other framework
    # is refused for these answers); confidence and close_call are read from it.
    decision_margin: int | None
    assumed: tuple[Reason, ...]  # reasons resting on filled-in answers
    given: tuple[str, ...] | None  # None: every answer was given
    implied: dict[str, Any]  # by the given answers
    decided_by_assumed: bool  # a tie the filled-in answers broke
    flips: tuple[dict[str, Any], ...] = ()  # see stackpick.decide.flips

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
            "decision_margin": self.decision_margin,
            "assumed": [r.to_dict() for r in self.assumed],
            "given": list(self.given) if self.given is not None else None,
            "implied": dict(self.implied),
            "decided_by_assumed": self.decided_by_assumed,
            "flips": [dict(f) for f in self.flips],
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
    given: Iterable[str] | None = None,
) -> Recommendation:
    """Score both frameworks by the rules that hold for `answers`.

    `given` names the answers someone gave (None: all of them). The rest were filled
    in for rendering: rules vote on given answers and on what they imply (rules.yaml's
    `implied`); a rule that needs a filled-in answer is listed as assumed and can at
    most break a tie. An override (a team preset's pin, or the user's own choice) wins
    over the rules; the rules' own pick stays in `rules_framework` so the output can
    show both, and `overridden_by` says who decided ("user", or "preset: <name>").
    """
    ruleset = ruleset or load_rules()
    seen = effective_answers(answers)
    told = None if given is None else given_keys(seen, given)
    implied = implications(ruleset, seen, told) if told is not None else {}
    d = decide(ruleset, {**seen, **implied}, told, implied)
    framework = override or d.picked
    notes = tuple(
        {"id": n.id, "text": n.text, "sources": list(n.sources)}
        for n in ruleset.notes
        if holds(n.when, seen)
    )
    extensions = tuple(e for e in ruleset.extensions[framework] if holds(e.when, seen))
    return Recommendation(
        framework=framework,
        rules_framework=d.picked,
        scores=d.scores,
        margin=d.margin,
        confidence=confidence_label(ruleset, d.decision_margin),
        close_call=d.decision_margin is not None
        and d.decision_margin <= ruleset.close_call_margin,  # both remain possible
        reasons=d.counted,
        notes=notes,
        extensions=extensions,
        overridden_by=overridden_by if override and override != d.picked else None,
        sources=dict(ruleset.sources),
        familiarity=d.familiarity,
        ruled_out=d.ruled_out,
        decision_margin=d.decision_margin,
        assumed=d.assumed,
        given=tuple(sorted(told)) if told is not None else None,
        implied=implied,
        decided_by_assumed=d.decided_by_assumed,
    )


class Decision(NamedTuple):
    """The rules' pick and what it rests on (recommend's core, reused by flips)."""

    picked: str
    scores: dict[str, int]
    margin: int
    counted: tuple[Reason, ...]
    assumed: tuple[Reason, ...]
    familiarity: dict[str, Any] | None
    ruled_out: dict[str, Any] | None
    decision_margin: int | None
    decided_by_assumed: bool


def given_keys(seen: dict[str, Any], given: Iterable[str]) -> set[str]:
    """The given answers, with the follow-ups a given answer settles.

    Saying "no accounts" settles the roles question, and data other than relational
    settles the schema question (copier does not even ask them then).
    """
    told = {k for k in given if k in seen}
    if "needs_auth" in told and not seen["needs_auth"]:
        told.add("needs_roles")
    if "data" in told and seen["data"] != "relational":
        told.add("evolving_schema")
    return told


def implications(
    ruleset: RuleSet, seen: dict[str, Any], told: set[str]
) -> dict[str, Any]:
    """What the given answers imply for the ones nobody gave (rules.yaml `implied`)."""
    known = {k: seen[k] for k in told}
    out: dict[str, Any] = {}
    for entry in ruleset.implied:
        if all(set(c) <= told for c in entry.when) and holds(entry.when, known):
            for key, value in entry.implies.items():
                if key not in told:
                    out.setdefault(key, value)
    return out


def decide(
    ruleset: RuleSet,
    seen: dict[str, Any],
    told: set[str] | None,
    implied: Iterable[str] = (),
) -> Decision:
    """Score, pick, apply "do not switch" and the compatibility rules.

    `seen` holds the implied values already; `implied` names them (with `told`,
    the evidence the rules vote on).
    """
    evidence = None if told is None else told | set(implied)
    counted, assumed = _fired(ruleset, seen, evidence)
    scores = _totals(counted)
    margin = abs(scores["flask"] - scores["django"])
    by_assumed = False
    if margin:
        picked = max(scores, key=lambda fw: scores[fw])
    else:
        extra = _totals(assumed)
        by_assumed = extra["flask"] != extra["django"]
        picked = (
            max(extra, key=lambda fw: extra[fw]) if by_assumed else ruleset.tie_break
        )
    familiarity = _familiarity(ruleset, counted, scores)
    if familiarity:
        picked = familiarity["framework"] if familiarity["kept"] else picked
    ruled_out = _ruled_out(ruleset, seen, picked)
    if familiarity and ruled_out and ruled_out["framework"] == familiarity["framework"]:
        familiarity = {**familiarity, "text": _ruled_out_text(familiarity)}
    if ruled_out:
        picked = OTHER[picked]
    return Decision(
        picked=picked,
        scores=scores,
        margin=margin,
        counted=tuple(counted),
        assumed=tuple(assumed),
        familiarity=familiarity,
        ruled_out=ruled_out,
        decision_margin=None
        if _only_choice(ruleset, seen, picked)
        else _decision_margin(ruleset, picked, scores, familiarity),
        decided_by_assumed=by_assumed and not familiarity and not ruled_out,
    )


def _fired(
    ruleset: RuleSet, seen: dict[str, Any], evidence: set[str] | None
) -> tuple[list[Reason], list[Reason]]:
    """The rules that hold: those that vote, and those resting on filled-in answers.

    Strongest first; equal points keep the rules file's order (a stable sort).
    """
    counted: list[Reason] = []
    assumed: list[Reason] = []
    for r, clauses in _compiled(ruleset):
        for clause in clauses:
            if _fast_holds(clause, seen):
                break
        else:
            continue
        missing = _assumed_in(r, seen, evidence) if evidence is not None else {}
        (assumed if missing else counted).append(
            Reason(r.id, r.favours, r.strength, r.points, r.sources, r.why, missing)
        )
    counted.sort(key=lambda r: -r.points)
    assumed.sort(key=lambda r: -r.points)
    return counted, assumed


def _totals(reasons: Iterable[Reason]) -> dict[str, int]:
    reasons = list(reasons)
    return {
        fw: sum(r.points for r in reasons if r.framework == fw)
        for fw in ("flask", "django")
    }


_COMPILED: dict[int, tuple[RuleSet, tuple[Any, ...]]] = {}


def _compiled(ruleset: RuleSet) -> tuple[Any, ...]:
    """Each rule with its clauses as (key, allowed set or None, low, high) tuples.

    The flips try hundreds of answer sets; matching on sets, not lists and bound
    mappings, keeps that well under 100 ms.
    """
    known = _COMPILED.get(id(ruleset))
    if known is None or known[0] is not ruleset:
        compiled = tuple(
            (
                rule,
                tuple(
                    tuple(
                        (key, None, want.get("min"), want.get("max"))
                        if isinstance(want, dict)
                        else (key, frozenset(want), None, None)
                        for key, want in clause.items()
                    )
                    for clause in rule.when
                ),
            )
            for rule in ruleset.rules
        )
        known = _COMPILED[id(ruleset)] = (ruleset, compiled)
    return known[1]


def _fast_holds(clause: tuple[Any, ...], seen: dict[str, Any]) -> bool:
    for key, allowed, low, high in clause:
        value = seen[key]
        if allowed is not None:
            if value not in allowed:
                return False
        elif (low is not None and value < low) or (high is not None and value > high):
            return False
    return True


def _assumed_in(rule: Rule, seen: dict[str, Any], evidence: set[str]) -> dict[str, Any]:
    """The filled-in answers a rule rests on ({} when a clause holds on evidence).

    A rule's `qualifiers` (keys that only narrow it) may stay filled in.
    """
    best: dict[str, Any] | None = None
    for clause in rule.when:
        if not clause_holds(clause, seen):
            continue
        missing = {
            k: seen[k] for k in clause if k not in evidence and k not in rule.qualifiers
        }
        if not missing:
            return {}
        if best is None:
            best = missing
    return best or {}


def confidence_label(ruleset: RuleSet, decision_margin: int | None) -> str:
    """The label for how far the decision is from flipping (ruled out: the highest)."""
    if decision_margin is None:
        return ruleset.confidence[0][0]
    return next(
        label for label, least in ruleset.confidence if decision_margin >= least
    )


def _decision_margin(
    ruleset: RuleSet,
    picked: str,
    scores: dict[str, int],
    familiarity: dict[str, Any] | None,
) -> int:
    """How many points the rival would need to take the decision (0 on a tie).

    Without "do not switch" it is the pick's lead. With it, the familiar framework
    keeps the pick until the rival clears both bars, so the distance is to the nearer
    bar still standing (a missing strong reason counts a strong rule's points); a
    rival that cleared them keeps the pick by the smaller of its surpluses. Either
    way, evidence for the rival never raises it.
    """
    if not familiarity:
        return max(scores[picked] - scores[OTHER[picked]], 0)
    strong_points = ruleset.weights["strong"]
    lead, strong = familiarity["lead"], familiarity["strong"]
    lead_gap = familiarity["min_lead"] - lead
    strong_gap = (familiarity["min_strong"] - strong) * strong_points
    if familiarity["kept"]:
        return max(lead_gap, strong_gap, 1)
    return max(min(1 - lead_gap, strong_points - strong_gap), 1)


def _ruled_out_text(familiarity: dict[str, Any]) -> str:
    mine = NAMES[familiarity["framework"]]
    return f"Your team knows {mine}, but {mine} is ruled out for these answers."


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
            f"{lead} points with {strong} strong reasons (our bars: at least "
            f"{bars.min_lead} points and {bars.min_strong} strong reasons)."
        )
    elif lead > 0:
        text = (
            f"Your team knows {NAMES[mine]}, so {NAMES[mine]} stays: {NAMES[other]} "
            f"would need to win by at least {bars.min_lead} points with "
            f"{bars.min_strong} or more strong reasons (our bars; S4 gives no "
            f"numbers); it wins by {lead} with {strong}."
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


def _refused(
    ruleset: RuleSet, seen: dict[str, Any], framework: str
) -> Compatibility | None:
    """The steering compatibility rule that refuses `framework` for these answers."""
    return ruleset.refusal(
        {**seen, "framework": framework}, about="framework", steering=True
    )


def _only_choice(ruleset: RuleSet, seen: dict[str, Any], picked: str) -> bool:
    """Whether the rival is refused and `picked` is not: no points could flip it."""
    return (
        _refused(ruleset, seen, OTHER[picked]) is not None
        and _refused(ruleset, seen, picked) is None
    )


def _ruled_out(
    ruleset: RuleSet, seen: dict[str, Any], picked: str
) -> dict[str, Any] | None:
    """The compatibility rule that refuses `picked` for these answers, when the other
    framework is not refused too: the rules never pick a framework they would refuse.
    """

    def refused(framework: str) -> Compatibility | None:
        return _refused(ruleset, seen, framework)

    rule = refused(picked)
    if rule is None or refused(OTHER[picked]) is not None:
        return None
    return {"framework": picked, "rule": rule.id, "why": rule.why}
