"""Content drift: how a project's files differ from what its template version renders.

`check` and `status` compare versions; a project can be on the latest version and still
have edited or deleted the files the template owns (the CI workflow, the Dockerfile,
the security settings). Drift re-renders the project's recorded template version with
its recorded answers and compares file by file: *unchanged*, *edited* (with the lines
added and removed), *deleted*, or *added* by the project. Who owns which file is data
(`ownership.yaml` beside this module, plus the template's `_skip_if_exists`); a team's
preset can lock template paths (`locked:`), and drift on a locked path is a violation.

Renders are the one cache here: keyed by template, commit and answers, so projects on
the same version with the same answers share one render. Only template-owned files are
kept in it (never a rendered `.env` with its fresh secrets).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackpick.errors import StackpickError

if TYPE_CHECKING:
    from stackpick.fleet.exports import TemplateExports

ANSWERS_FILE = ".copier-answers.yml"
UNCHANGED, EDITED, DELETED, ADDED = "unchanged", "edited", "deleted", "added"
TEMPLATE, PROJECT = "template", "project"
# Never compared: the answers (copier's record), git and the tool caches a checkout has.
IGNORED_PARTS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"}


@dataclass(frozen=True)
class FileDrift:
    """One path: its state, who owns it, its changed lines, and whether it is locked."""

    path: str
    state: str
    owner: str
    added_lines: int = 0
    removed_lines: int = 0
    locked: bool = False

    @property
    def violation(self) -> bool:
        """A locked template path that was edited or deleted."""
        return self.locked and self.state in (EDITED, DELETED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "state": self.state,
            "owner": self.owner,
            "added_lines": self.added_lines,
            "removed_lines": self.removed_lines,
            "locked": self.locked,
        }


@dataclass
class Drift:
    """A project's drift from its template version: every file, and a summary."""

    files: list[FileDrift] = field(default_factory=list)

    def count(self, state: str, owner: str | None = None) -> int:
        return sum(
            1
            for f in self.files
            if f.state == state and (owner is None or f.owner == owner)
        )

    @property
    def violations(self) -> list[FileDrift]:
        return [f for f in self.files if f.violation]

    @property
    def drifted(self) -> list[FileDrift]:
        """Template-owned files edited or deleted (what "drifted" means)."""
        return [
            f
            for f in self.files
            if f.owner == TEMPLATE and f.state in (EDITED, DELETED)
        ]

    def summary(self) -> dict[str, int]:
        return {
            UNCHANGED: self.count(UNCHANGED),
            EDITED: self.count(EDITED, TEMPLATE),
            DELETED: self.count(DELETED, TEMPLATE),
            ADDED: self.count(ADDED),
            "project_edited": self.count(EDITED, PROJECT),
            "locked_violations": len(self.violations),
        }

    def words(self) -> str:
        """One line: "3 template files edited (+12 -4), 1 deleted; 2 locked"."""
        drifted = self.drifted
        if not drifted:
            return "no drift from the template"
        edited = [f for f in drifted if f.state == EDITED]
        plus = sum(f.added_lines for f in edited)
        minus = sum(f.removed_lines for f in edited)
        parts = []
        if edited:
            noun = "file" if len(edited) == 1 else "files"
            parts.append(f"{len(edited)} template {noun} edited (+{plus} -{minus})")
        deleted = len(drifted) - len(edited)
        if deleted:
            parts.append(f"{deleted} deleted")
        text = ", ".join(parts)
        if self.violations:
            text += f"; {len(self.violations)} on locked paths"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "files": [f.to_dict() for f in self.files if f.state != UNCHANGED],
            "locked_violations": [f.path for f in self.violations],
        }


@cache
def _ownership_patterns() -> tuple[str, ...]:
    import yaml

    data = yaml.safe_load(
        (Path(__file__).with_name("ownership.yaml")).read_text(encoding="utf-8")
    )
    return tuple(data["project_owns"])


