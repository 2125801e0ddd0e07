"""`stackpick update` never loses work: ignored files, dropped edits, signals, races.

One throwaway clone of this repository is the template. Its v90.0.0 adds a few files
to template-flask (docs to delete or rename, binary files); each later version is a
branch off v90.0.0:
- v90.1.0 adds `instance/settings.py` (a path the project's .gitignore ignores, where
  a user keeps local secrets) and changes `.env` (kept per project: _skip_if_exists);
- v90.2.0 deletes two docs, renames one, and changes two binary files.
One project is rendered from v90.0.0 and edited by "the user" (committed); each test
updates its own copy of it, with real processes, signals and git, and compares
whole-tree snapshots (paths, modes, bytes; ignored files too) before and after.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import (
    IDENTITY,
    clone_template,
    commit_and_tag,
    sh,
    snapshot,
    stackpick,
)

# Its module fixtures are built once: every test of it runs on one xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("update_lab")]

SLUG = "safe_demo"
USER_SECRET = b"SECRET = 'the user's own, never commit'\n"
TEMPLATE_SETTINGS = "SECRET = 'change me'\n"
ENV_LINE = "USER_TOKEN=only-on-this-machine\n"
USER_NOTES = "# Notes\n\nThe user's own notes on this project.\n"
USER_HOWTO = "# How to\n\nThe user's own steps.\n"
BINARY = {  # name: (v90.0.0, the user's, v90.2.0); None = unchanged
    "logo.bin": (b"\x89LOGO\0v0", b"\x89LOGO\0user", b"\x89LOGO\0v2"),
    "icon.bin": (b"\x00ICON\0v0", b"\x00ICON\0user", None),
    "banner.bin": (b"\x00BANNER\0v0", None, b"\x00BANNER\0v2"),
}


@dataclass
class Lab:
    work: Path
    template: Path
    base: Path

    def project(self, name: str) -> Path:
        """A fresh copy of the user's project (with its .git and ignored files)."""
        copy = self.work / "runs" / name / "project"  # alone in its folder
        shutil.copytree(self.base, copy, symlinks=True)
        return copy


def _template_versions(template: Path) -> None:
    flask = template / "template-flask"
    static = flask / "{{project_slug}}" / "static"
    (flask / "docs" / "notes.md").write_text("# Notes\n")
    (flask / "docs" / "howto.md").write_text("# How to\n\nSteps.\n")
    (flask / "docs" / "untouched.md").write_text("# Untouched\n")
    for name, (first, _, _) in BINARY.items():
        (static / name).write_bytes(first)
    commit_and_tag(template, "v90.0.0")

    sh("git", "checkout", "-qb", "ignored", "v90.0.0", cwd=template)
    (flask / "instance").mkdir()
    (flask / "instance" / "settings.py").write_text(TEMPLATE_SETTINGS)
    # template-flask/.gitignore ignores instance/ in the template repository too.
    sh("git", "add", "-f", "template-flask/instance/settings.py", cwd=template)
    env = flask / ".env.jinja"
    env.write_text(env.read_text() + "NEW_SETTING=1\n")
    commit_and_tag(template, "v90.1.0")

    sh("git", "checkout", "-qb", "edits", "v90.0.0", cwd=template)
    (flask / "docs" / "notes.md").unlink()
    (flask / "docs" / "untouched.md").unlink()
    (flask / "docs" / "guide").mkdir()
    (flask / "docs" / "howto.md").rename(flask / "docs" / "guide" / "howto.md")
    for name, (_, _, new) in BINARY.items():
        if new is not None:
            (static / name).write_bytes(new)
    commit_and_tag(template, "v90.2.0")


def _user_edits(project: Path) -> None:
    """What a user does after `new`: edits, own files, local secrets; commits."""
    (project / "docs" / "notes.md").write_text(USER_NOTES)
    (project / "docs" / "howto.md").write_text(USER_HOWTO)
    for name, (_, user, _) in BINARY.items():
        if user is not None:
            (project / SLUG / "static" / name).write_bytes(user)
    main = project / SLUG / "main.py"
    main.write_text(main.read_text() + "# the user's own route comes here\n")
    (project / SLUG / "mine.py").write_text("MINE = True\n")
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", "User edits", cwd=project)
    # Git-ignored (.gitignore has .env and instance/): local secrets, never committed.
    (project / "instance").mkdir()
    (project / "instance" / "settings.py").write_bytes(USER_SECRET)
    with (project / ".env").open("a") as stream:
        stream.write(ENV_LINE)
    assert sh("git", "status", "--porcelain", cwd=project).stdout == ""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    work = tmp_path_factory.mktemp("update-safety")
    template = clone_template(work, None)
    _template_versions(template)
    base = work / "base"
    stackpick(
        "new", base, "--defaults", "-d", "framework=flask",
        "-d", "project_name=Safe Demo", "--template", template, "--vcs-ref", "v90.0.0",
        cwd=work,
    )  # fmt: skip
    _user_edits(base)
    (work / "runs").mkdir()
    return Lab(work, template, base)


