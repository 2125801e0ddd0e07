"""Updating many projects in one run, each on its own branch with one commit.

For every project: skip it (with the reason) when it is not a stackpick project, not a
git repository, has uncommitted changes, is already current, or already has the
branch; otherwise work the update out (in this process: Copier is imported once for
the whole fleet) and commit it, conflict markers included, on the new branch
`stackpick/update-<tag>` without touching the checkout (`fleet_commit`): the user's
working tree, index and current branch stay as they are, whatever happens meanwhile.
A failure makes no branch and the run goes on; a signal stops the whole run, and the
table still names what each project got.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stackpick.errors import Aborted, StackpickError
from stackpick.fleet.commit import (
    NO_COMMIT,
    commit_plan,
    create_branch,
    git_text,
    new_paths_git_ignores,
)
from stackpick.fleet.presets import preset_on_update
from stackpick.fleet.state import UPDATE_SUBJECT, Inspector, ProjectState
from stackpick.remote import git
from stackpick.render.guard import (
    Terminated,
    checkpoint,
    deferred_signals,
    shielded,
    termination_as_abort,
)

UPDATED, CONFLICTS, SKIPPED, FAILED = "updated", "conflicts", "skipped", "failed"
STOPPED, NOT_RUN = "stopped", "not run"
BRANCH_PREFIX = "stackpick/update-"
Made = dict[tuple[str, str], str]  # (repository, branch) -> the commit this run made


@dataclass(frozen=True)
class Start:
    """Where a project's update commit grows from, and the branch's value before."""

    key: tuple[str, str]
    base: str
    old: str


class FleetStopped(Aborted):
    """A signal stopped the fleet run; `results` names every project's outcome."""

    def __init__(self, signum: int, results: list[FleetResult]) -> None:
        written = [r.path.name for r in results if r.outcome in (UPDATED, CONFLICTS)]
        done = (
            f"updated: {', '.join(written)}; every other project"
            if written
            else "no project was updated; every project"
        )
        name = signal.Signals(signum).name
        stop = "Aborted" if signum == signal.SIGINT else f"Stopped by {name}"
        super().__init__(f"{stop}; {done} was left as it was.")
        self.exit_code = 128 + signum
        self.results = results


@dataclass
class FleetResult:
    """One project's outcome in the final table."""

    path: Path
    outcome: str
    detail: str = ""
    before: str = ""
    after: str = ""
    branch: str = ""
    files: list[str] = field(default_factory=list)


def _identity(project: Path) -> dict[str, str]:
    """The user's git identity, or stackpick's neutral one when none is set."""
    if git("config", "user.email", cwd=project).stdout.strip():
        return {}
    from stackpick.render.firstcommit import NEUTRAL_AUTHOR

    name, email = NEUTRAL_AUTHOR
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def update_fleet(
    paths: Iterable[Path],
    *,
    branch: str | None = None,
    vcs_ref: str | None = None,
    data: Sequence[str] = (),
) -> list[FleetResult]:
    """Update every project of `paths`: one result each, a failure stops none.

    A signal (Ctrl-C, SIGTERM, SIGHUP) stops the whole run: the current project is
    left as it was and `FleetStopped` carries every project's outcome so far.
    """
    paths = [Path(p).expanduser().absolute() for p in paths]
    results: list[FleetResult] = []
    made: Made = {}
    current: FleetResult | None = None  # the project being updated, until it is done
    try:
        with termination_as_abort():
            inspector = Inspector()
            states = inspector.inspect_all(paths)
            for state in states:
                current = FleetResult(path=state.path, outcome=SKIPPED)
                results.append(current)
                _update_one(state, inspector, branch, vcs_ref, data, made, current)
                current = None
                checkpoint("fleet:next")
    except (KeyboardInterrupt, Aborted) as stop:
        with shielded():
            rows = _stopped(paths, results, current)
            raise FleetStopped(_signal_of(stop), rows) from None
    return results


def _signal_of(stop: BaseException) -> int:
    return stop.signum if isinstance(stop, Terminated) else signal.SIGINT


def _stopped(
    paths: list[Path], results: list[FleetResult], current: FleetResult | None
) -> list[FleetResult]:
    """Every project's row once a signal stopped the run: none is left unnamed."""
    if current is not None and current.outcome not in (UPDATED, CONFLICTS):
        # Its branch was not made (that and its row are one step): nothing written.
        current.outcome, current.detail = STOPPED, "stopped here; left as it was"
    done = {result.path for result in results}
    results += [
        FleetResult(path=path, outcome=NOT_RUN, detail="left as it was")
        for path in paths
        if path not in done
    ]
    return results


