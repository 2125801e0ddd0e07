"""Many projects from one template: where each stands (`check`, `status`).

A project is a folder whose `.copier-answers.yml` came from this template (it records
`_src_path`, `framework` and `project_slug`). Its state is the template version it is
on, the latest one, and whether it still satisfies the team preset recorded with it.
Whatever cannot be decided (no answers file, a template or preset out of reach) is an
`unknown` reason: `check` exits 2 for those, 1 for a project that is behind or breaks
its preset, 0 otherwise. The multi-project update lives in fleet_update.py.

With `--drift` the state also holds the project's content drift from its template
version (fleet_drift.py); drift on a path the team's preset locks fails `check` (1).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stackpick.errors import StackpickError
from stackpick.files import read_limited
from stackpick.fleet.drift import Drift, RenderCache, project_drift
from stackpick.fleet.exports import TemplateExports
from stackpick.fleet.presets import PresetCache, preset_problems
from stackpick.fleet.versions import Recorded, TemplateTags, changelog_between
from stackpick.gitsafe import UnsafeValue, check_recorded_source

ANSWERS_FILE = ".copier-answers.yml"
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"}
JSON_KEYS = (
    "path", "framework", "template", "version", "latest", "behind",
    "preset", "preset_ok", "problems",
)  # fmt: skip


@dataclass
class ProjectState:
    """Where one project stands; `to_dict()` is the JSON contract."""

    path: Path
    framework: str | None = None
    template: str | None = None
    version: str | None = None
    latest: str | None = None
    behind: bool | None = None
    preset: str | None = None  # the recorded source
    preset_name: str | None = None
    preset_ok: bool | None = None  # None: no preset recorded, or it cannot be read
    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # also in problems
    refused: list[str] = field(default_factory=list)  # also in unknown
    changelog: list[str] = field(default_factory=list)
    git: str = "?"
    answers: dict[str, Any] = field(default_factory=dict, repr=False)
    locked: tuple[str, ...] = ()  # the preset's locked paths
    drift: Drift | None = None  # only when asked for (--drift)
    update_branch: str | None = None  # the newest branch with an update commit

    def cannot_tell(self, reason: str) -> None:
        self.unknown.append(reason)
        self.problems.append(reason)

    def refuse(self, reason: str) -> None:
        """A recorded value that is refused (bad input: `status` exits 2 too)."""
        self.refused.append(reason)
        self.cannot_tell(reason)

    @property
    def exit_code(self) -> int:
        if self.unknown:
            return 2
        locked_drift = self.drift is not None and bool(self.drift.violations)
        return 1 if self.behind or self.preset_ok is False or locked_drift else 0

    def to_dict(self) -> dict[str, Any]:
        data = {key: getattr(self, key) for key in JSON_KEYS}
        data["path"] = str(self.path)
        data.update(
            name=self.path.name,
            preset_name=self.preset_name,
            git=self.git,
            changelog=self.changelog,
            update_branch=self.update_branch,
        )
        if self.drift is not None:
            data["drift"] = self.drift.to_dict()
        return data


def read_answers(project: Path) -> dict[str, Any] | None:
    """The project's recorded answers, or None when it is no stackpick project."""
    return answers_or_reason(project)[0]


def answers_or_reason(project: Path) -> tuple[dict[str, Any] | None, str]:
    """The recorded answers, or None and why they cannot be used.

    Read like any file from anywhere: a FIFO or a device is refused without blocking
    on it, and the size is capped (files.read_limited).
    """
    path = project / ANSWERS_FILE
    not_ours = f"not a stackpick project (no {ANSWERS_FILE} from its template)"
    if not os.path.lexists(path):
        return None, not_ours
    try:
        data = yaml.safe_load(read_limited(path, "answers").decode("utf-8"))
    except StackpickError as error:
        return None, str(error)
    except UnicodeDecodeError:
        return None, f"answers file {path} is not UTF-8 text"
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "not valid YAML"
        return None, f"answers file {path}: invalid YAML: {problem}"
    keys = ("_src_path", "framework", "project_slug")
    if not isinstance(data, dict) or not all(data.get(k) for k in keys):
        return None, not_ours
    return data, ""


def discover(folder: Path, unreadable: list[str] | None = None) -> list[Path]:
    """Stackpick projects below `folder` (not inside one another), sorted.

    Folders that cannot be read are added to `unreadable` (when given), so the
    caller can say that their projects are missing from the list.
    """
    if not folder.is_dir():
        raise StackpickError(f"{folder} is not a folder")

    def skipped(error: OSError) -> None:
        if unreadable is not None:
            unreadable.append(f"{error.filename}: {error.strerror or error}")

    found: list[Path] = []
    for root, dirs, _files in os.walk(folder, onerror=skipped):
        here = Path(root)
        if read_answers(here) is not None:
            found.append(here)
            dirs.clear()
            continue
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
    return sorted(found)