def update(project: Path, *args: str, check: bool = True, **kwargs):
    return stackpick(
        "update", project, *args, cwd=project.parent, check=check, **kwargs
    )


def attention(summary: str) -> str:
    assert "your attention:" in summary, summary
    return summary.split("your attention:")[1]


# -- git-ignored user files ---------------------------------------------------------
def test_ignored_user_file_is_kept_and_reported(lab: Lab) -> None:
    project = lab.project("ignored")
    env_before = (project / ".env").read_bytes()
    proc = update(project, "--vcs-ref", "v90.1.0")
    assert (project / "instance" / "settings.py").read_bytes() == USER_SECRET
    assert (project / ".env").read_bytes() == env_before  # _skip_if_exists: quietly
    notes = attention(proc.stdout)
    assert "instance/settings.py: git ignores it and you have your own" in notes
    assert ".env" not in notes
    assert "no conflicts" not in proc.stdout
    assert "v90.0.0 -> v90.1.0" in proc.stdout


def test_ignored_path_without_user_file_gets_the_template_file(lab: Lab) -> None:
    project = lab.project("ignored-absent")
    shutil.rmtree(project / "instance")
    proc = update(project, "--vcs-ref", "v90.1.0")
    assert (project / "instance" / "settings.py").read_text() == TEMPLATE_SETTINGS
    assert "instance/settings.py" in proc.stdout.split("your attention")[0]


# -- edits the template would drop ----------------------------------------------------
@pytest.fixture(scope="module")
def edits(lab: Lab) -> tuple[Path, str]:
    project = lab.project("edits")
    return project, update(project, "--vcs-ref", "v90.2.0").stdout


def test_edited_file_the_template_deletes_is_kept(edits: tuple[Path, str]) -> None:
    project, summary = edits
    print(f"\nstackpick update summary:\n{summary}")
    assert (project / "docs" / "notes.md").read_text() == USER_NOTES
    assert (
        "docs/notes.md: you edited it and the template deleted it; kept your version"
        in attention(summary)
    )
    assert not (project / "docs" / "untouched.md").exists()  # unedited: deleted
    assert "    docs/untouched.md (deleted)\n" in summary


def test_edited_file_the_template_renames_is_kept(edits: tuple[Path, str]) -> None:
    project, summary = edits
    assert (project / "docs" / "howto.md").read_text() == USER_HOWTO
    assert (
        project / "docs" / "guide" / "howto.md"
    ).read_text() == "# How to\n\nSteps.\n"
    assert (
        "docs/howto.md: you edited it and the template renamed it to "
        "docs/guide/howto.md; kept your version" in attention(summary)
    )


def test_binary_changed_on_both_sides_keeps_the_users(edits: tuple[Path, str]) -> None:
    project, summary = edits
    static = project / SLUG / "static"
    assert (static / "logo.bin").read_bytes() == BINARY["logo.bin"][1]
    assert f"{SLUG}/static/logo.bin: you and the template both changed this binary" in (
        attention(summary)
    )
    # Only one side changed: that side wins, and nobody is bothered.
    assert (static / "icon.bin").read_bytes() == BINARY["icon.bin"][1]
    assert (static / "banner.bin").read_bytes() == BINARY["banner.bin"][2]
    assert "icon.bin" not in summary and "banner.bin" not in attention(summary)
    assert "no conflicts" not in summary


def test_renamed_package_keeps_the_users_files(lab: Lab) -> None:
    project = lab.project("slug")
    proc = update(project, "--vcs-ref", "v90.0.0", "--data", "project_slug=new_demo")
    notes = attention(proc.stdout)
    main = (project / SLUG / "main.py").read_text()
    assert main.endswith("# the user's own route comes here\n")
    assert (
        f"{SLUG}/main.py: you edited it and the template renamed it to new_demo/main.py"
        in notes
    )
    assert (project / SLUG / "mine.py").read_text() == "MINE = True\n"
    assert f"{SLUG}/mine.py: your file is in {SLUG}/" in notes
    assert "(now new_demo/)" in notes
    assert (project / "new_demo" / "__init__.py").is_file()
    assert not (project / SLUG / "__init__.py").exists()  # unedited: moved
    assert "no conflicts" not in proc.stdout


