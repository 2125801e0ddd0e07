"""A Recommendation (and the rule table) as text for people, or as JSON for tools."""

from __future__ import annotations

import json
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from stackpick.engine import Recommendation
from stackpick.rules import RuleSet

NAMES = {"flask": "Flask", "django": "Django"}


def as_json(recommendation: Recommendation) -> str:
    return json.dumps(recommendation.to_dict(), indent=2)


def _console(stream: IO[str] | None) -> Console:
    return Console(file=stream, highlight=False, soft_wrap=False)


def show_recommendation(rec: Recommendation, stream: IO[str] | None = None) -> None:
    """The verdict, every reason with its points and sources, and how close it was."""
    console = _console(stream)
    pick, other = rec.framework, "django" if rec.framework == "flask" else "flask"
    scores = rec.scores
    console.print(
        f"[bold]Recommendation: {NAMES[pick]}[/bold]  "
        f"(Flask {scores['flask']} - Django {scores['django']}, "
        f"margin {rec.margin}, confidence {rec.confidence})"
    )
    if rec.overridden_by:
        console.print(
            f"The rules pick {NAMES[rec.rules_framework]}; "
            f"{NAMES[pick]} was chosen by {rec.overridden_by}."
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
        )
    if rec.reasons:
        console.print(table)
    else:
        console.print("No rule fired; the tie goes to the smaller commitment.")
    if rec.close_call:
        parts = []
        for fw in (pick, other):
            top = rec.top_reason(fw)
            if top:
                parts.append(f"for {NAMES[fw]}: {top.why}")
        console.print(
            "[yellow]Close call[/yellow]: either framework would serve. "
            + ("Top reasons " + "; ".join(parts) if parts else "")
        )
    for note in rec.notes:
        console.print(f"Note: {note['text']} ({', '.join(note['sources'])})")
    if rec.extensions:
        console.print(
            f"Wired up for {NAMES[pick]}: " + ", ".join(e.name for e in rec.extensions)
        )
    if rec.reasons:
        cited = sorted({s for r in rec.reasons for s in r.sources})
        console.print("Sources: " + "; ".join(f"{s} {rec.sources[s]}" for s in cited))


def rules_as_dict(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "weights": ruleset.weights,
        "close_call_margin": ruleset.close_call_margin,
        "sources": ruleset.sources,
        "rules": [
            {
                "id": r.id,
                "framework": r.favours,
                "strength": r.strength,
                "points": r.points,
                "sources": list(r.sources),
                "why": r.why,
                "when": list(r.when),
            }
            for r in ruleset.rules
        ],
    }


def show_rules(ruleset: RuleSet, stream: IO[str] | None = None) -> None:
    console = _console(stream)
    table = Table(title=f"{len(ruleset.rules)} rules", show_edge=False)
    table.add_column("Rule")
    table.add_column("For")
    table.add_column("Points", justify="right")
    table.add_column("Why")
    table.add_column("Sources")
    for r in ruleset.rules:
        table.add_row(
            r.id, NAMES[r.favours], str(r.points), r.why, ", ".join(r.sources)
        )
    console.print(table)
    for key, title in ruleset.sources.items():
        console.print(f"{key}: {title}")