def _special_file(path: Path) -> bool:
    """Whether `path` is a FIFO, a device or a socket (never read: it may block)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def git_state(project: Path) -> str:
    """ "clean", "dirty" or "no git"."""
    from stackpick.remote import git

    proc = git(
        "-c", "core.quotepath=off", "status", "--porcelain", "-uall", cwd=project
    )
    if proc.returncode != 0:
        return "no git"
    return "dirty" if proc.stdout.strip() else "clean"


UPDATE_SUBJECT = "Update the stackpick template:"


def last_update_branch(project: Path) -> str | None:
    """The newest local branch whose tip is a stackpick update commit, if any."""
    from stackpick.remote import git

    proc = git(
        "for-each-ref", "--sort=-committerdate",
        "--format=%(refname:short)%09%(subject)", "refs/heads",
        cwd=project,
    )  # fmt: skip
    for line in proc.stdout.splitlines() if proc.returncode == 0 else ():
        branch, _, subject = line.partition("\t")
        if subject.startswith(UPDATE_SUBJECT):
            return branch
    return None


def _renders_wanted(
    paths: list[Path], recorded: list[dict[str, Any]]
) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """(template, version, answers) of each project whose record is safe to render."""
    for path, answers in zip(paths, recorded, strict=True):
        if not (answers.get("_src_path") and answers.get("_commit")):
            continue
        try:
            check_recorded_source(answers, path / ANSWERS_FILE)
        except UnsafeValue:
            continue  # refused by `inspect`, for its project
        yield str(answers["_src_path"]), str(answers["_commit"]), answers


class Inspector:
    """Inspects projects, sharing template tags and presets across them."""

    def __init__(self, *, drift: bool = False) -> None:
        self.tags = TemplateTags()
        self.exports = TemplateExports()
        self.presets = PresetCache(self.exports)
        self.renders = RenderCache(exports=self.exports) if drift else None

    def inspect_all(self, paths: Iterable[Path]) -> list[ProjectState]:
        paths = [Path(p).expanduser().absolute() for p in paths]
        recorded = [read_answers(p) or {} for p in paths]
        self.tags.prefetch(a.get("_src_path", "") for a in recorded)
        if self.renders is not None:  # the fleet's renders, in parallel, up front
            self.renders.prerender(_renders_wanted(paths, recorded))
        return [self.inspect(p, with_git=True) for p in paths]

    def inspect(
        self, project: Path, *, with_changelog: bool = False, with_git: bool = False
    ) -> ProjectState:
        state = ProjectState(path=project.expanduser().absolute())
        if with_git:
            state.git = git_state(state.path) if state.path.is_dir() else "missing"
            if state.git not in ("missing", "no git"):
                state.update_branch = last_update_branch(state.path)
        if not os.path.lexists(state.path):
            state.cannot_tell(f"{state.path} does not exist")
            return state
        answers, reason = answers_or_reason(state.path)
        if answers is None:
            if _special_file(state.path / ANSWERS_FILE):
                state.refuse(reason)  # a FIFO or a device: bad input, as for `new`
            else:
                state.cannot_tell(reason)
            return state
        state.answers = answers
        state.framework = answers.get("framework")
        state.template = str(answers["_src_path"])
        state.version = str(answers.get("_commit") or "") or None
        try:
            check_recorded_source(answers, state.path / ANSWERS_FILE)
        except UnsafeValue as error:
            state.refuse(str(error))
            return state
        self._versions(state, with_changelog)
        self._preset(state)
        if self.renders is not None:
            self._drift(state)
        return state

    def _drift(self, state: ProjectState) -> None:
        assert self.renders is not None
        try:
            state.drift = project_drift(
                state.path, state.answers, self.renders, state.locked
            )
        except StackpickError as error:
            state.cannot_tell(str(error))
            return
        for path in state.drift.violations:
            state.problems.append(f"locked path drifted: {path.path} ({path.state})")

    def _versions(self, state: ProjectState, with_changelog: bool) -> None:
        assert state.template is not None
        try:
            state.latest = self.tags.latest(state.template)
        except StackpickError as error:
            state.cannot_tell(str(error))
            return
        if state.latest is None:
            state.cannot_tell(f"template {state.template} has no release tags")
            return
        recorded = Recorded.parse(state.version or "")
        try:
            state.behind = recorded.behind(state.latest)
        except StackpickError as error:
            state.cannot_tell(str(error))
            return
        if recorded.tag not in self.tags.tags(state.template):
            state.cannot_tell(
                f"the recorded template version {recorded.tag} is no longer a tag of "
                f"{state.template} (deleted or renamed?): `stackpick update` needs it "
                "to compare; tag that commit again, or ask the template's maintainers"
            )
            return
        if state.behind:
            state.problems.append(
                f"behind the template: {state.version} -> {state.latest}"
            )
        if state.behind and with_changelog:
            from stackpick.fleet.versions import template_changelog

            try:
                text = template_changelog(state.template, state.latest)
            except StackpickError as error:
                state.changelog = [f"(no changelog: {error})"]
                return
            state.changelog = (
                changelog_between(text, recorded.tag, state.latest)
                if text is not None
                else ["(the template has no CHANGELOG.md)"]
            )

    def _preset(self, state: ProjectState) -> None:
        source = state.answers.get("preset_source")
        if not source:
            return
        state.preset = str(source)
        try:
            # Checked against the questions of the version an update goes to.
            preset = self.presets.load(state.preset, state.template, state.latest)
        except StackpickError as error:
            if isinstance(error.__cause__, UnsafeValue):
                state.refuse(str(error))
            else:
                state.cannot_tell(str(error))
            return
        state.preset_name = preset.name
        state.locked = preset.locked
        broken = preset_problems(preset, state.answers)
        state.preset_ok = not broken
        state.problems += broken
