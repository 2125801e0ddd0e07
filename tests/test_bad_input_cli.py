"""Bad input: one readable line, exit 2, and nothing written.

Every case runs the real CLI as a subprocess with no terminal and checks the exit code,
that stderr is one or two lines without a traceback, and that the destination is
absent (or, when it existed, unchanged byte for byte).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ANSWERS = "answers.yml"


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


def stackpick(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stackpick", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=kwargs.pop("stdin", subprocess.DEVNULL),
        timeout=120,
        **kwargs,
    )


def assert_refused(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


SLUGS = [
    ("class", "keyword"),
    ("match", "keyword"),
    ("test", "clashes"),
    ("tests", "clashes"),
    ("json", "standard-library"),
    ("graphlib", "standard-library"),
    ("flask", "shadow"),
    ("django", "shadow"),
    ("rest_framework", "shadow"),
    ("sqlalchemy", "shadow"),
    ("my-site", "not a valid package name"),
    ("1site", "not a valid package name"),
    ("café", "not a valid package name"),
    ("a/b", "not a valid package name"),
    ("..", "not a valid package name"),
    ("a" * 65, "not a valid package name"),
    ("", "not a valid package name"),
]
NAMES = [
    ("", "Give the project a name"),
    ("two\nlines", "one line"),
    ("x" * 81, "keep it to 80"),
]
ANSWER_FILES = [
    (None, "not found"),
    ("<dir>", "is a folder"),
    ("kind: [website\n", "invalid YAML at line 2"),
    ("- a\n- list\n", "must hold a mapping"),
    ("knd: saas\n", "did you mean 'kind'"),
    ("team_size: many\n", "whole number"),
    ("team_size: 0\n", "at least one developer"),
    ("kind: blog\n", "not one of"),
    ("needs_api: maybe\n", "true or false"),
]


@pytest.mark.parametrize(("slug", "message"), SLUGS)
def test_bad_project_slug(tmp_path: Path, slug: str, message: str) -> None:
    proc = stackpick(
        "new", "site", "--defaults", "-d", f"project_slug={slug}", cwd=tmp_path
    )
    assert_refused(proc, message)
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(("name", "message"), NAMES)
def test_bad_project_name(tmp_path: Path, name: str, message: str) -> None:
    proc = stackpick(
        "new", "site", "--defaults", "-d", f"project_name={name}", "-d",
        "project_slug=site", cwd=tmp_path,
    )  # fmt: skip
    assert_refused(proc, message)
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("flag", ["--answers", "--preset"])
@pytest.mark.parametrize(("content", "message"), ANSWER_FILES)
def test_bad_answers_and_preset_files(
    tmp_path: Path, flag: str, content: str | None, message: str
) -> None:
    path = tmp_path / ANSWERS
    if content == "<dir>":
        path.mkdir()
    elif content is not None:
        if flag == "--preset" and not content.startswith("- ") and "[" not in content:
            content = "name: Team\ndefaults:\n  " + content
        path.write_text(content)
    proc = stackpick("new", "site", "--defaults", flag, str(path), cwd=tmp_path)
    if flag == "--preset" and message == "invalid YAML at line 2":
        message = "invalid YAML at line"
    assert_refused(proc, message)
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-d", "kind"], "expected KEY=VALUE"),
        (["-d", "=saas"], "expected KEY=VALUE"),
        (["-d", "colour=blue"], "unknown key 'colour'"),
        (["--frobnicate"], "unrecognized arguments"),
        (["--template", "/nonexistent/template"], "no such folder"),
        (["--vcs-ref", "no-such-ref"], "no-such-ref"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    proc = stackpick("new", "site", "--defaults", "--no-git", *args, cwd=tmp_path)
    assert_refused(proc, message)
    assert not (tmp_path / "site").exists()
    assert not list(tmp_path.glob(".site.stackpick-*"))


def test_missing_destination_argument(tmp_path: Path) -> None:
    assert_refused(stackpick("new", "--defaults", cwd=tmp_path), "DEST")


def test_empty_destination(tmp_path: Path) -> None:
    assert_refused(stackpick("new", "", "--defaults", cwd=tmp_path), "empty")


def test_destination_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("mine")
    assert_refused(stackpick("new", "site", "--defaults", cwd=tmp_path), "is a file")
    assert (tmp_path / "site").read_text() == "mine"


def test_non_empty_destination_is_left_alone(tmp_path: Path) -> None:
    dest = tmp_path / "site"
    dest.mkdir()
    (dest / "README.md").write_text("the user's readme\n")
    before = snapshot(dest)
    proc = stackpick("new", "site", "--defaults", cwd=tmp_path)
    assert_refused(proc, "not empty", "--force")
    assert snapshot(dest) == before


def test_force_replaces_same_named_files_and_keeps_the_rest(tmp_path: Path) -> None:
    dest = tmp_path / "site"
    dest.mkdir()
    (dest / "README.md").write_text("the user's readme\n")
    (dest / "keep.txt").write_text("the user's own file\n")
    proc = stackpick("new", "site", "--defaults", "--force", "--no-git", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (dest / "keep.txt").read_text() == "the user's own file\n"
    assert (dest / "README.md").read_text() != "the user's readme\n"
    assert (dest / ".copier-answers.yml").is_file()


@pytest.fixture
def locked_folder(tmp_path: Path):
    """A folder nobody may write to. Root ignores modes, so root uses chattr +i."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if not chattr or subprocess.run([chattr, "+i", folder]).returncode != 0:
        pytest.skip("running as root and cannot make a folder immutable (chattr)")
    try:
        yield folder
    finally:
        subprocess.run([chattr, "-i", folder], check=True)


