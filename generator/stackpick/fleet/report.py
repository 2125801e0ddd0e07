"""The fleet commands' output: `check` as text, `status` and `update` as tables.

Plain text (no colour codes) when the output is not a terminal, so a CI log or a pipe
reads the same table; `--json` is the interface for tools.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO

from rich.console import Console
from rich.table import Table

from stackpick.fleet.state import ProjectState
from stackpick.fleet.update import FleetResult


def _console(stream: IO[str] | None) -> Console:
    console = Console(file=stream, highlight=False, soft_wrap=False)
    if not console.is_terminal:  # a CI log or a file: no reason to wrap at 80
        console = Console(file=stream, highlight=False, width=240)
    return console


def _table(*columns: str) -> Table:
    """Every column on one line, but the last (the reasons), which folds."""
    table = Table(show_edge=False, pad_edge=False)
    for column in columns[:-1]:
        table.add_column(column, no_wrap=True)
    table.add_column(columns[-1], overflow="fold")
    return table


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"


def as_json(states: ProjectState | Sequence[ProjectState]) -> str:
    if isinstance(states, ProjectState):
        return json.dumps(states.to_dict(), indent=2)
    return json.dumps([state.to_dict() for state in states], indent=2)


def check_text(state: ProjectState) -> list[str]:
    """What `stackpick check` prints: the verdict, the changelog, each problem."""
    name = state.path.name
    if state.framework is None:
        return []
    lines = [f"{name}: {state.framework}, template {state.template}"]
    if state.behind:
        lines.append(f"Behind: on {state.version}, latest is {state.latest}.")
        if state.changelog:
            lines.append(f"Changes since {state.version}:")
            lines += [f"  {line}" if line else "" for line in state.changelog]
        lines.append("Run `stackpick update` to apply them.")
    elif state.behind is False:
        lines.append(f"Current: on {state.version} (latest {state.latest}).")
    if state.preset:
        label = f"'{state.preset_name}' ({state.preset})"
        if state.preset_ok:
            lines.append(f"Team preset {label}: satisfied.")
        elif state.preset_ok is False:
            lines.append(f"Team preset {label}: not satisfied:")
    lines += [
        f"  - {problem}"
        for problem in state.problems
        if problem not in state.unknown
        and not problem.startswith(("behind", "locked path drifted"))
    ]
    if state.drift is not None:
        lines += drift_text(state)
    return lines


def drift_text(state: ProjectState) -> list[str]:
    """The drift section of `check --drift`: one line, then each changed file."""
    assert state.drift is not None
    lines = [f"Drift: {state.drift.words()}."]
    for item in state.drift.files:
        if item.state == "unchanged":
            continue
        counts = (
            f" (+{item.added_lines} -{item.removed_lines})"
            if item.state == "edited"
            else ""
        )
        mark = "  LOCKED" if item.violation else ""
        lines.append(f"  {item.state:<8} {item.owner:<8} {item.path}{counts}{mark}")
    if state.drift.violations:
        lines.append(
            "Locked paths differ from the template: restore them, or change the "
            "team's preset."
        )
    return lines


def show_status(states: Sequence[ProjectState], stream: IO[str] | None = None) -> None:
    with_drift = any(state.drift is not None for state in states)
    columns = ["project", "framework", "version", "latest", "behind", "preset"]
    columns += ["preset ok", "git", *(["drift"] if with_drift else []), "problems"]
    table = _table(*columns)
    for state in states:
        drift = [state.drift.words() if state.drift else "?"] if with_drift else []
        table.add_row(
            state.path.name,
            state.framework or "-",
            state.version or "-",
            state.latest or "?",
            _yes_no(state.behind),
            state.preset_name or state.preset or "-",
            "-" if not state.preset else _yes_no(state.preset_ok),
            state.git,
            *drift,
            "; ".join(
                p
                for p in state.problems
                if not p.startswith(("behind", "locked path drifted"))
            ),
        )
    _console(stream).print(table)


def show_update(results: Sequence[FleetResult], stream: IO[str] | None = None) -> None:
    table = _table("project", "result", "from", "to", "branch", "detail")
    for result in results:
        table.add_row(
            result.path.name,
            result.outcome,
            result.before or "-",
            result.after or "-",
            result.branch or "-",
            result.detail,
        )
    console = _console(stream)
    console.print(table)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    console.print(", ".join(f"{n} {outcome}" for outcome, n in counts.items()))