def test_untouched_project_says_no_conflicts(lab: Lab, tmp_path: Path) -> None:
    project = tmp_path / "fresh"
    stackpick(
        "new", project, "--defaults", "-d", "framework=flask",
        "-d", "project_name=Safe Demo", "--template", lab.template,
        "--vcs-ref", "v90.0.0", cwd=tmp_path,
    )  # fmt: skip
    proc = update(project, "--vcs-ref", "v90.2.0")
    assert "no conflicts" in proc.stdout and "attention" not in proc.stdout
    assert not (project / "docs" / "notes.md").exists()
    assert (project / "docs" / "guide" / "howto.md").is_file()


# -- interruption ---------------------------------------------------------------------
PHASES = ("update:locked", "update:scratch", "update:rendered", "update:apply")
SIGNALS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def paused_update(project: Path, phase: str, tmp: Path) -> subprocess.Popen[str]:
    """Start `stackpick update` and return once it waits at `phase`."""
    env = {**IDENTITY, "STACKPICK_TEST_PAUSE": phase, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stackpick", "update", project, "--vcs-ref", "v90.2.0"],
        cwd=project.parent,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line == f"stackpick: paused at {phase}\n", line + proc.stderr.read()
    return proc


def git_state(project: Path) -> tuple[str, str, str]:
    return (
        sh("git", "rev-parse", "HEAD", cwd=project).stdout,
        sh("git", "ls-files", "-s", cwd=project).stdout,
        sh("git", "status", "--porcelain", "--ignored", cwd=project).stdout,
    )


@pytest.mark.parametrize("signum", list(SIGNALS), ids=lambda s: s.name)
@pytest.mark.parametrize("phase", PHASES)
def test_signal_leaves_the_project_as_it_was(
    lab: Lab, tmp_path: Path, phase: str, signum: signal.Signals
) -> None:
    project = lab.project(f"signal-{phase.split(':')[1]}-{signum.name}")
    before, state, beside = (
        snapshot(project, skip=(".git",)),
        git_state(project),
        snapshot(project.parent, skip=(project.name,)),
    )
    proc = paused_update(project, phase, tmp_path)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == SIGNALS[signum], out + err
    assert err.strip().splitlines() == [
        f"{'Aborted' if signum == signal.SIGINT else 'Stopped by ' + signum.name}; "
        "the project was left as it was."
    ]
    assert "Traceback" not in err and out == ""
    assert snapshot(project, skip=(".git",)) == before
    assert git_state(project) == state
    assert snapshot(project.parent, skip=(project.name,)) == beside
    assert list(tmp_path.iterdir()) == []  # the scratch copies are gone too
    if phase == PHASES[-1]:  # nothing stale is left: the same update now completes
        assert "v90.0.0 -> v90.2.0" in update(project, "--vcs-ref", "v90.2.0").stdout


def test_update_killed_while_writing_is_undone_by_the_next(
    lab: Lab, tmp_path: Path
) -> None:
    project, reference = lab.project("sigkill"), lab.project("sigkill-reference")
    update(reference, "--vcs-ref", "v90.2.0")
    before = snapshot(project, skip=(".git",))
    proc = paused_update(project, "update:apply", tmp_path)
    proc.kill()  # SIGKILL: no handler runs
    proc.communicate(timeout=60)
    assert snapshot(project, skip=(".git",)) != before  # half written: the case is real
    journal = sh("git", "rev-parse", "--git-path", "stackpick-update-undo", cwd=project)
    assert (project / journal.stdout.strip() / "manifest.json").is_file()
    out = update(project, "--vcs-ref", "v90.2.0").stdout
    assert "  note: an earlier update of" in out
    assert "was killed while writing; 1 file(s) it wrote were put back" in out
    assert snapshot(project, skip=(".git",)) == snapshot(reference, skip=(".git",))
    assert not (project / journal.stdout.strip()).exists()


# -- two updates at once --------------------------------------------------------------
def test_second_update_is_refused_by_the_lock(lab: Lab, tmp_path: Path) -> None:
    project = lab.project("lock")
    before, state = snapshot(project, skip=(".git",)), git_state(project)
    first = paused_update(project, "update:locked", tmp_path)
    second = update(project, "--vcs-ref", "v90.2.0", check=False)
    assert second.returncode == 2, second.stdout + second.stderr
    assert second.stderr.strip().splitlines() == [
        f"stackpick: another stackpick is already writing to the repository of "
        f"{project}; wait for it to finish"
    ]
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=120)
    assert first.returncode == 143
    assert snapshot(project, skip=(".git",)) == before and git_state(project) == state
    lock = sh("git", "rev-parse", "--git-path", "stackpick-update.lock", cwd=project)
    assert (project / lock.stdout.strip()).is_file()  # inside .git, not the work tree