def test_unwritable_destination_parent(tmp_path: Path, locked_folder: Path) -> None:
    proc = stackpick("new", str(locked_folder / "site"), "--defaults", cwd=tmp_path)
    assert_refused(proc, "permission denied")
    assert list(locked_folder.iterdir()) == []


def test_no_terminal_and_missing_answers_never_waits(tmp_path: Path) -> None:
    # stdin is a pipe nobody writes to: a prompt would hang until the timeout.
    proc = stackpick("new", "site", cwd=tmp_path, stdin=subprocess.PIPE)
    assert_refused(proc, "missing", "project_name", "--defaults")
    assert not (tmp_path / "site").exists()


def test_template_code_in_answers_is_data(tmp_path: Path) -> None:
    proc = stackpick(
        "new", "site", "--defaults", "--no-git", "-d", "project_name=Acme {{ 7*7 }}",
        "-d", "project_slug=acme", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for name in ("README.md", "docs/decisions/0001-web-framework.md"):
        text = (tmp_path / "site" / name).read_text()
        assert "Acme {{ 7*7 }}" in text and "Acme 49" not in text


def test_internal_error_is_one_line_unless_debug(monkeypatch, capsys) -> None:
    from stackpick import cli

    def boom(args):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(cli.COMMANDS, "rules", boom)
    assert cli.main(["rules"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        cli.main(["rules", "--debug"])


def test_failure_mid_render_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    from stackpick import cli, render

    def fail(project: Path, notes: list[str]) -> bool:
        assert (project / ".copier-answers.yml").is_file()  # copier wrote files
        raise RuntimeError("disk full")

    monkeypatch.setattr(render, "_git_first_commit", fail)
    dest = tmp_path / "site"
    assert cli.main(["new", str(dest), "--defaults"]) == 1
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left either

    dest.mkdir()
    (dest / "keep.txt").write_text("mine\n")
    before = snapshot(dest)
    monkeypatch.setattr(render, "_git_first_commit", lambda project, notes: True)

    def fail_move(project: Path, target: Path) -> None:
        raise OSError("device went away")

    monkeypatch.setattr(render, "_move_into_place", fail_move)
    assert cli.main(["new", str(dest), "--defaults", "--force"]) == 1
    assert snapshot(dest) == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def run_on_a_terminal(dest: Path, keys: bytes) -> tuple[int, str]:
    """Start `stackpick new` on a pseudo-terminal, wait for a prompt, type `keys`."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stackpick", "new", str(dest)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100", "LINES": "40"},
        close_fds=True,
    )
    os.close(slave)
    seen = b""

    def read_for(seconds: float) -> None:
        nonlocal seen
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                seen += chunk
                if b"Project name" in seen and keys:
                    return

    read_for(30)
    assert b"Project name" in seen, seen
    os.write(master, b"x")  # type into the first prompt, then abort
    time.sleep(0.3)
    os.write(master, keys)
    keys = b""
    try:
        code = proc.wait(timeout=30)
    finally:
        read_for(1)
        os.close(master)
    return code, seen.decode(errors="replace")


# Ctrl-D means EOF on an empty line, so that case clears the line (Ctrl-U) first.
@pytest.mark.parametrize("keys", [b"\x03", b"\x15\x04"], ids=["ctrl-c", "ctrl-d"])
def test_abort_at_a_prompt_writes_nothing(tmp_path: Path, keys: bytes) -> None:
    dest = tmp_path / "site"
    code, screen = run_on_a_terminal(dest, keys)
    assert code == 130, screen
    assert "Aborted; nothing was written." in screen
    assert "Traceback" not in screen
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []
