"""`stackpick update`: copier's update, worked out on a copy, applied in one step.

Refuses what would lose work or mix frameworks: a project whose own files are not
committed, unknown `--data` keys, a change of `framework` (copier.yml's validator
refuses that too, for plain `copier update --data framework=...`), and a second
update of the same repository while one runs (a lock in the git folder).

The update never runs in the project itself: copier updates a scratch checkout of
the project's committed files, `update_merge` keeps every user change copier would
drop, and `update_apply` writes the result in one short step that is undone on any
error or signal. So Ctrl-C, SIGTERM or SIGHUP at any moment leave the project as it
was, and git-ignored files (secrets) are never replaced.
"""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stackpick.answers import parse_data
from stackpick.errors import Aborted, StackpickError
from stackpick.files import read_yaml_mapping
from stackpick.guard import Terminated, checkpoint, exclusive_lock, termination_as_abort
from stackpick.render import copier_errors
from stackpick.update_apply import apply_plan
from stackpick.update_journal import JOURNAL_NAME, recover
from stackpick.update_merge import reconcile
from stackpick.update_report import CONFLICT_MARKER, UpdateReport
from stackpick.update_scratch import git, git_path, render_version, scratch_checkout
from stackpick.update_tree import Tree, read_tree

ANSWERS_FILE = ".copier-answers.yml"
LOCK_FILE = "uv.lock"
LOCK_NAME = "stackpick-update.lock"
LEFT_AS_IT_WAS = "the project was left as it was"

__all__ = ["UpdateReport", "update_project"]


def update_project(
    project: Path,
    *,
    vcs_ref: str | None = None,
    data: Sequence[str] = (),
    recorded: Sequence[str] = (),
) -> UpdateReport:
    """Update `project` to a newer template, losing none of the user's work.

    `data` are the user's answers (unknown or computed keys are refused); `recorded`
    are answers stackpick itself writes (a team preset's hash), never checked as keys.
    """
    project = project.expanduser().resolve()
    if not (project / ANSWERS_FILE).is_file():
        raise StackpickError(
            f"{project} has no {ANSWERS_FILE}: not a stackpick project"
        )
    changes = parse_data(data)
    _check_keys(changes)
    changes.update(parse_data(recorded))
    _current_answers(project, changes)  # refuse early; read again under the lock
    if git(project, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise StackpickError(f"{project} is not a git repository: commit it first")
    try:
        with termination_as_abort():
            return _locked_update(project, changes, vcs_ref)
    except KeyboardInterrupt:
        raise Aborted(f"Aborted; {LEFT_AS_IT_WAS}.") from None
    except Terminated as stop:
        name = signal.Signals(stop.signum).name
        raise Terminated(stop.signum, f"Stopped by {name}; {LEFT_AS_IT_WAS}.") from None


def _check_keys(changes: dict[str, str]) -> None:
    """Unknown keys get the same did-you-mean refusal as `stackpick new`."""
    from stackpick.questions import Questionnaire
    from stackpick.render import bundled_template

    Questionnaire(bundled_template() / "copier.yml").check_keys(changes, "--data")


def _current_answers(project: Path, changes: dict[str, str]) -> dict[str, Any]:
    """The project's recorded answers; a change of framework is refused."""
    current = read_yaml_mapping(project / ANSWERS_FILE, "answers")
    if "framework" in changes and changes["framework"] != current.get("framework"):
        raise StackpickError(
            f"this project is {current.get('framework')}; changing the framework on "
            "update is not supported (start a new project instead)"
        )
    return current


def _locked_update(
    project: Path, changes: dict[str, str], vcs_ref: str | None
) -> UpdateReport:
    lock = git_path(project, LOCK_NAME)
    with exclusive_lock(lock, f"to the repository of {project}"):
        checkpoint("update:locked")
        notes = recover(git_path(project, JOURNAL_NAME))  # after a SIGKILL
        # Only the project's own subtree must be clean (a monorepo may be busy).
        dirty = git(project, "status", "--porcelain", "--", ".").stdout.splitlines()
        if dirty:
            raise StackpickError(
                f"{project} has uncommitted changes ({dirty[0][3:]}"
                f"{' and more' if len(dirty) > 1 else ''}): commit or stash them "
                "before updating" + "".join(f"; {note}" for note in notes)
            )
        current = _current_answers(project, changes)  # as committed, after recovery
        with tempfile.TemporaryDirectory(prefix="stackpick-update-") as work:
            report = _update_in(project, Path(work), current, changes, vcs_ref)
        report.notes = notes
        return report


def _update_in(
    project: Path,
    work: Path,
    current: dict,
    changes: dict[str, str],
    vcs_ref: str | None,
) -> UpdateReport:
    scratch = scratch_checkout(project, work / "project")
    head = read_tree(scratch)
    checkpoint("update:scratch")
    from copier import run_update

    with copier_errors("update", f"--vcs-ref {vcs_ref}" if vcs_ref else "the template"):
        run_update(
            dst_path=scratch,
            data=changes,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            vcs_ref=vcs_ref,
            conflict="inline",
            skip_answered=True,
        )
    result = read_tree(scratch)
    after = read_yaml_mapping(scratch / ANSWERS_FILE, "answers")
    source, before_ref = str(current.get("_src_path")), str(current.get("_commit"))
    old, _ = render_version(source, before_ref, current, work / "old")
    new, skip = render_version(source, str(after.get("_commit")), after, work / "new")
    checkpoint("update:rendered")
    merge = reconcile(
        project,
        head=head,
        result=result,
        old=old,
        new=new,
        skip_if_exists=skip,
        answers_file=ANSWERS_FILE,
    )
    expected = {path: head.get(path) for path in merge.plan}
    apply_plan(project, merge.plan, expected, git_path(project, JOURNAL_NAME))
    deploy = _deploy_report(project, head, merge.plan, current, after)
    changed = sorted(merge.plan)
    if deploy.lock and deploy.lock.endswith("re-resolved with `uv lock`"):
        changed = sorted({*changed, LOCK_FILE})
    conflicts = [
        path
        for path in changed
        if (entry := merge.plan.get(path)) is not None
        and CONFLICT_MARKER.encode() in entry.data
    ]
    return UpdateReport(
        project=project,
        before=before_ref,
        after=str(after.get("_commit", "?")),
        changed=changed,
        conflicts=conflicts,
        attention=merge.attention,
        removed=[path for path in changed if merge.plan.get(path, b"") is None],
        lock=deploy.lock,
        forks=deploy.forks,
        deploy=deploy.deploy,
        changelog=deploy.changelog,
    )


def _deploy_report(
    project: Path, head: Tree, plan: dict, current: dict, after: dict
) -> UpdateReport:
    """The lock, migration forks and deploy notes of an applied update (no files)."""
    from stackpick import update_deploy as deploy

    before_files = {path: entry.data for path, entry in head.items()}
    after_files = deploy.apply_plan_to(head, plan)
    asked = {
        key: value
        for key, value in after.items()
        if not str(key).startswith("_") and key not in current
    }
    before_ref, after_ref = str(current.get("_commit")), str(after.get("_commit"))
    return UpdateReport(
        project=project,
        before=before_ref,
        after=after_ref,
        lock=deploy.relock(project, before_files, after_files),
        forks=deploy.migration_forks(after_files),
        deploy=deploy.before_you_deploy(before_files, after_files, asked),
        changelog=deploy.changelog(
            str(current.get("_src_path")), before_ref, after_ref
        ),
    )