def test_lock_dies_with_a_killed_update(lab: Lab, tmp_path: Path) -> None:
    project = lab.project("killed")
    first = paused_update(project, "update:scratch", tmp_path)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    proc = update(project, "--vcs-ref", "v90.2.0")
    assert "v90.0.0 -> v90.2.0" in proc.stdout


def test_two_updates_racing_one_wins_whole(lab: Lab) -> None:
    project, alone = lab.project("race"), lab.project("race-reference")
    update(alone, "--vcs-ref", "v90.2.0")
    cmd = [sys.executable, "-m", "stackpick", "update", str(project)]
    procs = [
        subprocess.Popen(
            [*cmd, "--vcs-ref", "v90.2.0"],
            cwd=project.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], results
    refused = next(
        err for p, (_, err) in zip(procs, results, strict=True) if p.returncode == 2
    )
    assert len(refused.strip().splitlines()) == 1
    assert "already writing" in refused or "uncommitted changes" in refused
    assert snapshot(project, skip=(".git",)) == snapshot(alone, skip=(".git",))


# -- unknown --data keys --------------------------------------------------------------
@pytest.mark.parametrize("key", ["projct_slug", "zzz_unknown"])
def test_unknown_data_key_gets_the_same_refusal_as_new(
    lab: Lab, tmp_path: Path, key: str
) -> None:
    project = lab.project(f"key-{key}")
    before = snapshot(project, skip=(".git",))
    proc = update(project, "--data", f"{key}=x", check=False)
    made = stackpick("new", tmp_path / "p", "--defaults", "-d", f"{key}=x",
                     cwd=tmp_path, check=False)  # fmt: skip
    assert proc.returncode == made.returncode == 2, proc.stderr
    assert proc.stderr == made.stderr
    assert proc.stderr.count("\n") == 1 and f"unknown key '{key}'" in proc.stderr
    if key == "projct_slug":
        assert "(did you mean 'project_slug'?)" in proc.stderr
    assert snapshot(project, skip=(".git",)) == before


# -- a project inside a larger repository ---------------------------------------------
@pytest.fixture
def monorepo(lab: Lab, tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "mono"
    project = repo / "apps" / "web"
    shutil.copytree(lab.base, project, ignore=shutil.ignore_patterns(".git"))
    (repo / "other").mkdir()
    (repo / "other" / "notes.txt").write_text("committed\n")
    sh("git", "init", "-q", repo, cwd=tmp_path)
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", "monorepo", cwd=repo)
    return repo, project


def test_dirty_file_outside_the_project_does_not_block(
    monorepo: tuple[Path, Path],
) -> None:
    repo, project = monorepo
    (repo / "other" / "notes.txt").write_text("work in progress\n")
    (repo / "other" / "draft.txt").write_text("untracked\n")
    outside = snapshot(repo / "other", skip=(".git",))
    proc = update(project, "--vcs-ref", "v90.2.0")
    assert "v90.0.0 -> v90.2.0" in proc.stdout
    assert snapshot(repo / "other", skip=(".git",)) == outside
    assert (project / "docs" / "notes.md").read_text() == USER_NOTES
    assert (project / "instance" / "settings.py").read_bytes() == USER_SECRET
    status = sh("git", "status", "--porcelain", cwd=repo).stdout.splitlines()
    assert " M other/notes.txt" in status and "?? other/draft.txt" in status


def test_dirty_file_inside_the_project_still_blocks(
    monorepo: tuple[Path, Path],
) -> None:
    repo, project = monorepo
    (project / "README.md").write_text("uncommitted\n")
    before = snapshot(repo, skip=(".git",))
    proc = update(project, "--vcs-ref", "v90.2.0", check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"stackpick: {project} has uncommitted changes (apps/web/README.md): "
        "commit or stash them before updating"
    ]
    assert snapshot(repo, skip=(".git",)) == before
