"""No value from a file, a preset, a URL or the command line is ever run by git.

A `.copier-answers.yml` is edited in pull requests, and the generated CI runs
`stackpick check` on them: a `_src_path` or `preset_source` that git would read as
an option (`--upload-pack=CMD` runs CMD) or as a command transport (`ext::CMD`) must
be refused before any git runs. Each case here names a marker file the hostile
command would create: the marker must stay absent, and the command must exit 2 with
one line naming the refused value. The projects are a git repository holding only
an answers file, so every case is fast (nothing is rendered).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support import (
    answers_only_project,
    assert_one_line,
    run_stackpick,
    without_lock,
)

Run = Callable[..., subprocess.CompletedProcess[str]]

# {marker} is the file the hostile command would create.
OPTION_SHAPED = {
    "upload-pack": "--upload-pack=touch {marker};",
    "upload-pack-git-plus": "git+--upload-pack=touch {marker};",
    "ssh-proxy-url": "ssh://-oProxyCommand=touch% {marker}/repo.git",
    "ssh-proxy-scp": "-oProxyCommand=touch {marker}:repo.git",
}
TRANSPORT_SHAPED = {
    "ext": "ext::sh -c touch% {marker}",
    "ext-git-plus": "git+ext::sh -c touch% {marker}",
    "fd": "fd::7",
}
SOURCES = {**OPTION_SHAPED, **TRANSPORT_SHAPED}
REFS = {
    "upload-pack": "--upload-pack=touch {marker}",
    "output": "--output={marker}",
}


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The command line, in this process (no interpreter start: these are many)."""
    from stackpick.cli import main
    from stackpick.gitsafe import protective_variables

    for name in (*protective_variables(30), "STACKPICK_PRESET", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)  # restored after the test

    def run(*args: str | Path, cwd: Path, **env: str) -> Any:
        monkeypatch.chdir(cwd)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code = main([str(arg) for arg in without_lock(args)])  # `new`: --no-lock
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def hostile(template: str, tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "MARKER"
    return template.format(marker=marker), marker


def refused(proc: subprocess.CompletedProcess[str], marker: Path, value: str) -> None:
    assert not marker.exists(), "the hostile command ran"
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, value.removeprefix("git+"))


def preset_spec(value: str) -> str:
    """`value` as the repository of a git preset spec (ref `.`, file web.yml)."""
    return f"{value if value.startswith('git+') else 'git+' + value}@v1#web.yml"


# -- from a project's answers file: check, status, update ----------------------------


@pytest.mark.parametrize("key", ["_src_path", "_commit"])
@pytest.mark.parametrize("shape", sorted(SOURCES))
def test_check_refuses_a_hostile_recorded_template(
    run: Run, tmp_path: Path, key: str, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    project = answers_only_project(tmp_path / "p", **{key: value})
    proc = run("check", project, cwd=tmp_path)
    assert not marker.exists()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, f"{key} {value!r}")


