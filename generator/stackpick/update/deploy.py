"""What an update means beyond its files: the lock, the migrations, the deploy.

What breaks template updates in practice is rarely a text conflict: a `uv.lock` left
stale by a changed `pyproject.toml`, a template migration that gives an app two leaf
nodes beside the project's own, a new environment variable nobody set in production.
This module reads the project's tree before and after the update (no project code is
run) and says what to do:

- `relock`: after a dependency change, `uv lock` re-resolves the lock (lock files are
  never merged by text); offline or without uv the user's lock is kept and the report
  says "run `uv lock`".
- `migration_forks`: Django apps with more than one leaf migration, and Alembic
  histories with more than one head, with the exact command that merges them.
- `before_you_deploy`: environment variables added or removed (`.env.example`), new
  migrations, a changed Python or Django requirement, new answers the template asked.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from stackpick.update.tree import Tree

LOCK_FILE = "uv.lock"
_ENV_LINE = re.compile(r"^\s*#?\s*([A-Z][A-Z0-9_]*)\s*=", re.MULTILINE)
_DJANGO_MIGRATION = re.compile(
    r"^(?:.*/)?(?P<app>[^/]+)/migrations/(?P<name>\d{4}\w*)\.py$"
)
_ALEMBIC_VERSION = re.compile(r"^(?:.*/)?migrations/versions/[^/]+\.py$")


def apply_plan_to(head: Tree, plan: Mapping[str, Any]) -> dict[str, bytes]:
    """The project's files after the update: HEAD with the plan's writes and deletes."""
    files = {path: entry.data for path, entry in head.items()}
    for path, entry in plan.items():
        if entry is None:
            files.pop(path, None)
        else:
            files[path] = entry.data
    return files


def _text(files: Mapping[str, bytes], path: str) -> str:
    return files.get(path, b"").decode("utf-8", "replace")


def _pyproject(files: Mapping[str, bytes]) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(files, "pyproject.toml"))
    except tomllib.TOMLDecodeError:
        return {}


def dependency_spec(files: Mapping[str, bytes]) -> dict[str, Any]:
    """What a lock file depends on: requirements, extras, groups, the Python range."""
    data = _pyproject(files)
    project = data.get("project", {})
    return {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "dependency-groups": data.get("dependency-groups", {}),
    }


def _requirement(files: Mapping[str, bytes], name: str) -> str | None:
    for line in dependency_spec(files)["dependencies"]:
        if re.match(rf"^{name}\b", str(line), re.IGNORECASE):
            return str(line)
    return None


def env_names(files: Mapping[str, bytes]) -> set[str]:
    """Variables `.env.example` documents (set or commented out)."""
    return set(_ENV_LINE.findall(_text(files, ".env.example")))


def _assigned(source: str, name: str) -> Any:
    """The literal value of a module-level `name = ...` (None: absent or dynamic)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        targets: list[str] = []
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        else:
            continue
        if name in targets and node.value is not None:
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None


def _django_dependencies(source: str) -> list[tuple[str, str]]:
    """A Django migration's `dependencies = [(app, name), ...]`, read without Django."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "dependencies" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            return [tuple(pair) for pair in value if isinstance(pair, tuple)]
    return []


def django_leaves(files: Mapping[str, bytes]) -> dict[str, list[str]]:
    """Each Django app's leaf migrations (the graph read from the files alone)."""
    nodes: dict[str, set[str]] = {}
    parents: set[tuple[str, str]] = set()
    for path in files:
        match = _DJANGO_MIGRATION.match(path)
        if not match:
            continue
        app, name = match["app"], match["name"]
        nodes.setdefault(app, set()).add(name)
        parents.update(_django_dependencies(_text(files, path)))
    return {
        app: sorted(n for n in names if (app, n) not in parents)
        for app, names in nodes.items()
    }


