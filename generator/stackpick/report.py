"""A Recommendation (and the rule table) as text for people, or as JSON for tools.

rich is imported only by the functions that draw with it: `--json` output and the
plain-text rule list stay quick to start.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any

from stackpick.decide.engine import Recommendation

if TYPE_CHECKING:
    from rich.console import Console

    from stackpick.decide.rules import Condition, RuleSet


NAMES = {"flask": "Flask", "django": "Django"}
# One colour per framework, used wherever a reason or a pick is shown.
COLOURS = {"flask": "cyan", "django": "green"}
WIDTH = 80


def as_json(recommendation: Recommendation) -> str:
    return json.dumps(recommendation.to_dict(), indent=2)


def _console(stream: IO[str] | None) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=False)


def named(framework: str) -> str:
    """The framework's name in its colour (rich markup)."""
    return f"[{COLOURS[framework]}]{NAMES[framework]}[/]"


def show_recommendation(rec: Recommendation, stream: IO[str] | None = None) -> None:
    """The verdict, every reason with its points and sources, and how close it was."""
    from rich.table import Table

    console = _console(stream)
    pick, other = rec.framework, "django" if rec.framework == "flask" else "flask"
    scores = rec.scores
    console.print(
        f"[bold]Recommendation: {named(pick)}[/bold]  "
        f"(Flask {scores['flask']} - Django {scores['django']}, "
        f"margin {rec.margin}, confidence {rec.confidence})"
    )
    if rec.overridden_by:
        console.print(
            f"The rules pick {NAMES[rec.rules_framework]}; "
            f"{NAMES[pick]} was chosen by {rec.overridden_by}."
        )
    if rec.familiarity:
        sources = ", ".join(rec.familiarity["sources"])
        console.print(f"{rec.familiarity['text']} ({sources})")
    if rec.ruled_out:
        console.print(
            f"{NAMES[rec.ruled_out['framework']]} is ruled out: {rec.ruled_out['why']}"
        )
    table = Table(show_edge=False, pad_edge=False, expand=False)
    table.add_column("Points", justify="right")
    table.add_column("For")
    table.add_column("Why")
    table.add_column("Sources")
    for reason in rec.reasons:
        table.add_row(
            f"+{reason.points}",
            NAMES[reason.framework],
            reason.why,
            ", ".join(reason.sources),
            style=COLOURS[reason.framework],
        )
    for reason in rec.assumed:  # shown, not counted: nobody gave these answers
        table.add_row(
            f"({reason.points})",
            NAMES[reason.framework],
            f"{reason.why} [dim]{assumed_line(reason.assumed)}[/]",
            ", ".join(reason.sources),
            style=f"dim {COLOURS[reason.framework]}",
        )
    if rec.reasons or rec.assumed:
        console.print(table)
    else:
        console.print("No rule fired; the tie goes to the smaller commitment.")
    if rec.assumed:
        console.print(
            "Points in brackets rest on answers nobody gave; they do not count"
            + (
                ", except that they broke the tie between the given answers."
                if rec.decided_by_assumed
                else "."
            )
        )
    if rec.close_call:
        parts = []
        for fw in (pick, other):
            top = rec.top_reason(fw)
            if top:
                parts.append(f"for {NAMES[fw]}: {top.why.rstrip('.')}")
        console.print(
            "[yellow]Close call[/yellow]: either framework would serve. "
            + ("Top reasons " + "; ".join(parts) if parts else "")
        )
    for note in rec.notes:
        console.print(f"Note: {note['text']} ({', '.join(note['sources'])})")
    for line in flips_lines(rec):
        console.print(line, markup=False)
    if rec.extensions:
        console.print(
            f"Wired up for {NAMES[pick]}: " + ", ".join(e.name for e in rec.extensions)
        )
    if rec.reasons:
        cited = sorted({s for r in rec.reasons for s in r.sources})
        console.print("Sources: " + "; ".join(f"{s} {rec.sources[s]}" for s in cited))


def assumed_line(assumed: dict[str, Any]) -> str:
    """'assumed: lifetime=long, say otherwise with --data lifetime=VALUE'."""
    said = ", ".join(f"{k}={_flag(v)}" for k, v in assumed.items())
    key, value = next(iter(assumed.items()))
    other = _flag(not value) if isinstance(value, bool) else "VALUE"
    return f"assumed: {said}, say otherwise with --data {key}={other}"