@pytest.mark.parametrize("shape", sorted(SOURCES))
def test_check_and_status_refuse_a_hostile_preset_source(
    run: Run, tmp_path: Path, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    spec = preset_spec(value)
    project = answers_only_project(tmp_path / "p", preset_source=spec)
    (tmp_path / "template").mkdir()  # the template: no git (cannot tell its tags)
    for command in ("check", "status"):
        proc = run(command, project, cwd=tmp_path)
        assert not marker.exists(), command
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "must not start with '-'" in proc.stderr or "is not allowed" in (
            proc.stderr
        )
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("shape", sorted(SOURCES))
def test_status_refuses_a_hostile_recorded_template(
    run: Run, tmp_path: Path, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    project = answers_only_project(tmp_path / "p", _src_path=value)
    proc = run("status", project, "--json", cwd=tmp_path)
    refused(proc, marker, value)
    assert "refused for" in proc.stderr


@pytest.mark.parametrize("key", ["_src_path", "_commit"])
@pytest.mark.parametrize("shape", sorted(OPTION_SHAPED))
def test_update_refuses_a_hostile_recorded_template(
    run: Run, tmp_path: Path, key: str, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    project = answers_only_project(tmp_path / "p", **{key: value})
    proc = run("update", project, cwd=tmp_path)
    assert not marker.exists()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, f"{key} {value!r}")


@pytest.mark.parametrize("shape", sorted(SOURCES))
def test_update_refuses_a_hostile_preset_source(
    run: Run, tmp_path: Path, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    project = answers_only_project(tmp_path / "p", preset_source=preset_spec(value))
    proc = run("update", project, cwd=tmp_path)
    assert not marker.exists()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, "cannot read the team preset")


@pytest.mark.parametrize("shape", ["upload-pack", "ext"])
def test_a_fleet_update_fails_each_hostile_project(
    run: Run, tmp_path: Path, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    projects = [answers_only_project(tmp_path / name, _src_path=value) for name in "ab"]
    for extra in ([], ["--vcs-ref", "v2.0.0"]):
        proc = run("update", *projects, *extra, cwd=tmp_path, COLUMNS="500")
        assert not marker.exists()
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "2 failed" in proc.stdout and "_src_path" in proc.stdout


# -- from the command line: new, update, recommend -----------------------------------


@pytest.mark.parametrize("shape", sorted(SOURCES))
@pytest.mark.parametrize("flag", ["--template", "--update-source"])
def test_new_refuses_a_hostile_template_flag(
    run: Run, tmp_path: Path, flag: str, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    proc = run("new", tmp_path / "site", "--defaults", f"{flag}={value}", cwd=tmp_path)
    refused(proc, marker, value)
    assert flag in proc.stderr
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("shape", sorted(SOURCES))
def test_new_refuses_a_hostile_template_url_variable(
    run: Run, tmp_path: Path, shape: str
) -> None:
    """$STACKPICK_TEMPLATE_URL is recorded as `_src_path`: refused before rendering."""
    value, marker = hostile(SOURCES[shape], tmp_path)
    env = {"STACKPICK_TEMPLATE_URL": value}
    proc = run("new", tmp_path / "site", "--defaults", cwd=tmp_path, **env)
    refused(proc, marker, value)
    assert "STACKPICK_TEMPLATE_URL" in proc.stderr
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("shape", sorted(REFS))
def test_new_refuses_a_hostile_vcs_ref(run: Run, tmp_path: Path, shape: str) -> None:
    value, marker = hostile(REFS[shape], tmp_path)
    template = tmp_path / "template"
    template.mkdir()
    args = ("--template", template, f"--vcs-ref={value}")
    proc = run("new", tmp_path / "site", "--defaults", *args, cwd=tmp_path)
    refused(proc, marker, value)


@pytest.mark.parametrize("flag", ["--vcs-ref", "--branch"])
@pytest.mark.parametrize("shape", sorted(REFS))
def test_update_refuses_a_hostile_ref_flag(
    run: Run, tmp_path: Path, flag: str, shape: str
) -> None:
    value, marker = hostile(REFS[shape], tmp_path)
    project = answers_only_project(tmp_path / "p")
    for paths in ([project], [project, project.parent / "p"]):
        proc = run("update", *paths, f"{flag}={value}", cwd=tmp_path)
        refused(proc, marker, value)
        assert flag in proc.stderr


@pytest.mark.parametrize("shape", sorted(SOURCES))
@pytest.mark.parametrize("command", ["recommend", "new"])
def test_a_hostile_git_preset_is_refused(
    run: Run, tmp_path: Path, command: str, shape: str
) -> None:
    value, marker = hostile(SOURCES[shape], tmp_path)
    spec = preset_spec(value)
    target = [tmp_path / "site"] if command == "new" else []
    proc = run(command, *target, "--defaults", f"--preset={spec}", cwd=tmp_path)
    refused(proc, marker, value)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("git+/tmp/presets@--upload-pack=touch {marker}#web.yml", "ref"),
        ("git+/tmp/presets@v1#--output={marker}", "file"),
        ("git+/tmp/presets@v1#../../etc/passwd", "file"),
        ("git+/tmp/presets@a..b#web.yml", "ref"),
    ],
)
def test_a_git_preset_ref_and_file_are_checked(
    run: Run, tmp_path: Path, spec: str, needle: str
) -> None:
    value, marker = hostile(spec, tmp_path)
    proc = run("recommend", "--defaults", f"--preset={value}", cwd=tmp_path)
    assert not marker.exists()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line(proc.stderr, needle)


def test_a_preset_path_shaped_as_a_transport_is_refused(
    run: Run, tmp_path: Path
) -> None:
    value, marker = hostile(TRANSPORT_SHAPED["ext"], tmp_path)
    proc = run("recommend", "--defaults", f"--preset={value}", cwd=tmp_path)
    refused(proc, marker, value)


# -- git itself may not use a command transport, whatever reaches it -----------------


def test_every_git_child_is_denied_command_transports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with a user configuration that allows `ext::`, git under stackpick (and
    Copier's git, through the environment) refuses it."""
    from stackpick.gitsafe import (
        protect_process_environment,
        protective_variables,
        run_git,
    )

    marker = tmp_path / "MARKER"
    for name in protective_variables(30):  # restored after the test
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "protocol.allow")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "always")
    proc = run_git("ls-remote", "--", f"ext::sh -c touch% {marker}", cwd=tmp_path)
    assert proc.returncode != 0 and not marker.exists()
    assert "not allowed" in proc.stderr or "unsupported" in proc.stderr, proc.stderr
    protect_process_environment()
    child = subprocess.run(
        ["git", "ls-remote", "--", f"ext::sh -c touch% {marker}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode != 0 and not marker.exists(), child.stderr
    assert os.environ["GIT_ALLOW_PROTOCOL"] == "file:git:http:https:ssh"


@pytest.mark.parametrize(
    "value",
    [
        "https://github.com/team/template.git",
        "git+https://github.com/team/template.git",
        "git@github.com:team/template.git",
        "ssh://git@example.com/team/template.git",
        "file:///srv/templates/web",
        "/srv/templates/web",
        "templates/web",
    ],
)
def test_ordinary_sources_pass(value: str) -> None:
    from stackpick.gitsafe import check_source

    assert check_source(value) == value


@pytest.mark.parametrize(
    "value", ["v1.2.0", "v1.2.0-3-gabc1234", "HEAD", "main", "stackpick/update-v2"]
)
def test_ordinary_refs_pass(value: str) -> None:
    from stackpick.gitsafe import check_ref

    assert check_ref(value) == value


def test_the_reported_example_in_a_real_process(tmp_path: Path) -> None:
    """The issue's example, as CI runs it: `check`, `status` and `update` of a
    project whose answers file a pull request edited."""
    marker = tmp_path / "MARKER"
    spec = f"git+--upload-pack=touch {marker};@.#web.yml"
    project = answers_only_project(tmp_path / "p", preset_source=spec)
    for command in ("check", "status", "update"):
        proc = run_stackpick(command, project, cwd=tmp_path)
        assert not marker.exists(), command
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "must not start with '-'" in proc.stderr, proc.stderr
