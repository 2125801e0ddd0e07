"""Rendering projects and running their own suites, as a user would."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from stackpick.update.report import CONFLICT_MARKER
from support.paths import (
    BIN,
    FULLEST_FLASK,
    GITHUB_EXPRESSION,
    JINJA_LEFTOVER,
    TEMPLATE_PARTS,
    TEMPLATE_SUFFIXES,
)
from support.processes import postgres_version, run
from support.repos import clean_env, without_lock


def rendered_files(project: Path) -> list[Path]:
    """Every file of a rendered project, skipping VCS and cache folders."""
    skip = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".venv"}
    return [
        p
        for p in sorted(project.rglob("*"))
        if p.is_file() and not skip.intersection(p.relative_to(project).parts)
    ]


def assert_hand_written(project: Path) -> None:
    """No .jinja files, no Jinja left outside HTML templates, no runs of blank lines.

    Third-party files vendored as published (under a `vendor` folder) are skipped.
    """
    problems: list[str] = []
    for path in rendered_files(project):
        rel = path.relative_to(project)
        if "vendor" in rel.parts:
            continue
        if path.suffix == ".jinja":
            problems.append(f"{rel}: a .jinja file was left")
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        bare = GITHUB_EXPRESSION.sub("", text)
        if path.suffix not in TEMPLATE_SUFFIXES and JINJA_LEFTOVER.search(bare):
            problems.append(f"{rel}: Jinja left in a rendered file")
        if "\n\n\n\n" in text or (path.suffix != ".py" and "\n\n\n" in text):
            problems.append(f"{rel}: a run of blank lines")
        if text.startswith("\n"):
            problems.append(f"{rel}: starts with a blank line")
        if text and not text.endswith("\n"):
            problems.append(f"{rel}: no newline at the end")
        if text.endswith("\n\n"):
            problems.append(f"{rel}: a blank line at the end")
        if CONFLICT_MARKER in text:  # `stackpick update` would count it as a conflict
            problems.append(f"{rel}: holds the update's conflict marker")
    assert not problems, "\n".join(problems)


def assert_ruff_clean(project: Path) -> None:
    """`ruff check` and `ruff format --check` pass, with the project's own settings."""
    run([BIN / "ruff", "check", "--no-cache", "."], cwd=project)
    run([BIN / "ruff", "format", "--check", "--no-cache", "."], cwd=project)


def files_holding(project: Path, value: str) -> list[str]:
    """Relative paths of the project's files whose text contains `value`."""
    return [
        path.relative_to(project).as_posix()
        for path in rendered_files(project)
        if value in path.read_text(errors="replace")
    ]


def fresh_venv(project: Path, where: Path) -> Path:
    """A new virtual environment with the project installed the README's way.

    Returns its python. Dependencies come from the package index, so a dependency the
    project forgot to declare shows up here and nowhere else.
    """
    venv = where / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=project)
    python = venv / "bin" / "python"
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-e",
            ".[dev]",
        ],
        cwd=project,
        timeout=900,
    )
    return python


def run_stackpick(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
    timeout: float = 300,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`python -m stackpick ARGS` as a script would run it: no terminal, output kept.

    `env` is the whole environment (default: this one). With `check`, a non-zero exit
    fails the test with the output; otherwise the caller looks at the exit code.
    `new` runs with `--no-lock` unless the test chose (see `without_lock`).
    """
    proc = subprocess.run(
        [sys.executable, "-m", "stackpick", *without_lock([str(a) for a in args])],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=stdin,
        env=dict(env) if env is not None else clean_env(),
        timeout=timeout,
        check=False,
    )
    if check:
        assert proc.returncode == 0, f"stackpick {args}: {proc.stdout}\n{proc.stderr}"
    return proc


def copy_template_folder(source: Path, dest: Path) -> Path:
    """The template at `source` as a plain folder `dest` (no .git), like the wheel's."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in TEMPLATE_PARTS:
        origin, target = source / part, dest / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=ignore)
        else:
            shutil.copy2(origin, target)
    return dest


def render_copie(copie: Any, framework: str, **answers: Any) -> Path:
    """Render a project of `framework` with pytest-copie; its folder."""
    result = copie.copy(extra_answers={"framework": framework, **answers})
    assert result.exit_code == 0, result.exception
    assert result.project_dir is not None
    return result.project_dir