def _flag(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def flips_lines(rec: Recommendation) -> list[str]:
    """What would change the rules' pick, one line per change (or pair of changes)."""
    if not rec.flips:
        return []
    pairs = len(rec.flips[0]["changes"]) > 1
    head = (
        "Nothing short of two changes flips this:"
        if pairs
        else "What would change the pick:"
    )
    return [head] + [f"  {flip['text']}" for flip in rec.flips]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def in_words(condition: Condition) -> str:
    """A rule's condition as a sentence: 'kind is microservice or size is large'."""
    alternatives = []
    for clause in condition:
        parts = []
        for key, expected in clause.items():
            if isinstance(expected, dict):
                bounds = []
                if "min" in expected:
                    bounds.append(f"at least {expected['min']}")
                if "max" in expected:
                    bounds.append(f"at most {expected['max']}")
                parts.append(f"{key} is {' and '.join(bounds)}")
            else:
                parts.append(f"{key} is {' or '.join(_value(v) for v in expected)}")
        alternatives.append(" and ".join(parts) or "always")
    return "; or ".join(alternatives)


def rules_as_dict(ruleset: RuleSet) -> dict[str, Any]:
    """The JSON of `stackpick rules --json` (keys are stable; new ones are added)."""
    familiarity = ruleset.familiarity
    return {
        "weights": ruleset.weights,
        "close_call_margin": ruleset.close_call_margin,
        "sources": ruleset.sources,
        "source_details": {
            key: {**source.to_dict(), "citation": source.citation()}
            for key, source in ruleset.source_details.items()
        },
        "rules": [
            {
                "id": r.id,
                "framework": r.favours,
                "strength": r.strength,
                "points": r.points,
                "sources": list(r.sources),
                "why": r.why,
                "quotes": dict(r.quotes),
                "when": list(r.when),
                "condition": in_words(r.when),
            }
            for r in ruleset.rules
        ],
        "familiarity": {
            "rules": list(familiarity.rules),
            "min_strong": familiarity.min_strong,
            "min_lead": familiarity.min_lead,
            "sources": list(familiarity.sources),
            "quotes": dict(familiarity.quotes),
        }
        if familiarity
        else None,
        "compatibility": [
            {
                "id": c.id,
                "refuse": list(c.refuse),
                "condition": in_words(c.refuse),
                "why": c.why,
                "sources": list(c.sources),
            }
            for c in ruleset.compatibility
        ],
        "defaults": {
            "base": ruleset.base_defaults,
            "kinds": {
                kind: {"answers": k.differs, "why": k.why, "sources": list(k.sources)}
                for kind, k in ruleset.kind_defaults.items()
            },
        },
    }


def rules_text(ruleset: RuleSet) -> str:
    """Every rule with its condition in words, wrapped to 80 columns (ids never cut)."""
    from textwrap import wrap  # only for this text: `--json` output never wraps

    def block(head: str, fields: list[tuple[str, str]]) -> list[str]:
        lines = [head]
        for label, text in fields:
            lines += wrap(
                text,
                WIDTH,
                initial_indent=f"  {label:<6}",
                subsequent_indent=" " * 8,
                break_on_hyphens=False,
            )
        return lines

    out = [f"{len(ruleset.rules)} rules (points: strong > moderate > weak)", ""]
    for r in ruleset.rules:
        head = f"{r.id}  {NAMES[r.favours]} +{r.points} ({r.strength})"
        out += [""] * (r is not ruleset.rules[0]) + block(
            head,
            [
                ("when", in_words(r.when)),
                ("why", r.why),
                ("cites", ", ".join(r.sources)),
                *quoted(r.quotes),
            ],
        )
    if ruleset.familiarity:
        f = ruleset.familiarity
        out += [
            "",
            *block(
                "Do not switch (familiarity)",
                [
                    (
                        "rule",
                        f"when {' or '.join(f.rules)} fires, the other framework "
                        f"wins only with at least {f.min_strong} strong reasons and "
                        f"a lead of at least {f.min_lead} points",
                    ),
                    ("cites", ", ".join(f.sources)),
                    *quoted(f.quotes),
                ],
            ),
        ]
    if ruleset.compatibility:
        out += ["", "Refused combinations"]
        for c in ruleset.compatibility:
            out += block(
                c.id,
                [
                    ("when", in_words(c.refuse)),
                    ("why", c.why),
                    ("cites", ", ".join(c.sources)),
                ],
            )
    out += ["", "Sources"]
    for key, source in ruleset.source_details.items():
        out += wrap(f"{key}: {source.citation()}", WIDTH, subsequent_indent=" " * 4)
    return "\n".join(out)


def quoted(quotes: dict[str, str]) -> list[tuple[str, str]]:
    """A rule's quotes as labelled lines: the source key, then its words in quotes."""
    return [(key, f"\u201c{quote}\u201d") for key, quote in quotes.items()]


def show_rules(ruleset: RuleSet, stream: IO[str] | None = None) -> None:
    print(rules_text(ruleset), file=stream)
