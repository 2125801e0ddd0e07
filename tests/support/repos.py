"""git, a tagged template repository, and the stackpick command line for the
update, check, status and fleet tests."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from support.paths import ROOT

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "user@example.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "user@example.invalid",
}


README_TITLE = "# {{ project_name }}\n"


def sh(
    *cmd: str | Path,
    cwd: Path,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command with a git identity; fail the test with its output if asked."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **IDENTITY, **(env or {})},
        timeout=600,
        check=False,
    )
    if check:
        assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc


LOCK_CHOICE = re.compile(r"^(--lock|--no-lock|(--data=|-d)?lock=.*)$")


def without_lock(args: Sequence[str | Path]) -> list[str | Path]:
    """`new ARGS` with `--no-lock`, unless the test chose about the lock itself.

    `new` locks by default, which resolves against the package index (slow, network):
    only the tests of locking want that, and they say so (`--lock`, a `lock` answer,
    or a run of their own without these helpers). Other commands are left as given.
    """
    command = next((str(a) for a in args if not str(a).startswith("-")), None)
    if command != "new" or any(LOCK_CHOICE.match(str(a)) for a in args):
        return list(args)
    at = [str(a) for a in args].index("new") + 1
    return [*args[:at], "--no-lock", *args[at:]]


def stackpick(
    *args: str | Path,
    cwd: Path,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The stackpick command line, as a user runs it (`new` with `--no-lock`)."""
    return sh(
        sys.executable, "-m", "stackpick", *without_lock(args),
        cwd=cwd, check=check, env=env,
    )  # fmt: skip


def clone_template(work: Path, first_tag: str | None = "v90.0.0") -> Path:
    """A throwaway clone of this repository (the template), its HEAD tagged."""
    template = work / "template"
    sh("git", "clone", "-q", ROOT, template, cwd=work)
    if first_tag:
        sh("git", "tag", first_tag, cwd=template)
    return template


def commit_and_tag(repo: Path, tag: str) -> None:
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", f"Template {tag}", cwd=repo)
    sh("git", "tag", tag, cwd=repo)


def retitle_readme(template: Path, framework: str, new_title: str) -> None:
    """Change the generated README's first line (the project's title) in a template."""
    readme = template / f"template-{framework}" / "README.md.jinja"
    source = readme.read_text()
    # The title is the README's first rendered line (the flask one opens with `set`s).
    assert README_TITLE in source
    readme.write_text(source.replace(README_TITLE, new_title, 1))


Tree = dict[str, tuple[int, str, bytes | str | None]]


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> Tree | None:
    """Each path under `root`, and root: mode, kind, content. None when absent.

    Hidden and git-ignored files (`.env`, `.git/`) are included unless a top-level
    name is in `skip` (the update tests skip `.git`, which git itself rewrites).
    """
    if not os.path.lexists(root):
        return None
    tree: Tree = {}

    def record(path: str) -> None:
        info = os.lstat(path)
        rel = os.path.relpath(path, root)
        if stat.S_ISLNK(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "dir", None)
        elif stat.S_ISREG(info.st_mode):
            tree[rel] = (stat.S_IMODE(info.st_mode), "file", Path(path).read_bytes())
        else:  # a FIFO or a device: reading it could block forever
            tree[rel] = (stat.S_IMODE(info.st_mode), "special", None)

    record(str(root))
    if root.is_dir() and not root.is_symlink():
        for folder, dirs, files in os.walk(root):
            if folder == str(root):
                dirs[:] = [d for d in dirs if d not in skip]
                files = [f for f in files if f not in skip]
            for name in dirs + files:
                record(os.path.join(folder, name))
    return tree


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without a team preset or a test pause, plus `extra`."""
    unset = ("STACKPICK_PRESET", "STACKPICK_TEST_PAUSE", "STACKPICK_TEST_RESUME")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(extra)
    return env


def start_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`python -m stackpick ARGS` started in the background (stderr a pipe;
    `new` with `--no-lock`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "stackpick", *without_lock(args)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(),
    )


def start_paused(
    *args: str, cwd: Path, phase: str, resume: Path | None = None
) -> subprocess.Popen[str]:
    """Start stackpick and return once it says it is paused at `phase` (guard hook).

    With `resume`, the run goes on by itself once that file exists.
    """
    extra = {"STACKPICK_TEST_PAUSE": phase}
    if resume is not None:
        extra["STACKPICK_TEST_RESUME"] = str(resume)
    proc = start_cli(*args, cwd=cwd, env=clean_env(**extra))
    assert proc.stderr is not None
    line = proc.stderr.readline()  # blocks until the pause is announced (or exit)
    if line.strip() != f"stackpick: paused at {phase}":
        out, err = proc.communicate(timeout=60)
        raise AssertionError(
            f"never paused at {phase}; exit {proc.returncode}\n{line}{err}{out}"
        )
    return proc


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    """Wait for a started stackpick; (exit code, stdout, stderr)."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def assert_one_line(err: str, *needles: str) -> None:
    """stderr is one readable line holding every needle, no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


def answers_only_project(folder: Path, **recorded: str) -> Path:
    """A committed git repository whose answers file records `recorded` (and a
    minimal stackpick project's answers): enough for check, status and update to
    read it, and nothing for them to render."""
    folder.mkdir(parents=True)
    answers = {
        "_src_path": str(folder.parent / "template"),
        "_commit": "v1.0.0",
        "framework": "flask",
        "project_slug": "demo",
        "project_name": "Demo",
        **recorded,
    }
    (folder / ".copier-answers.yml").write_text(yaml.safe_dump(answers))
    env = {**os.environ, **IDENTITY}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "answers"]):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True)
    return folder
