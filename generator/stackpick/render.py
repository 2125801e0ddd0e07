"""Rendering with Copier: where the template is, an atomic copy, and the first commit.

A project is rendered into a temporary folder beside the destination and moved into
place only when everything succeeded, so a failure never leaves half a project.
Copier is imported here only, and only when rendering: `stackpick recommend` and
`--help` stay fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stackpick import __version__
from stackpick.errors import StackpickError
from stackpick.locate import bundled_template

PACKAGE_DIR = Path(__file__).resolve().parent
# Where `copier update` finds the template when the project was rendered from an
# installed wheel (whose template copy is not a git repository).
CANONICAL_TEMPLATE_URL = "https://github.com/stackpick/stackpick.git"
UPDATE_SOURCE_ENV = "STACKPICK_TEMPLATE_URL"
NEUTRAL_AUTHOR = ("stackpick", "stackpick@users.noreply.invalid")


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
    if "://" in given or given.startswith("git@"):
        return given, None
    path = Path(given).expanduser().resolve()
    if not path.is_dir():
        raise StackpickError(f"--template {given}: no such folder")
    if not (path / "copier.yml").is_file() and not (path / "copier.yaml").is_file():
        raise StackpickError(f"--template {given}: no copier.yml in that folder")
    return str(path), path


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
    if dest.is_symlink() and not dest.exists():
        raise StackpickError(f"{dest} is a broken symbolic link, not a folder")
    if dest.is_file() or (dest.exists() and not dest.is_dir()):
        raise StackpickError(f"{dest} exists and is a file, not a folder")
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
    """Render the project atomically into `dest`; see the module docstring."""
    dest = Path(os.path.abspath(dest.expanduser()))
    check_destination(dest, force)
    source, local = resolve_template(template)
    if vcs_ref is None and local is not None and local == bundled_template():
        # Rendering from our own checkout: what you see is what you get.
        vcs_ref = "HEAD" if is_git_checkout(local) else None
    existed = dest.exists()
    anchor = dest.parent
    # Folders made for `dest` are removed again when rendering fails (innermost first).
    made = [p for p in (anchor, *anchor.parents) if not os.path.lexists(p)]
    try:
        anchor.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.stackpick-", dir=anchor))
    except OSError as error:
        _remove_empty(made)
        raise StackpickError(f"cannot write to {anchor}: {error.strerror}") from None
    try:
        project = staging / "project"
        _copier_copy(source, project, answers, vcs_ref)
        notes: list[str] = []
        if local is None or not is_git_checkout(local):
            _record_update_source(project, local is None, update_source)
        if after_render:
            after_render(project)
        files = sorted(
            str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()
        )
        in_repo = existed and (dest / ".git").exists()
        committed = False
        if git and not in_repo:
            committed = _git_first_commit(project, notes)
        _move_into_place(project, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(made)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return Rendered(path=dest, files=files, committed=committed, notes=notes)


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
        raise StackpickError(f"copier could not {action}: {error}") from None
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", None) or error
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        lines = str(detail).strip().splitlines()
        raise StackpickError(
            f"cannot {action} from {what}: {lines[-1] if lines else error}"
        ) from None
    except ValueError as error:
        if str(error).startswith("Validation error"):
            raise StackpickError(f"copier refused an answer: {error}") from None
        raise StackpickError(f"cannot {action} from {what}: {error}") from None


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


def _record_update_source(project: Path, remote: bool, override: str | None) -> None:
    """Point `.copier-answers.yml` at a git source so `copier update` works later.

    A template copied from the installed wheel is a plain folder: Copier records its
    site-packages path and no commit, and could never update the project. Record the
    template's canonical repository and the tag of this stackpick version instead.
    """
    if remote:
        return
    answers_file = project / ".copier-answers.yml"
    if not answers_file.is_file():
        return
    data = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    data["_src_path"] = (
        override or os.environ.get(UPDATE_SOURCE_ENV) or CANONICAL_TEMPLATE_URL
    )
    data["_commit"] = f"v{__version__}"
    header = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"
    answers_file.write_text(
        header + yaml.safe_dump(data, sort_keys=True, allow_unicode=True),
        encoding="utf-8",
    )


def _git_first_commit(project: Path, notes: list[str]) -> bool:
    """`git init` and a first commit; never touches the user's git configuration."""
    git = shutil.which("git")
    if not git:
        notes.append("git is not installed: the project has no repository yet.")
        return False

    def run(*args: str, env: Mapping[str, str] | None = None) -> int:
        return subprocess.run(
            [git, *args],
            cwd=project,
            capture_output=True,
            env={**os.environ, **(env or {})},
            check=False,
        ).returncode

    if run("init", "-q") != 0 or run("add", "-A") != 0:
        notes.append("git init failed: the project has no repository yet.")
        return False
    author: dict[str, str] = {}
    if subprocess.run(
        [git, "config", "user.email"], cwd=project, capture_output=True, check=False
    ).returncode:
        name, email = NEUTRAL_AUTHOR
        author = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        notes.append(
            f"git has no user configured: the first commit is authored by {name}."
        )
    message = "Initial commit from stackpick"
    if run("commit", "-q", "--no-verify", "-m", message, env=author) != 0:
        notes.append("git could not commit: the files are staged, not committed.")
        return False
    return True


def _move_into_place(project: Path, dest: Path) -> None:
    """Rename the finished project to `dest`; with --force, add files into it.

    A failure part-way undoes what was done, so `dest` is left as it was.
    """
    if not dest.exists():
        project.rename(dest)
        return
    if not any(dest.iterdir()):
        # Keep the user's empty folder itself (its mode; a shell sitting in it).
        moved: list[Path] = []
        try:
            for item in sorted(project.iterdir()):
                item.rename(dest / item.name)
                moved.append(item)
        except BaseException:
            for item in reversed(moved):
                (dest / item.name).rename(item)
            raise
        return
    # --force into a non-empty folder: replace same-named files, keep everything else.
    # Check every clash first, so a refusal leaves the folder as it was.
    items = sorted(project.rglob("*"))
    for item in items:
        target = dest / item.relative_to(project)
        if item.is_dir() and target.exists() and not target.is_dir():
            raise StackpickError(f"{target} is a file where the project has a folder")
        if item.is_file() and target.is_dir():
            raise StackpickError(f"{target} is a folder where the project has a file")
        if item.is_dir() and target.is_symlink():
            raise StackpickError(f"{target} is a link where the project has a folder")
    # Each replaced file is kept beside the project until the end, to put it back.
    backups = project.parent / "replaced"
    done: list[tuple[Path, Path | None]] = []  # (path made in dest, its old version)
    try:
        for item in items:
            rel = item.relative_to(project)
            target = dest / rel
            if item.is_dir():
                if not target.is_dir():
                    target.mkdir()
                    done.append((target, None))
                continue
            backup = None
            if os.path.lexists(target):  # a link is replaced itself, never followed
                backup = backups / rel
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(target, backup)
            done.append((target, backup))
            shutil.copy2(item, target)
    except BaseException:
        for target, backup in reversed(done):
            if backup is None and target.is_dir() and not target.is_symlink():
                target.rmdir()
                continue
            if os.path.lexists(target):
                target.unlink()
            if backup is not None:
                shutil.move(backup, target)
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders (innermost first) that are empty; anything else stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
