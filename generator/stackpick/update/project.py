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

import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stackpick.decide.answers import parse_data
from stackpick.errors import Aborted, StackpickError
from stackpick.files import read_yaml_mapping
from stackpick.gitsafe import check_recorded_source
from stackpick.remote import remote_tags
from stackpick.render.guard import (
    Terminated,
    checkpoint,
    exclusive_lock,
    termination_as_abort,
)
from stackpick.update.apply import apply_plan
from stackpick.update.clash import update_scratch
from stackpick.update.deploy import LOCK_FILE
from stackpick.update.journal import JOURNAL_NAME, recover
from stackpick.update.merge import reconcile
from stackpick.update.report import CONFLICT_MARKER, UpdateReport
from stackpick.update.scratch import git, git_path, render_version, scratch_checkout
from stackpick.update.tree import LINK, Entry, Tree, read_entry, read_tree
from stackpick.update.workfolder import scratch_folder

ANSWERS_FILE = ".copier-answers.yml"
LOCK_NAME = "stackpick-update.lock"
LEFT_AS_IT_WAS = "the project was left as it was"
# git's view of the tree, whatever the user's display settings (showUntrackedFiles=no
# would hide untracked files; quotepath would mangle names in the message).
GIT_STATUS = ("-c", "core.quotepath=off", "status", "--porcelain", "-uall")

__all__ = ["UpdateReport", "update_project"]


def update_project(
    project: Path,
    *,
    vcs_ref: str | None = None,
    data: Sequence[str] = (),
    recorded: Sequence[str] = (),
    write: bool = True,
    preset: Sequence[str] = (),
) -> UpdateReport:
    """Update `project` to a newer template, losing none of the user's work.

    `data` are the user's answers (unknown or computed keys are refused); `recorded`
    are answers stackpick itself writes (a team preset's hash), never checked as keys;
    `preset` are the team preset's answers to questions the new version adds (checked
    against that version's questions by the caller), named as the preset's.
    Without `write`, the project is only read: the report's `plan` holds the update
    (the fleet commits it on a branch without touching the working tree).
    """
    project = project.expanduser().resolve()
    if not os.path.lexists(project / ANSWERS_FILE):
        raise StackpickError(
            f"{project} has no {ANSWERS_FILE}: not a stackpick project"
        )
    changes = parse_data(data)
    _check_keys(changes)
    changes.update(parse_data(recorded))
    by_preset = parse_data(preset)
    changes.update(by_preset)
    current = _current_answers(project, changes)  # refuse early; again under the lock
    remote_tags(str(current["_src_path"]))  # reachable, within the git deadline
    if git(project, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise StackpickError(f"{project} is not a git repository: commit it first")
    try:
        with termination_as_abort():
            return _locked_update(project, changes, vcs_ref, write, set(by_preset))
    except KeyboardInterrupt:
        raise Aborted(f"Aborted; {LEFT_AS_IT_WAS}.") from None
    except Terminated as stop:
        name = signal.Signals(stop.signum).name
        raise Terminated(stop.signum, f"Stopped by {name}; {LEFT_AS_IT_WAS}.") from None


def _check_keys(changes: dict[str, str]) -> None:
    """Unknown keys get the same did-you-mean refusal as `stackpick new`."""
    from stackpick.decide.questions import Questionnaire
    from stackpick.render.copy import bundled_template

    Questionnaire(bundled_template() / "copier.yml").check_keys(changes, "--data")


def _current_answers(project: Path, changes: dict[str, str]) -> dict[str, Any]:
    """The project's recorded answers; a change of framework is refused."""
    path = project / ANSWERS_FILE
    current = read_yaml_mapping(path, "answers")
    missing = [key for key in ("_src_path", "_commit") if not current.get(key)]
    if missing:
        raise StackpickError(
            f"{path} records no {' and no '.join(missing)} (the template and its "
            "version): it is empty or was not written by a template in git; restore "
            f"it from git (git checkout -- {ANSWERS_FILE})"
        )
    check_recorded_source(current, path)
    if "framework" in changes and changes["framework"] != current.get("framework"):
        raise StackpickError(
            f"this project is {current.get('framework')}; changing the framework on "
            "update is not supported (start a new project instead)"
        )
    return current


def _locked_update(
    project: Path,
    changes: dict[str, str],
    vcs_ref: str | None,
    write: bool,
    by_preset: set[str],
) -> UpdateReport:
    lock = git_path(project, LOCK_NAME)
    with exclusive_lock(lock, f"to the repository of {project}"):
        checkpoint("update:locked")
        notes = recover(git_path(project, JOURNAL_NAME))  # after a SIGKILL
        # Only the project's own subtree must be clean (a monorepo may be busy).
        dirty = git(project, *GIT_STATUS, "--", ".").stdout.splitlines()
        if dirty:
            raise StackpickError(
                f"{project} has uncommitted changes ({dirty[0][3:]}"
                f"{' and more' if len(dirty) > 1 else ''}): commit or stash them "
                "before updating" + "".join(f"; {note}" for note in notes)
            )
        current = _current_answers(project, changes)  # as committed, after recovery
        with scratch_folder("update") as work:
            report = _update_in(
                project, work, current, changes, (vcs_ref, write, by_preset)
            )
        report.notes = notes
        return report


def _update_in(
    project: Path,
    work: Path,
    current: dict,
    changes: dict[str, str],
    how: tuple[str | None, bool, set[str]],
) -> UpdateReport:
    """The update in `work`; `how` is the target ref, whether to write the project,
    and the new answers the team preset gave."""
    vcs_ref, write, by_preset = how
    head = read_tree(scratch_checkout(project, work / "project"))
    checkpoint("update:scratch")
    scratch, blocked = update_scratch(project, work, head, current, changes, vcs_ref)
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
    deploy, lock = _deploy_report(work, head, merge.plan, (current, after), by_preset)
    if lock is not None:  # re-resolved beside the update: written with it
        merge.plan[LOCK_FILE] = lock
    if write:
        expected = _as_checked_out(project, {p: head.get(p) for p in merge.plan})
        apply_plan(project, merge.plan, expected, git_path(project, JOURNAL_NAME))
    changed = sorted(merge.plan)
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
        attention=blocked + merge.attention,
        removed=[path for path in changed if merge.plan[path] is None],
        plan=merge.plan,
        lock=deploy.lock,
        forks=deploy.forks,
        deploy=deploy.deploy,
        changelog=deploy.changelog,
    )


