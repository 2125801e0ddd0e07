"""Rendering with Copier: where the template is, an atomic copy, and the first commit.

A project is rendered into a staging folder beside the destination (staging.py) and
moved into place only when everything succeeded (place.py), so a failure, Ctrl-C,
SIGTERM or SIGHUP never leaves half a project, and a user's file replaced by a
`--force` merge is put back byte for byte. Each phase calls `guard.checkpoint` (render,
git, move, merge) so tests can send real signals there.
Copier is imported here only, and only when rendering: `stackpick recommend` and
`--help` stay fast.
"""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stackpick import __version__
from stackpick.errors import StackpickError
from stackpick.gitsafe import check_source
from stackpick.locate import bundled_template
from stackpick.render.firstcommit import first_commit
from stackpick.render.guard import checkpoint, exclusive_lock, raise_if_terminated
from stackpick.render.place import entries, move_into_place
from stackpick.render.staging import lock_file, staging_folder, sweep_stale

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Where `copier update` finds the template when the project was rendered from an
# installed wheel (whose template copy is not a git repository).
CANONICAL_TEMPLATE_URL = "https://github.com/stackpick/stackpick.git"
UPDATE_SOURCE_ENV = "STACKPICK_TEMPLATE_URL"


def is_git_checkout(path: Path) -> bool:
    return (path / ".git").exists()


def resolve_template(given: str | None) -> tuple[str, Path | None]:
    """(source for copier, local folder or None for a remote URL).

    Paths are made absolute: Copier records the source as given, and a relative
    `_src_path` breaks every later `copier update`.
    """
    if given is None:
        path = bundled_template()
        return str(path), path
    check_source(given, "--template")
    if "://" in given or given.startswith("git@"):
        return given, None
    path = Path(given).expanduser().resolve()
    if not path.is_dir():
        raise StackpickError(f"--template {given}: no such folder")
    if not (path / "copier.yml").is_file() and not (path / "copier.yaml").is_file():
        raise StackpickError(f"--template {given}: no copier.yml in that folder")
    return str(path), path


# Questions stackpick relies on: a copier.yml without them is another template.
STACKPICK_QUESTIONS = ("project_name", "project_slug", "framework")