def _skip_reason(state: ProjectState, vcs_ref: str | None) -> str | None:
    if state.framework is None:
        return "not a stackpick project"
    if state.git == "no git":
        return "not a git repository"
    if state.git == "dirty":
        return "uncommitted changes (commit or stash them first)"
    if vcs_ref is None and state.behind is False and state.preset_ok is not False:
        return f"already at {state.latest}"
    return None


def _update_one(
    state: ProjectState,
    inspector: Inspector,
    branch: str | None,
    vcs_ref: str | None,
    data: Sequence[str],
    made: Made,
    result: FleetResult,
) -> None:
    result.before = state.version or ""
    why = _skip_reason(state, vcs_ref)
    if why:
        result.detail = why
        return
    target = vcs_ref or state.latest
    if target is None:  # the template (or its tags) could not be read
        result.outcome, result.detail = FAILED, "; ".join(state.unknown)
        return
    result.branch = branch or f"{BRANCH_PREFIX}{target}"
    try:
        start = _branch_start(state.path, result.branch, made)
        if start is None:
            done = _updated_on(state.path, result.branch, target)
            state_word = "updated" if done else "exists"
            result.detail = f"branch {result.branch} {state_word} already"
            return
        extra, recorded, by_preset = list(data), list[str](), list[str]()
        if state.preset:
            pins, recorded, by_preset = preset_on_update(
                inspector.presets, state.preset, state.answers, target
            )
            extra += pins
        _apply(result, target, extra, (recorded, by_preset), start, made)
    except Aborted:
        raise  # a signal: the whole run stops (update_fleet)
    except StackpickError as error:
        result.outcome, result.detail = FAILED, str(error)


def _branch_start(project: Path, branch: str, made: Made) -> Start | None:
    """Where the update commit grows from; None when `branch` is someone else's.

    A branch this run made in the same repository (two projects in one repository)
    is grown further: each project gets its own commit on it.
    """
    key = (_repository(project), branch)
    exists = git("rev-parse", "--verify", "-q", f"refs/heads/{branch}", cwd=project)
    if exists.returncode != 0:
        head = git_text(project, "rev-parse", "--verify", "HEAD^{commit}")
        return Start(key, head, NO_COMMIT)
    ours = made.get(key)
    if ours is not None and exists.stdout.strip() == ours:
        return Start(key, ours, ours)
    return None


def _updated_on(project: Path, branch: str, target: str) -> bool:
    """Whether `branch` already holds this update (a run killed after making it)."""
    shown = git("show", f"refs/heads/{branch}:./.copier-answers.yml", cwd=project)
    return shown.returncode == 0 and f"_commit: {target}\n" in shown.stdout


def _repository(project: Path) -> str:
    return git_text(project, "rev-parse", "--path-format=absolute", "--git-common-dir")


def _apply(
    result: FleetResult,
    target: str,
    data: Sequence[str],
    given: tuple[Sequence[str], Sequence[str]],
    start: Start,
    made: Made,
) -> None:
    """Update one project and commit it on its branch; `given` are the answers
    stackpick records itself and the preset's answers to new questions."""
    from stackpick.update.project import update_project

    project = result.path
    recorded, by_preset = given
    report = update_project(
        project,
        vcs_ref=target,
        data=data,
        recorded=recorded,
        write=False,
        preset=by_preset,
    )
    result.after = report.after
    message = f"{UPDATE_SUBJECT} {report.before} -> {report.after}"
    if report.forks:
        message += "\n\nMigrations to merge:\n" + "\n".join(
            f"- {fork}" for fork in report.forks
        )
    deploy = report.deploy_section()
    if deploy:
        message += "\n\n" + "\n".join(deploy)
    if report.conflicts:
        message += "\n\nConflicts to resolve (inline markers):\n" + "\n".join(
            f"- {name}" for name in report.conflicts
        )
    ignored = new_paths_git_ignores(project, start.base, list(report.plan))
    plan = {path: e for path, e in report.plan.items() if path not in ignored}
    commit = commit_plan(
        project, plan, base=start.base, message=message, env=_identity(project)
    )
    checkpoint("fleet:commit")
    with deferred_signals():  # the branch and its row in the table: both or neither
        create_branch(project, result.branch, commit, start.old)
        made[start.key] = commit
        _describe(result, sorted(plan), report.conflicts, report.notes)


def _describe(
    result: FleetResult, files: list[str], conflicts: list[str], notes: list[str]
) -> None:
    result.files = files
    if conflicts:
        result.outcome = CONFLICTS
        result.detail = "resolve the markers in: " + ", ".join(conflicts)
    else:
        result.outcome = UPDATED
        count = len(files)
        result.detail = f"{count} file{'' if count == 1 else 's'} changed"
    result.detail += "".join(f"; {note}" for note in notes)