def _deploy_report(
    work: Path, head: Tree, plan: dict, answers: tuple[dict, dict], by_preset: set[str]
) -> tuple[UpdateReport, Entry | None]:
    """The lock, migration forks and deploy notes of an update (a report holding
    only those), and the re-resolved `uv.lock` when the dependencies changed.

    `answers` are the recorded ones before and after; `by_preset` the new answers
    the team preset gave (the other new ones are their questions' defaults)."""
    from stackpick.update import deploy

    current, after = answers

    before_files = {path: entry.data for path, entry in head.items()}
    after_files = deploy.apply_plan_to(head, plan)
    asked = {
        key: value
        for key, value in after.items()
        if not str(key).startswith("_") and key not in current
    }
    before_ref, after_ref = str(current.get("_commit")), str(after.get("_commit"))
    note, lock = deploy.relock(work / "lock", before_files, after_files)
    report = UpdateReport(
        project=work,
        before=before_ref,
        after=after_ref,
        lock=note,
        forks=deploy.migration_forks(after_files),
        deploy=deploy.before_you_deploy(before_files, after_files, asked, by_preset),
        changelog=deploy.changelog(
            str(current.get("_src_path")), before_ref, after_ref
        ),
    )
    old_lock = head.get(LOCK_FILE)
    if lock is None or old_lock is None or lock == old_lock.data:
        return report, None
    return report, Entry(old_lock.mode, lock)


def _as_checked_out(
    project: Path, expected: dict[str, Entry | None]
) -> dict[str, Entry | None]:
    """The committed files as this checkout holds them, for the apply step's check.

    The scratch copy holds git's bytes; a checkout with `core.autocrlf` or an `eol`
    attribute holds converted ones. A file git itself calls unchanged (the same blob
    once cleaned) is expected as it is on disk, not reported as changed meanwhile.
    """
    adjusted = dict(expected)
    for path, entry in expected.items():
        current = read_entry(project / path)
        if entry is None or current is None or current == entry:
            continue
        if current.mode != entry.mode or entry.mode == LINK:
            continue
        cleaned = git(project, "hash-object", "--", path).stdout.strip()
        committed = git(project, "rev-parse", "-q", "--verify", f"HEAD:./{path}")
        if cleaned and cleaned == committed.stdout.strip():
            adjusted[path] = current
    return adjusted