def load_questions(copier_yml: Path) -> Any:
    """The questionnaire of a template, refusing a copier.yml that is not stackpick's.

    The bundled template is ours (a failure there is a bug); a template given with
    --template may be anything, and every way of not being ours is one line (exit 2).
    """
    from stackpick.decide.questions import Questionnaire

    if copier_yml.parent == bundled_template():
        return Questionnaire(copier_yml)
    where = f"--template {copier_yml.parent}"
    try:
        questions = Questionnaire(copier_yml)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise StackpickError(f"{where}: copier.yml is not valid YAML{at}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StackpickError(f"{where}: cannot read copier.yml: {error}") from None
    except (AttributeError, TypeError, ValueError):
        raise StackpickError(
            f"{where}: copier.yml is empty or not a mapping of questions"
        ) from None
    missing = [name for name in STACKPICK_QUESTIONS if name not in questions.questions]
    if missing:
        raise StackpickError(
            f"{where}: not a stackpick template (copier.yml asks no "
            f"{', '.join(missing)})"
        )
    return questions


@dataclass
class Rendered:
    path: Path
    files: list[str]
    committed: bool
    notes: list[str] = field(default_factory=list)


def check_destination(dest: Path, force: bool) -> None:
    """Refuse destinations we could damage; nothing is written by this check."""
    if str(dest).strip() == "":
        raise StackpickError("the destination is empty: give a folder name")
    dest = Path(os.path.abspath(dest))
    _check_path_lengths(dest)
    if dest.is_symlink() and not dest.exists():
        raise StackpickError(f"{dest} is a broken symbolic link, not a folder")
    if dest.is_file() or (dest.exists() and not dest.is_dir()):
        raise StackpickError(f"{dest} exists and is a file, not a folder")
    if dest.is_dir() and dest.stat().st_dev != dest.parent.stat().st_dev:
        raise StackpickError(
            f"{dest} is on another file system than {dest.parent} (a mount point?); "
            "the project is built beside it and moved in, which cannot cross file "
            f"systems: choose a folder inside it, e.g. {dest / 'site'}"
        )
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise StackpickError(
            f"{dest} exists and is not empty; choose a new folder, or pass --force to "
            "add the project's files to it (files with the same names are replaced)"
        )
    # The project is staged beside `dest`, so its parent must be writable too.
    ancestor = dest.parent
    while not os.path.lexists(ancestor):
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise StackpickError(f"{ancestor} is a file, not a folder")
    for folder in (ancestor, dest) if dest.exists() else (ancestor,):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StackpickError(f"cannot write to {folder}: permission denied")


# 255 bytes per name on every common file system, less the staging folder's
# additions beside it (`.NAME.stackpick-XXXXXXXX`); 4096 per path, less room for the
# project's own deepest files.
MAX_NAME_BYTES = 255 - len("..stackpick-12345678")
MAX_PATH_BYTES = 4096 - 512


def _check_path_lengths(dest: Path) -> None:
    """Refuse a destination whose names the file system cannot hold (ENAMETOOLONG
    half-way through would be a worse message)."""
    total = len(os.fsencode(str(dest)))
    if total > MAX_PATH_BYTES:
        raise StackpickError(
            f"the destination path is {total} bytes long; keep it under "
            f"{MAX_PATH_BYTES} (the project's own files add to it)"
        )
    for part in (dest, *dest.parents):
        size = len(os.fsencode(part.name))
        limit = MAX_NAME_BYTES if part == dest else 255
        if size > limit:
            raise StackpickError(
                f"the folder name {part.name[:40]}... is {size} bytes long; "
                f"at most {limit} fit"
                + (
                    " (stackpick stages the project beside it under a longer name)"
                    if part == dest
                    else ""
                )
            )


def render(
    dest: Path,
    answers: Mapping[str, Any],
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    force: bool = False,
    git: bool = True,
    update_source: str | None = None,
    after_render: Callable[[Path], None] | None = None,
) -> Rendered:
    """Render the project atomically into `dest`; see the module docstring.

    Everything from the destination check to the final move happens under an
    exclusive lock beside `dest`, and the check is repeated under it: two runs into
    one folder cannot both pass, and a destination that appears or changes meanwhile
    is never written over (see place.py).
    """
    started = time.time()
    dest = Path(os.path.abspath(dest.expanduser()))
    check_destination(dest, force)
    if vcs_ref is not None and template is None:
        raise StackpickError(
            f"--vcs-ref {vcs_ref}: the bundled template has no other versions; "
            "give the template too (--template URL --vcs-ref REF)"
        )
    source, local = resolve_template(template)
    if vcs_ref is None and local is not None and local == bundled_template():
        # Rendering from our own checkout: what you see is what you get.
        vcs_ref = "HEAD" if is_git_checkout(local) else None
    anchor = dest.parent
    # Folders made for `dest` are removed again when rendering fails (innermost first).
    made = [p for p in (anchor, *anchor.parents) if not os.path.lexists(p)]
    try:
        try:
            anchor.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StackpickError(
                f"cannot write to {anchor}: {error.strerror}"
            ) from None
        with exclusive_lock(lock_file(dest), str(dest), remove=True):
            return _render_locked(
                dest, answers, source, local, vcs_ref, force, git, update_source,
                after_render, started,
            )  # fmt: skip
    except BaseException:
        _remove_empty(made)
        raise


def _render_locked(
    dest: Path,
    answers: Mapping[str, Any],
    source: str,
    local: Path | None,
    vcs_ref: str | None,
    force: bool,
    git: bool,
    update_source: str | None,
    after_render: Callable[[Path], None] | None,
    started: float,
) -> Rendered:
    notes: list[str] = []
    swept = sweep_stale(dest.parent, started, notes)
    if swept:
        notes.append(
            f"removed {len(swept)} staging folder(s) left by an interrupted "
            f"stackpick: {', '.join(swept)}"
        )
    check_destination(dest, force)  # again, now that no other run can write here
    before = entries(dest) if dest.is_dir() else None
    with staging_folder(dest.parent, dest.name) as staging:
        checkpoint("render")
        project = staging / "project"
        _copier_copy(source, project, answers, vcs_ref)
        if local is not None and not is_git_checkout(local):
            if _update_source(update_source) or _is_our_template(local):
                _record_update_source(project, update_source)
            else:
                notes.append(
                    f"the template folder {local} is no git repository: no version "
                    "is recorded, so `stackpick update` cannot update this project "
                    "(give --update-source URL to record one)"
                )
        if after_render:
            after_render(project)
        files = sorted(
            str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()
        )
        committed = False
        if git and not (before and (dest / ".git").exists()):
            checkpoint("git")
            committed = first_commit(project, notes)
        kept = move_into_place(
            project, dest, before, staging / "replaced", _keeper(project, dest)
        )
    if kept:
        notes.append(
            f"kept your {', '.join(kept)} (git-ignored, holding data): "
            "the template's version was not written"
        )
    return Rendered(path=dest, files=files, committed=committed, notes=notes)


def _keeper(project: Path, dest: Path) -> Callable[[str, Path], bool]:
    """Whether an existing file in `dest` must stay the user's on a --force merge.

    A file that git ignores, by the project's .gitignore or the user's own, and that
    holds data (a `.env`, a local database) is theirs: git has no copy of it.
    """
    import pathspec

    lines: list[str] = []
    for gitignore in (project / ".gitignore", dest / ".gitignore"):
        if gitignore.is_file() and not gitignore.is_symlink():
            text = gitignore.read_text(encoding="utf-8", errors="replace")
            lines += text.splitlines()
    spec = pathspec.GitIgnoreSpec.from_lines(lines)

    def keep(rel: str, target: Path) -> bool:
        if rel != ".env" and not spec.match_file(rel):
            return False
        return target.is_symlink() or target.stat().st_size > 0

    return keep


@contextmanager
def copier_errors(action: str, what: str) -> Iterator[None]:
    """Run Copier quietly and turn its failures into one line for the user.

    `action` says what was attempted ("render", "update"); `what` names the source.
    """
    from copier.errors import CopierError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except CopierError as error:
        raise_if_terminated()
        raise StackpickError(f"copier could not {action}: {error}") from None
    except (subprocess.CalledProcessError, OSError) as error:
        raise_if_terminated()
        detail = getattr(error, "stderr", None) or error
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        lines = str(detail).strip().splitlines()
        raise StackpickError(
            f"cannot {action} from {what}: {lines[-1] if lines else error}"
        ) from None
    except ValueError as error:
        raise_if_terminated()
        if str(error).startswith("Validation error"):
            raise StackpickError(f"copier refused an answer: {error}") from None
        raise StackpickError(f"cannot {action} from {what}: {error}") from None
    raise_if_terminated()  # a signal Copier caught and swallowed


def _copier_copy(
    source: str, project: Path, answers: Mapping[str, Any], vcs_ref: str | None
) -> None:
    from copier import run_copy

    what = f"--vcs-ref {vcs_ref}" if vcs_ref else f"template {source}"
    with copier_errors("render the template", what):
        run_copy(
            src_path=source,
            dst_path=project,
            data=dict(answers),
            defaults=True,
            quiet=True,
            unsafe=False,
            vcs_ref=vcs_ref,
            overwrite=True,
            cleanup_on_error=False,
        )


def _update_source(override: str | None) -> str:
    """The git source asked for with --update-source or $STACKPICK_TEMPLATE_URL."""
    # A blank value (an empty `--update-source` or variable) counts as unset.
    return (override or "").strip() or os.environ.get(UPDATE_SOURCE_ENV, "").strip()


def _is_our_template(folder: Path) -> bool:
    """Whether a plain folder holds this stackpick's template (the wheel's copy, or
    an unpacked one): only then is the canonical repository its true source."""
    if folder == bundled_template():
        return True
    try:
        theirs = (folder / "copier.yml").read_bytes()
        return theirs == (bundled_template() / "copier.yml").read_bytes()
    except OSError:
        return False


def _record_update_source(project: Path, override: str | None) -> None:
    """Point `.copier-answers.yml` at a git source so `copier update` works later.

    A template copied from the installed wheel is a plain folder: Copier records its
    site-packages path and no commit, and could never update the project. Record the
    template's canonical repository and the tag of this stackpick version instead.
    A template folder the user gave (--template) is never recorded as ours.
    """
    answers_file = project / ".copier-answers.yml"
    if not answers_file.is_file():
        return
    data = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    data["_src_path"] = check_source(
        _update_source(override) or CANONICAL_TEMPLATE_URL,
        f"--update-source (or ${UPDATE_SOURCE_ENV})",
    )
    data["_commit"] = f"v{__version__}"
    header = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"
    answers_file.write_text(
        header + yaml.safe_dump(data, sort_keys=True, allow_unicode=True),
        encoding="utf-8",
    )


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders (innermost first) that are empty; anything else stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
