"""What `stackpick new` will do and what to do next, for people to read.

- `next_steps`: the first commands, rendered from the same include as the generated
  README's "Start" section (includes/start.sh.jinja), so they always agree.
- `reproduce_command`: the one non-interactive command that makes this project again,
  naming only the answers that differ from what the defaults would give.
- `planned_files`: the files a render would write (rendered into a throwaway folder
  outside the destination, for `--dry-run`).
- `name_from_folder`: the project name a destination folder suggests.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stackpick.decide.questions import Question, Questionnaire

START_INCLUDE = "includes/start.sh.jinja"
# Passed by stackpick itself, never by the user.
NOT_ANSWERS = {"secret_key", "stackpick_version", "preset_name"}


def name_from_folder(dest: str) -> str:
    """'ledger-hub' -> 'Ledger Hub' (the folder the project is created in)."""
    folder = Path(dest).expanduser().absolute().resolve().name
    words = [w for w in re.split(r"[-_\s.]+", folder) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words)


def folder_defaults(questions: Questionnaire, dest: str) -> dict[str, Any]:
    """{"project_name": ...} from the folder, when that name and its slug are valid.

    `stackpick new site` would suggest the package `site` (a standard-library module):
    then the template's own default name stays.
    """
    name = name_from_folder(dest)
    if not name:
        return {}
    name_q = questions.questions["project_name"]
    slug_q = questions.questions["project_slug"]
    context = {"project_name": name}
    slug = questions.default(slug_q, context)
    if questions.problem(name_q, name, {}) or questions.problem(slug_q, slug, context):
        return {}
    return {"project_name": name}


def next_steps(template_root: Path, answers: Mapping[str, Any]) -> list[str]:
    """The README's "Start" commands for these answers, one per line."""
    from jinja2 import FileSystemLoader
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(loader=FileSystemLoader(str(template_root)))
    text = env.get_template(START_INCLUDE).render(dict(answers))
    return [line for line in text.splitlines() if line.strip()]


def _shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def non_default_answers(
    questions: Questionnaire,
    answers: Mapping[str, Any],
    computed: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The answers a user must give for the defaults to produce all of `answers`.

    Walks the questions in order: each default is computed from the answers before
    it (the kind's defaults, the slug from the name, the framework from the rules),
    so only the answers that differ from their default are kept.
    """
    wanted: dict[str, Any] = {}

    def compare(question: Question, default: Any, context: dict[str, Any]) -> Any:
        value = answers.get(question.name, default)
        if question.name not in NOT_ANSWERS and value != default:
            wanted[question.name] = value
        return value

    questions.resolve({}, defaults, ask=compare, computed=computed)
    return wanted


def reproduce_command(
    dest: str, wanted: Mapping[str, Any], preset: Path | None = None
) -> str:
    """`stackpick new DEST --defaults --data k=v ...`, shell-quoted."""
    words = ["stackpick", "new", dest, "--defaults"]
    if preset is not None:
        words += ["--preset", str(preset)]
    for key, value in wanted.items():
        words += ["--data", f"{key}={_shown(value)}"]
    return shlex.join(words)


def planned_files(
    answers: Mapping[str, Any], template: str | None, vcs_ref: str | None
) -> list[str]:
    """The files `new` would write, from a render into a throwaway folder."""
    from stackpick.render.copy import _copier_copy, bundled_template, resolve_template

    source, local = resolve_template(template)
    if vcs_ref is None and local is not None and local == bundled_template():
        vcs_ref = "HEAD" if (local / ".git").exists() else None
    with tempfile.TemporaryDirectory(prefix="stackpick-dry-run-") as scratch:
        project = Path(scratch) / "project"
        _copier_copy(source, project, answers, vcs_ref)
        return sorted(
            str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()
        )
