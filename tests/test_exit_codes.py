"""Bad input is exit 2 with one clear line, never exit 1 or a silent exit 0.

Each case once ended in an internal error (exit 1), was accepted with exit 0, or
said something untrue; see issue 28's "Wrong exits and misleading words". The
projects are git repositories holding an answers file (nothing is rendered) unless
a case is marked slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import (
    IDENTITY,
    ROOT,
    assert_one_line,
    clean_env,
    copy_template_folder,
    run_stackpick,
    sh,
    without_lock,
)

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """The command line, in this process (fast: no interpreter start)."""
    from stackpick.cli import main
    from stackpick.gitsafe import protective_variables

    for name in (*protective_variables(30), "STACKPICK_PRESET"):
        monkeypatch.delenv(name, raising=False)  # restored after the test

    def run(*args: str | Path, cwd: Path) -> Any:
        monkeypatch.chdir(cwd)
        code = main([str(arg) for arg in without_lock(args)])  # `new`: --no-lock
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def committed(folder: Path, answers_text: str | bytes) -> Path:
    """A git repository whose only committed file is `.copier-answers.yml`."""
    folder.mkdir(parents=True)
    answers = folder / ".copier-answers.yml"
    if isinstance(answers_text, bytes):
        answers.write_bytes(answers_text)
    else:
        answers.write_text(answers_text)
    env = {**os.environ, **IDENTITY}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "answers"]):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True)
    return folder


def answers_of(template: Path, commit: str = "v1.0.0", **extra: str) -> str:
    return yaml.safe_dump(
        {
            "_src_path": str(template),
            "_commit": commit,
            "framework": "flask",
            "project_slug": "demo",
            **extra,
        }
    )


@pytest.fixture
def tagged_template(tmp_path: Path) -> Path:
    """A small git repository tagged v1.0.0 and v2.0.0 (enough for ls-remote)."""
    template = tmp_path / "template"
    template.mkdir()
    sh("git", "init", "-q", cwd=template)
    for tag in ("v1.0.0", "v2.0.0"):
        (template / "VERSION").write_text(tag)
        sh("git", "add", "-A", cwd=template)
        sh("git", "commit", "-qm", tag, cwd=template)
        sh("git", "tag", tag, cwd=template)
    return template


# -- answers files that are no answers -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "{}\n", "framework: flask\n", "_src_path: /x\n"],
    ids=["empty", "comment-only", "empty-mapping", "no-source", "no-commit"],
)
def test_update_refuses_an_answers_file_without_a_template(
    run: Run, tmp_path: Path, text: str
) -> None:
    project = committed(tmp_path / "p", text)
    proc = run("update", project, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, "records no", ".copier-answers.yml")


@pytest.mark.parametrize("command", ["update", "check", "status"])
def test_a_nul_byte_in_an_answers_file_is_bad_input(
    run: Run, tmp_path: Path, command: str
) -> None:
    text = answers_of(tmp_path / "template").encode() + b"project_name: a\x00b\n"
    project = committed(tmp_path / "p", text)
    proc = run(command, project, cwd=tmp_path)
    assert "internal error" not in proc.stderr
    if command == "status":  # the project's row says why; status lists, not judges
        assert proc.returncode == 0 and "not valid YAML" in proc.stdout
    else:
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert_one_line(proc.stderr)


def test_a_nul_byte_in_a_preset_is_bad_input(run: Run, tmp_path: Path) -> None:
    preset = tmp_path / "team.yml"
    preset.write_bytes(b"name: team\npin:\n  framework: fla\x00sk\n")
    proc = run("recommend", "--defaults", "--preset", preset, cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line(proc.stderr, "NUL byte", str(preset))


def test_another_control_character_in_a_preset_is_bad_input(
    run: Run, tmp_path: Path
) -> None:
    preset = tmp_path / "team.yml"
    preset.write_bytes(b"name: team\x07\n")
    proc = run("recommend", "--defaults", "--preset", preset, cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line(proc.stderr, "character #x0007", str(preset))


# -- paths that are no projects -------------------------------------------------------


@pytest.mark.parametrize("command", ["status", "check", "update"])
def test_a_path_that_does_not_exist_is_bad_input(
    run: Run, tmp_path: Path, command: str
) -> None:
    proc = run(command, tmp_path / "nope", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "nope" in proc.stderr and "internal error" not in proc.stderr


def test_updating_several_paths_that_are_no_projects_is_bad_input(
    run: Run, tmp_path: Path
) -> None:
    (tmp_path / "emptydir").mkdir()
    (tmp_path / "afile").write_text("hello\n")
    cases = {
        ("nope", "emptydir", "afile"): "nope does not exist",
        ("emptydir", "afile"): "emptydir: not a stackpick project",
        ("afile", "emptydir"): "afile: not a stackpick project",
    }
    for paths, needle in cases.items():
        proc = run("update", *paths, cwd=tmp_path)
        assert proc.returncode == 2, (paths, proc.stdout)
        assert_one_line(proc.stderr, needle)


def test_status_names_a_folder_it_cannot_read(tmp_path: Path) -> None:
    """`status --find` lists what it found and says which folder it could not read."""
    base = Path(tempfile.mkdtemp(prefix="stackpick-unreadable-", dir="/tmp"))
    base.chmod(0o755)
    try:
        committed(base / "readable", answers_of(base / "template"))
        locked = base / "locked"
        (locked / "inner").mkdir(parents=True)
        locked.chmod(0)
        command = [sys.executable, "-m", "stackpick", "status", "--find", str(base)]
        if os.geteuid() == 0:  # root reads everything: ask as nobody instead
            setpriv = shutil.which("setpriv")
            if not setpriv:
                pytest.skip("running as root without setpriv: cannot be denied a read")
            base.chmod(0o755)
            for path in (base / "readable").rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
            (base / "readable").chmod(0o755)
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
            command += [
                sys.executable,
                "-m",
                "stackpick",
                "status",
                "--find",
                str(base),
            ]
        proc = subprocess.run(
            command,
            cwd="/",
            capture_output=True,
            text=True,
            env=clean_env(HOME="/nonexistent", COLUMNS="200"),
            timeout=120,
            check=False,
        )
        assert "readable" in proc.stdout, proc.stdout + proc.stderr
        assert f"cannot read {locked}" in proc.stderr, proc.stderr
        assert "internal error" not in proc.stderr
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)


# -- values on the command line ------------------------------------------------------


@pytest.mark.parametrize("command", ["recommend", "update"])
def test_a_key_given_twice_with_data_is_refused(
    run: Run, tmp_path: Path, command: str
) -> None:
    args = ["--data", "kind=api", "--data", "kind=website"]
    where = [] if command == "recommend" else [tmp_path]
    extra = ["--defaults"] if command == "recommend" else []
    proc = run(command, *where, *extra, *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, "--data kind is given twice", "give each key once")


@pytest.mark.parametrize(
    "character", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c"]
)
@pytest.mark.parametrize("key", ["project_name", "description"])
def test_text_direction_controls_are_refused(
    run: Run, tmp_path: Path, key: str, character: str
) -> None:
    value = f"Invoice{character}fdp.exe"
    proc = run("recommend", "--defaults", "--data", f"{key}={value}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    assert_one_line(proc.stderr, key, "text-direction")


def test_ordinary_non_ascii_names_are_still_welcome(run: Run, tmp_path: Path) -> None:
    proc = run(
        "recommend", "--defaults", "--data", "project_name=Café Ωmega - שלום",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("name", "needle"),
    [("a" * 300, "300 bytes long"), ("é" * 120, "240 bytes long")],
    ids=["300-characters", "240-bytes"],
)
def test_a_destination_name_too_long_is_bad_input(
    run: Run, tmp_path: Path, name: str, needle: str
) -> None:
    proc = run("new", tmp_path / name, "--defaults", cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line(proc.stderr, needle)
    assert sorted(os.listdir(tmp_path)) == []


def test_a_destination_path_too_long_is_bad_input(run: Run, tmp_path: Path) -> None:
    dest = tmp_path.joinpath(*["deep"] * 900)
    proc = run("new", dest, "--defaults", cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line(proc.stderr, "the destination path is")
    assert os.listdir(tmp_path) == []


def test_a_destination_on_another_file_system_is_bad_input(tmp_path: Path) -> None:
    """A mount point as DEST: the project cannot be moved in by a rename."""
    unshare = shutil.which("unshare")
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    probe = [unshare or "unshare", "-rm", "true"]
    if not unshare or subprocess.run(probe, capture_output=True).returncode:
        pytest.skip("no unprivileged mount namespace here to mount a file system")
    script = (
        f"mount -t tmpfs none {mount_point} && "
        f"exec {sys.executable} -m stackpick new {mount_point} --defaults --no-lock"
    )
    proc = subprocess.run(
        [unshare, "-rm", "sh", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, "another file system", "choose a folder inside it")
    assert sorted(os.listdir(tmp_path)) == ["mnt"]


# -- words that were untrue ---------------------------------------------------------


def test_check_says_when_the_recorded_tag_is_gone(
    run: Run, tmp_path: Path, tagged_template: Path
) -> None:
    project = committed(tmp_path / "p", answers_of(tagged_template, "v0.9.0"))
    proc = run("check", project, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, "v0.9.0 is no longer a tag of")
    assert "stackpick update` needs it" in proc.stderr
    current = committed(tmp_path / "q", answers_of(tagged_template, "v1.0.0"))
    behind = run("check", current, cwd=tmp_path)
    assert behind.returncode == 1 and "v2.0.0" in behind.stdout


@pytest.mark.slow  # renders a project
def test_new_from_a_plain_template_folder_records_no_borrowed_version(
    tmp_path: Path,
) -> None:
    """A user's template folder without git is not stackpick's repository at v0.1.0:
    nothing is recorded as such, and the output says `update` cannot follow it."""
    template = copy_template_folder(ROOT, tmp_path / "their-template")
    with (template / "copier.yml").open("a") as copier_yml:
        copier_yml.write("\n# The platform team's fork.\n")
    proc = run_stackpick(
        "new", tmp_path / "site", "--defaults", "--template", template, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    answers = yaml.safe_load((tmp_path / "site" / ".copier-answers.yml").read_text())
    from stackpick.render.copy import CANONICAL_TEMPLATE_URL

    assert answers["_src_path"] != CANONICAL_TEMPLATE_URL
    assert "_commit" not in answers
    assert "no git repository" in proc.stdout
    assert "cannot update this project" in proc.stdout
    update = run_stackpick("update", tmp_path / "site", cwd=tmp_path)
    assert update.returncode == 2
    assert_one_line(update.stderr, "records no _commit")