def migrated_flask_project(copie: Any, name: str) -> tuple[Path, str]:
    """The fullest Flask combination named `name`, migrated; (folder, DATABASE_URL).

    The served Flask tests (browser, attacker probes) start from this and differ only
    in how they serve it.
    """
    project = render_copie(copie, "flask", project_name=name, **FULLEST_FLASK)
    slug = name.lower()
    database = f"sqlite:///{project / f'{slug}.sqlite3'}"
    env = {"FLASK_CONFIG": "development", "DATABASE_URL": database}
    run([BIN / "flask", "--app", slug, "db", "upgrade"], cwd=project, env=env)
    return project, database


def venv_with_project(project: Path, where: Path, imports: str) -> Path:
    """`fresh_venv`, then the README's first checks in it: `imports` import, ruff.

    Returns the venv's python.
    """
    python = fresh_venv(project, where)
    run([python, "-c", f"import {imports}"], cwd=project)
    run([python.parent / "ruff", "check", "."], cwd=project)
    return python


@dataclasses.dataclass(frozen=True)
class SuiteRun:
    """What a generated project's own test suite did, from its junit report."""

    collected: int
    passed: int
    seconds: float
    # test name -> the properties it recorded (pytest's `record_property`)
    properties: dict[str, dict[str, str]]


def run_generated_suite(
    project: Path, env: Mapping[str, str] | None = None, python: Path | None = None
) -> SuiteRun:
    """Run the project's own suite as its README says; every collected test must pass.

    The count comes from two places that must agree: pytest's summary line and its
    junit report. A test skipped, deselected, xfailed or erroring fails here, so a
    suite cannot shrink silently.
    """
    report = project.parent / f"{project.name}-junit.xml"
    # Its own --basetemp: a pytest that picks the default one resets the permissions
    # of /tmp/pytest-of-USER, which the PostgreSQL test server (another user) needs.
    basetemp = project.parent / f"{project.name}-pytest"
    started = time.monotonic()
    proc = run(
        [
            python or sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={basetemp}",
            f"--junitxml={report}",
        ],
        cwd=project,
        env=env,
    )
    seconds = time.monotonic() - started
    summary = proc.stdout.strip().splitlines()[-1]
    counts = {
        word: int(n)
        for n, word in re.findall(r"(\d+) ([a-z]+)", summary)
        if not word.startswith("warning")
    }
    cases = ElementTree.parse(report).getroot().iter("testcase")
    outcomes: dict[str, str] = {}
    properties: dict[str, dict[str, str]] = {}
    for case in cases:
        name = f"{case.get('classname')}.{case.get('name')}"
        bad = [
            child.tag for child in case if child.tag in {"skipped", "failure", "error"}
        ]
        outcomes[name] = bad[0] if bad else "passed"
        properties[name] = {
            p.get("name"): p.get("value") for p in case.iter("property")
        }
    passed = sum(outcome == "passed" for outcome in outcomes.values())
    collected = len(outcomes) + counts.get("deselected", 0)
    not_passed = sorted(
        name for name, outcome in outcomes.items() if outcome != "passed"
    )
    assert counts == {"passed": passed}, f"{summary!r}; not passed: {not_passed}"
    assert passed == collected > 0, f"{summary!r}: {passed} of {collected} passed"
    return SuiteRun(collected, passed, seconds, properties)


def assert_suite_ran_on(suite: SuiteRun, postgres_server: str | None) -> None:
    """The generated suite talked to this PostgreSQL server (None: to SQLite).

    The generated tests/test_database.py asks its connection's server to describe
    itself and records the answer as the `database_server` property of the junit
    report; on PostgreSQL it must equal what our server says, word for word.
    """
    servers = {
        props["database_server"]
        for props in suite.properties.values()
        if "database_server" in props
    }
    assert len(servers) == 1, f"expected one database_server property, got {servers}"
    server = servers.pop()
    if postgres_server:
        assert server == postgres_version(postgres_server)
    else:
        assert server.startswith("SQLite "), server


def copier_jinja_env(template: Path, dst: Path) -> Any:
    """Copier's own Jinja environment, from the worker its public `run_copy` returns
    (a dry run: nothing is written)."""
    import warnings

    from copier import run_copy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker = run_copy(str(template), dst, defaults=True, pretend=True, quiet=True)
    return worker.jinja_env
