"""Updating many projects in one run, each on its own branch with one commit.

For every project: skip it (with the reason) when it is not a stackpick project, not a
git repository, has uncommitted changes, is already current, or already has the
branch; otherwise create the branch `stackpick/update-<tag>`, run the update there
(in this process: Copier is imported once for the whole fleet), commit the result,
conflict markers included, and switch back to the branch the user was on. A failure
puts the project back exactly as it was (it was clean, so nothing of the user's is
lost) and the run goes on with the next project.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stackpick.errors import StackpickError
from stackpick.fleet import Inspector, ProjectState
from stackpick.fleet_presets import preset_data
from stackpick.remote import git

UPDATED, CONFLICTS, SKIPPED, FAILED = "updated", "conflicts", "skipped", "failed"
BRANCH_PREFIX = "stackpick/update-"


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


def _run(project: Path, *args: str) -> str:
    proc = git(*args, cwd=project)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"]
        raise StackpickError(f"git {args[0]} failed: {lines[-1]}")
    return proc.stdout.strip()


def _identity(project: Path) -> dict[str, str]:
    """The user's git identity, or stackpick's neutral one when none is set."""
    if git("config", "user.email", cwd=project).stdout.strip():
        return {}
    from stackpick.firstcommit import NEUTRAL_AUTHOR

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
    """Update every project of `paths`: one result each, a failure stops none."""
    inspector = Inspector()
    states = inspector.inspect_all(paths)
    return [_update_one(state, inspector, branch, vcs_ref, data) for state in states]


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
) -> FleetResult:
    result = FleetResult(path=state.path, outcome=SKIPPED, before=state.version or "")
    why = _skip_reason(state, vcs_ref)
    if why:
        result.detail = why
        return result
    target = vcs_ref or state.latest
    if target is None:  # the template (or its tags) could not be read
        result.outcome, result.detail = FAILED, "; ".join(state.unknown)
        return result
    result.branch = branch or f"{BRANCH_PREFIX}{target}"
    project = state.path
    exists = git(
        "rev-parse", "--verify", "-q", f"refs/heads/{result.branch}", cwd=project
    )
    if exists.returncode == 0:
        result.detail = f"branch {result.branch} exists already"
        return result
    try:
        extra, recorded = list(data), []
        if state.preset:
            preset = inspector.presets.load(state.preset)
            pins, recorded = preset_data(preset, state.answers)
            extra += pins
    except StackpickError as error:
        result.outcome, result.detail = FAILED, str(error)
        return result
    original = _run(project, "rev-parse", "--abbrev-ref", "HEAD")
    if original == "HEAD":  # detached: come back to the commit itself
        original = _run(project, "rev-parse", "HEAD")
    _run(project, "switch", "-q", "-c", result.branch)
    try:
        _apply(result, target, extra, recorded)
    except StackpickError as error:
        _restore(project, original, result.branch)
        result.outcome, result.detail = FAILED, str(error)
        return result
    except BaseException:
        _restore(project, original, result.branch)
        raise
    _run(project, "checkout", "-q", original)
    return result


def _apply(
    result: FleetResult, target: str, data: Sequence[str], recorded: Sequence[str]
) -> None:
    from stackpick.update import update_project

    report = update_project(result.path, vcs_ref=target, data=data, recorded=recorded)
    result.after = report.after
    result.files = list(report.changed)
    message = f"Update the stackpick template: {report.before} -> {report.after}"
    if report.forks:
        message += "\n\nMigrations to merge:\n" + "\n".join(
            f"- {fork}" for fork in report.forks
        )
    deploy = report.deploy_section()
    if deploy:
        message += "\n\n" + "\n".join(deploy)
    if report.conflicts:
        result.outcome = CONFLICTS
        result.detail = "resolve the markers in: " + ", ".join(report.conflicts)
        message += "\n\nConflicts to resolve (inline markers):\n" + "\n".join(
            f"- {name}" for name in report.conflicts
        )
    else:
        result.outcome = UPDATED
        count = len(report.changed)
        result.detail = f"{count} file{'' if count == 1 else 's'} changed"
    _run(result.path, "add", "-A")
    commit = ("commit", "-q", "--no-verify", "-m", message)
    if git(*commit, cwd=result.path, env=_identity(result.path)).returncode != 0:
        raise StackpickError(f"git commit failed on {result.branch}")


def _restore(project: Path, original: str, branch: str) -> None:
    """Drop what the failed update wrote, go back, and delete the new branch."""
    git("reset", "-q", "--hard", cwd=project)
    git("clean", "-q", "-fd", cwd=project)
    git("checkout", "-q", original, cwd=project)
    git("branch", "-q", "-D", branch, cwd=project)