def path_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A gitignore-style matcher over project-relative POSIX paths."""
    import pathspec

    spec = pathspec.PathSpec.from_lines("gitwildmatch", list(patterns))
    return spec.match_file


def answers_key(source: str, commit: str, answers: Mapping[str, Any]) -> str:
    """The cache key of one render: the template, its commit and the answers."""
    data = {k: v for k, v in answers.items() if not str(k).startswith("_")}
    blob = json.dumps([source, commit, data], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stackpick" / "renders"


class RenderCache:
    """Renders of template versions, on disk, shared by projects with equal answers.

    With `exports`, each version is rendered from one checkout of the template made
    for the run (TemplateExports), not from a clone Copier makes per render; and
    `prerender` renders the versions a fleet needs in parallel processes.
    """

    def __init__(
        self, root: Path | None = None, exports: TemplateExports | None = None
    ) -> None:
        self.root = root or cache_root()
        self.exports = exports
        self.hits = self.misses = 0

    def folder(self, source: str, commit: str, answers: Mapping[str, Any]) -> Path:
        return self.root / answers_key(source, commit, answers)

    def render(
        self, source: str, commit: str, answers: Mapping[str, Any]
    ) -> tuple[Path, frozenset[str]]:
        """The folder holding the render, and the paths it owns only once (skipped)."""
        folder = self.folder(source, commit, answers)
        skipped_file = folder / SKIPPED_FILE
        if skipped_file.is_file():
            self.hits += 1
            skipped = json.loads(skipped_file.read_text(encoding="utf-8"))
            return folder / "tree", frozenset(skipped)
        self.misses += 1
        exported = self._exported(source, commit)
        return render_into(folder, source, commit, answers, exported)

    def _exported(self, source: str, commit: str) -> Path | None:
        """The run's checkout of `source` at `commit`; None: let Copier clone it
        (whose error then names the template and version as usual)."""
        if self.exports is None:
            return None
        try:
            return self.exports.tree(source, commit)
        except StackpickError:
            return None

    def prerender(self, wanted: Iterable[tuple[str, str, Mapping[str, Any]]]) -> int:
        """Render, in parallel processes, the wanted renders not cached yet.

        Each distinct (template, commit, answers) is rendered once, in a pool sized
        to the CPUs; a failure is left for `render` to meet and report. Returns how
        many renders were made here.
        """
        jobs: dict[Path, tuple[str, str, Mapping[str, Any]]] = {}
        for source, commit, answers in wanted:
            folder = self.folder(source, commit, answers)
            if not (folder / SKIPPED_FILE).is_file():
                jobs.setdefault(folder, (source, commit, dict(answers)))
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        workers = min(len(jobs), _cpus())
        if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return 0
        import copier  # noqa: F401  (imported once here, inherited by every worker)

        args = [
            (folder, source, commit, answers, self._exported(source, commit))
            for folder, (source, commit, answers) in jobs.items()
        ]
        context = multiprocessing.get_context("fork")
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                made = sum(pool.map(_render_job, args))
        except BrokenProcessPool:  # a worker died (out of memory?): render serially
            return 0
        self.misses += made
        return made


SKIPPED_FILE = ".stackpick-skipped.json"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _render_job(
    job: tuple[Path, str, str, Mapping[str, Any], Path | None],
) -> bool:
    """One render in a worker process: whether it was made (a failure is left to the
    serial pass, which reports it for its project)."""
    try:
        render_into(*job)
    except Exception:  # reported by `render`, for its project
        return False
    return True


def render_into(
    folder: Path,
    source: str,
    commit: str,
    answers: Mapping[str, Any],
    exported: Path | None = None,
) -> tuple[Path, frozenset[str]]:
    """Render `source` at `commit` (from its checkout `exported`, when given) with
    `answers`; placed at `folder` by rename, without the once-per-project files."""
    from stackpick.update.scratch import render_version

    root = folder.parent
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    work = Path(tempfile.mkdtemp(prefix=".render-", dir=root))
    try:
        if exported is None:
            tree, skip = render_version(source, commit, answers, work / "tree")
        else:
            tree, skip = render_version(str(exported), None, answers, work / "tree")
        skipped = sorted(path for path in tree if skip(path))
        for path in skipped:  # made once per project (secrets): never kept
            (work / "tree" / path).unlink()
        (work / SKIPPED_FILE).write_text(json.dumps(skipped), encoding="utf-8")
        try:
            os.replace(work, folder)
        except OSError:  # another run cached the same render meanwhile
            if not (folder / SKIPPED_FILE).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder / "tree", frozenset(skipped)


def project_files(project: Path) -> dict[str, Path]:
    """The project's files as a reviewer sees them: tracked, or new and not ignored."""
    from stackpick.remote import git

    proc = git(
        "-c", "core.quotepath=off",
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".",
        cwd=project,
    )  # fmt: skip
    if proc.returncode == 0:
        names = [n for n in proc.stdout.split("\0") if n]
    else:  # not a git repository: every file but the usual caches
        names = [
            (Path(root) / name).relative_to(project).as_posix()
            for root, dirs, files in os.walk(project)
            for name in files
            if not dirs.__setitem__(slice(None), sorted(set(dirs) - IGNORED_PARTS))
        ]
    return {
        name: project / name
        for name in names
        if name != ANSWERS_FILE
        and not IGNORED_PARTS.intersection(name.split("/"))
        and (project / name).is_file()
    }


def line_changes(before: bytes, after: bytes) -> tuple[int, int]:
    """Lines added and removed from `before` to `after` (binary files: 0, 0)."""
    import difflib

    if b"\0" in before[:8000] or b"\0" in after[:8000]:
        return 0, 0
    old = before.decode("utf-8", "replace").splitlines()
    new = after.decode("utf-8", "replace").splitlines()
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def compare(
    rendered: Path,
    skipped: frozenset[str],
    project: Path,
    locked: Iterable[str] = (),
) -> Drift:
    """Every file of the render and of the project, with its state and owner."""
    project_owned = path_matcher(_ownership_patterns())
    is_locked = path_matcher(locked)
    theirs = {
        p.relative_to(rendered).as_posix(): p
        for p in rendered.rglob("*")
        if p.is_file() and p.name != ANSWERS_FILE
    }
    ours = project_files(project)
    drift = Drift()
    for path in sorted(set(theirs) | set(ours) | (skipped & set(ours))):
        owner = PROJECT if path in skipped or project_owned(path) else TEMPLATE
        locked_here = owner == TEMPLATE and is_locked(path)
        if path not in theirs:
            state, counts = (UNCHANGED if path in skipped else ADDED), (0, 0)
            if path not in skipped:
                owner = PROJECT
        elif path not in ours:
            state, counts = DELETED, (0, 0)
        else:
            before, after = theirs[path].read_bytes(), ours[path].read_bytes()
            same = before == after
            state = UNCHANGED if same else EDITED
            counts = (0, 0) if same else line_changes(before, after)
        drift.files.append(FileDrift(path, state, owner, *counts, locked=locked_here))
    return drift


def project_drift(
    project: Path,
    answers: Mapping[str, Any],
    renders: RenderCache,
    locked: Iterable[str] = (),
) -> Drift:
    """Drift of `project` from its recorded template version and answers."""
    source, commit = answers.get("_src_path"), answers.get("_commit")
    if not source or not commit:
        raise StackpickError(
            f"{project}: {ANSWERS_FILE} records no template version to compare with"
        )
    rendered, skipped = renders.render(str(source), str(commit), answers)
    return compare(rendered, skipped, project, locked)