def alembic_heads(files: Mapping[str, bytes]) -> list[str]:
    """Alembic revisions that no other revision names as its `down_revision`."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in files:
        if not _ALEMBIC_VERSION.match(path):
            continue
        source = _text(files, path)
        revision = _assigned(source, "revision")
        if isinstance(revision, str):
            revisions.add(revision)
        down = _assigned(source, "down_revision")
        downs.update([down] if isinstance(down, str) else list(down or ()))
    return sorted(revisions - downs)


def migration_forks(files: Mapping[str, bytes]) -> list[str]:
    """One line per fork the user must merge, with the exact command."""
    forks = [
        f"Django app '{app}' has {len(leaves)} leaf migrations "
        f"({', '.join(leaves)}): run `python manage.py makemigrations --merge {app}`"
        for app, leaves in sorted(django_leaves(files).items())
        if len(leaves) > 1
    ]
    heads = alembic_heads(files)
    if len(heads) > 1:
        forks.append(
            f"Alembic has {len(heads)} heads ({', '.join(heads)}): run "
            '`flask db merge heads -m "merge the template\'s migrations"`'
        )
    return forks


def new_migrations(
    before: Mapping[str, bytes], after: Mapping[str, bytes]
) -> list[str]:
    return sorted(
        path
        for path in set(after) - set(before)
        if _DJANGO_MIGRATION.match(path) or _ALEMBIC_VERSION.match(path)
    )


def changelog(source: str, before: str, after: str) -> list[str]:
    """The template's CHANGELOG.md lines between the two versions (best effort)."""
    from stackpick.errors import StackpickError
    from stackpick.fleet.versions import Recorded, changelog_between, template_changelog

    try:
        text = template_changelog(source, after)
    except StackpickError:
        return []
    if text is None:
        return []
    lines = changelog_between(text, Recorded.parse(before).tag, after)
    return [line for line in lines if line.strip()]


def before_you_deploy(
    before: Mapping[str, bytes],
    after: Mapping[str, bytes],
    new_answers: Mapping[str, Any],
    by_preset: Collection[str] = (),
) -> list[str]:
    """What a person deploying the updated project must do or know, one line each.

    Each new answer is named with where it came from: the team preset (`by_preset`)
    or the question's default."""
    lines: list[str] = []
    added, removed = (
        env_names(after) - env_names(before),
        env_names(before) - env_names(after),
    )
    if added:
        lines.append(
            "set the new environment variables (see .env.example): "
            + ", ".join(sorted(added))
        )
    if removed:
        lines.append(
            "no longer read, remove from deployments: " + ", ".join(sorted(removed))
        )
    migrations = new_migrations(before, after)
    if migrations:
        lines.append("new migrations to run: " + ", ".join(migrations))
    for label, old, new in (
        ("Python", _pyproject(before).get("project", {}).get("requires-python"),
         _pyproject(after).get("project", {}).get("requires-python")),
        ("Django", _requirement(before, "django"), _requirement(after, "django")),
    ):  # fmt: skip
        if old != new and (old or new):
            lines.append(f"{label} requirement changed: {old or '-'} -> {new or '-'}")
    for key, value in sorted(new_answers.items()):
        origin = "the team preset" if key in by_preset else "its default"
        lines.append(f"new question '{key}' answered {value!r} ({origin})")
    return lines


def relock(
    folder: Path, before: Mapping[str, bytes], after: Mapping[str, bytes]
) -> tuple[str | None, bytes | None]:
    """Re-resolve `uv.lock` when the update changed what it locks: (note, new lock).

    The lock is the project's (copier never renders it), so it is never merged by
    text: `uv lock` writes a fresh one, in `folder` (a copy of the updated
    `pyproject.toml` beside the old lock), never in the user's checkout. Without uv,
    or offline, the user's lock is kept and the note says to run `uv lock`.
    """
    if LOCK_FILE not in after or dependency_spec(before) == dependency_spec(after):
        return None, None
    uv = shutil.which("uv")
    if uv is None:
        return "dependencies changed: run `uv lock` (uv is not installed here)", None
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", LOCK_FILE, "README.md"):
        if name in after:
            (folder / name).write_bytes(after[name])
    try:
        proc = subprocess.run(
            [uv, "lock", "--quiet"],
            cwd=folder,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "dependencies changed: run `uv lock` (it timed out here)", None
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return f"dependencies changed: run `uv lock` (here it said: {reason})", None
    lock = (folder / LOCK_FILE).read_bytes()
    return "dependencies changed: uv.lock re-resolved with `uv lock`", lock
