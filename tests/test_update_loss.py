"""Updates, single and fleet, under concurrent editors, signals, SIGKILL and odd trees.

One throwaway clone of this repository is the template: v91.0.0 as it is, v91.1.0
retitles the Flask README and adds a file `handbook`. One Flask project is rendered
from v91.0.0 once; each test copies it (with its .git) as often as it needs, runs the
real command line, and compares whole trees (paths, modes, bytes, ignored files too)
and git's state before and after. What each test proves:

- concurrent editors: a thread appends to the project all through a single and a
  fleet update; every line it wrote is there afterwards, in no commit;
- `status.showUntrackedFiles=no` hides nothing: the untracked token stays, uncommitted;
- a signal at each phase of a fleet run stops the whole run, 128 + N, and the table
  names what each project got; a SIGKILL is followed by a run that finishes the job;
- two projects in one repository, a merge in progress, an unreadable journal, a
  folder where the template adds a file, a committed link, core.autocrlf;
- a SIGKILL during `new --force` loses no replaced file: the next `new` puts it back.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import (
    clean_env,
    clone_template,
    commit_and_tag,
    finish,
    retitle_readme,
    run_stackpick,
    sh,
    snapshot,
    stackpick,
    start_cli,
)

pytestmark = pytest.mark.slow

NEW_TITLE = "# Loss Demo, retitled\n"
TARGET = "v91.1.0"
BRANCH = "team/refresh"
UNTOUCHED = "pyproject.toml"  # a file the update does not change


@dataclass
class Lab:
    work: Path
    base: Path

    def copy(self, where: Path, name: str = "project") -> Path:
        project = where / name
        shutil.copytree(self.base, project, symlinks=True)
        return project

    def fleet(self, where: Path, names: str = "abc") -> list[Path]:
        where.mkdir(parents=True, exist_ok=True)
        return [self.copy(where, name) for name in names]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    work = tmp_path_factory.mktemp("update-loss")
    template = clone_template(work, "v91.0.0")
    retitle_readme(template, "flask", "# {{ project_name }}, retitled\n")
    (template / "template-flask" / "handbook").write_text("The team's handbook.\n")
    commit_and_tag(template, TARGET)
    base = work / "base"
    stackpick(
        "new", base, "--defaults", "-d", "framework=flask",
        "-d", "project_name=Loss Demo", "--template", template, "--vcs-ref", "v91.0.0",
        cwd=work,
    )  # fmt: skip
    return Lab(work, base)


def git_out(project: Path, *args: str) -> str:
    return sh("git", *args, cwd=project).stdout.strip()


def git_state(project: Path) -> tuple[str, str, str, str]:
    """HEAD, the current branch, the index and git's full view of the tree."""
    return (
        git_out(project, "rev-parse", "HEAD"),
        git_out(project, "branch", "--show-current"),
        git_out(project, "ls-files", "-s"),
        git_out(project, "status", "--porcelain", "-uall", "--ignored"),
    )


def start(
    *args: str | Path, cwd: Path, tmp: Path, phase: str, resume: Path | None = None
) -> subprocess.Popen[str]:
    """stackpick paused at `phase` (guard hook), its temporary folder `tmp`."""
    extra = {"STACKPICK_TEST_PAUSE": phase, "TMPDIR": str(tmp)}
    if resume is not None:
        extra["STACKPICK_TEST_RESUME"] = str(resume)
    tmp.mkdir(exist_ok=True)
    proc = start_cli(*map(str, args), cwd=cwd, env=clean_env(**extra))
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if line.strip() != f"stackpick: paused at {phase}":
        out, err = proc.communicate(timeout=60)
        raise AssertionError(f"never paused at {phase}: {line}{err}{out}")
    return proc


def table(out: str) -> dict[str, tuple[str, str]]:
    """The final table: project name -> (result, detail)."""
    rows = {}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) == 6 and cells[0] not in ("project", ""):
            rows[cells[0]] = (cells[1], cells[5])
    return rows


@contextmanager
def writer(files: list[Path]) -> Iterator[list[str]]:
    """A thread appending a numbered line to each of `files` until the block ends."""
    lines: list[str] = []
    stop = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            line = f"concurrent edit {number}\n"
            for path in files:
                with path.open("a") as stream:
                    stream.write(line)
            lines.append(line)
            number += 1
            stop.wait(0.005)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        yield lines
    finally:
        stop.set()
        thread.join()


# -- concurrent editors ----------------------------------------------------------------


def test_single_update_keeps_a_writer_working_all_through(
    lab: Lab, tmp_path: Path
) -> None:
    project = lab.copy(tmp_path)
    before = (project / UNTOUCHED).read_text()
    resume = tmp_path / "resume"
    proc = start(
        "update", project, "--vcs-ref", TARGET,
        cwd=tmp_path, tmp=tmp_path / "tmp", phase="update:scratch", resume=resume,
    )  # fmt: skip
    files = [project / UNTOUCHED, project / "editor.log"]
    with writer(files) as lines:
        resume.touch()
        code, out, err = finish(proc)
    assert code == 0, out + err
    assert (project / "README.md").read_text().startswith(NEW_TITLE)
    assert len(lines) > 10  # it really wrote while the update ran
    assert (project / UNTOUCHED).read_text() == before + "".join(lines)
    assert (project / "editor.log").read_text() == "".join(lines)
    status = git_out(project, "status", "--porcelain", "-uall").splitlines()
    assert f" M {UNTOUCHED}" in status and "?? editor.log" in status
    assert list((tmp_path / "tmp").iterdir()) == []


def test_single_update_stops_for_a_file_saved_before_its_write(
    lab: Lab, tmp_path: Path
) -> None:
    project = lab.copy(tmp_path)
    resume = tmp_path / "resume"
    proc = start(
        "update", project, "--vcs-ref", TARGET,
        cwd=tmp_path, tmp=tmp_path / "tmp", phase="update:checked", resume=resume,
    )  # fmt: skip
    before = snapshot(project, skip=(".git",))
    (project / "README.md").write_text("# saved by the user just now\n")
    resume.touch()
    code, out, err = finish(proc)
    assert code == 2, out + err
    assert "README.md changed while the update ran" in err
    assert (project / "README.md").read_text() == "# saved by the user just now\n"
    after = snapshot(project, skip=(".git",))
    assert after is not None and before is not None
    assert {k: v for k, v in after.items() if k != "README.md"} == {
        k: v for k, v in before.items() if k != "README.md"
    }


def test_fleet_update_keeps_a_writer_out_of_the_commit(
    lab: Lab, tmp_path: Path
) -> None:
    projects = lab.fleet(tmp_path / "fleet", "ab")
    heads = [git_state(p)[0] for p in projects]
    committed = (projects[0] / UNTOUCHED).read_text()
    resume = tmp_path / "resume"
    proc = start(
        "update", *projects, "--branch", BRANCH, "--vcs-ref", TARGET,
        cwd=tmp_path, tmp=tmp_path / "tmp", phase="update:scratch@1", resume=resume,
    )  # fmt: skip
    files = [projects[0] / UNTOUCHED, projects[0] / "README.md", projects[0] / "x.log"]
    with writer(files) as lines:
        resume.touch()
        code, out, err = finish(proc)
    assert code == 0, out + err
    assert [row[0] for row in table(out).values()] == ["updated", "updated"], out
    a = projects[0]
    assert (a / UNTOUCHED).read_text() == committed + "".join(lines)  # all kept
    assert (a / "x.log").read_text() == "".join(lines)
    # The update commit holds the update and nothing of the writer's.
    assert sh("git", "show", f"{BRANCH}:{UNTOUCHED}", cwd=a).stdout == committed
    assert git_out(a, "show", f"{BRANCH}:README.md").startswith(NEW_TITLE.strip())
    assert "concurrent edit" not in git_out(a, "show", f"{BRANCH}:README.md")
    assert git_out(a, "ls-tree", "--name-only", BRANCH, "x.log") == ""
    assert [git_state(p)[0] for p in projects] == heads


# -- status.showUntrackedFiles=no ------------------------------------------------------


def test_show_untracked_files_no_hides_nothing(lab: Lab, tmp_path: Path) -> None:
    projects = lab.fleet(tmp_path / "fleet", "ab")
    a = projects[0]
    sh("git", "config", "status.showUntrackedFiles", "no", cwd=a)
    (a / "token.txt").write_text("TOKEN=only-here\n")
    before = snapshot(a, skip=(".git",))
    single = run_stackpick("update", a, "--vcs-ref", TARGET, cwd=tmp_path)
    assert single.returncode == 2, single.stdout + single.stderr
    assert "has uncommitted changes (token.txt)" in single.stderr
    fleet = run_stackpick("update", *projects, "--branch", BRANCH, cwd=tmp_path)
    assert fleet.returncode == 0, fleet.stdout + fleet.stderr
    rows = table(fleet.stdout)
    assert rows["a"][0] == "skipped" and "uncommitted changes" in rows["a"][1]
    assert rows["b"][0] == "updated"
    assert snapshot(a, skip=(".git",)) == before
    assert git_out(a, "log", "--all", "--format=%H", "--", "token.txt") == ""


# -- signals during a fleet run --------------------------------------------------------

# phase (@N: the N-th project), signal, the projects the run had updated by then
FLEET_STOPS = [
    ("update:locked@1", signal.SIGINT, ""),
    ("update:scratch@2", signal.SIGTERM, "a"),
    ("update:rendered@2", signal.SIGHUP, "a"),
    ("fleet:commit@2", signal.SIGINT, "a"),
    ("fleet:next@2", signal.SIGTERM, "ab"),
]


@pytest.mark.parametrize(("phase", "signum", "done"), FLEET_STOPS)
def test_a_signal_stops_the_whole_fleet_run(
    lab: Lab, tmp_path: Path, phase: str, signum: signal.Signals, done: str
) -> None:
    projects = lab.fleet(tmp_path / "fleet")
    trees = [snapshot(p, skip=(".git",)) for p in projects]
    states = [git_state(p) for p in projects]
    proc = start(
        "update", *projects, "--branch", BRANCH, "--vcs-ref", TARGET,
        cwd=tmp_path, tmp=tmp_path / "tmp", phase=phase,
    )  # fmt: skip
    proc.send_signal(signum)
    code, out, err = finish(proc)
    assert code == 128 + signum, out + err
    stop = "Aborted" if signum == signal.SIGINT else f"Stopped by {signum.name}"
    said = (
        f"updated: {', '.join(done)}; every other project"
        if done
        else ("no project was updated; every project")
    )
    assert err.strip().splitlines()[-1] == f"{stop}; {said} was left as it was."
    assert "Traceback" not in err and "nothing was written" not in err
    rows = table(out)
    assert sorted(rows) == ["a", "b", "c"], out
    for project, tree, state in zip(projects, trees, states, strict=True):
        name = project.name
        updated = name in done
        if updated:
            assert rows[name][0] == "updated", rows[name]
        else:
            assert rows[name][0] in ("stopped", "not run"), rows[name]
            assert "left as it was" in rows[name][1]
        assert snapshot(project, skip=(".git",)) == tree
        assert git_state(project) == state
        has_branch = git_out(project, "branch", "--list", BRANCH) != ""
        assert has_branch is updated, name
    assert list((tmp_path / "tmp").iterdir()) == []  # scratch copies and clones gone


def test_a_sigkilled_fleet_run_is_finished_by_the_next(
    lab: Lab, tmp_path: Path
) -> None:
    projects = lab.fleet(tmp_path / "fleet")
    trees = [snapshot(p, skip=(".git",)) for p in projects]
    states = [git_state(p) for p in projects]
    tmp = tmp_path / "tmp"
    args = ("update", *projects, "--branch", BRANCH, "--vcs-ref", TARGET)
    proc = start(*args, cwd=tmp_path, tmp=tmp, phase="update:rendered@2")
    proc.kill()
    proc.communicate(timeout=60)
    left = [p for p in tmp.iterdir() if p.name.startswith("stackpick-update-")]
    assert len(left) == 1 and list(left[0].rglob(".env"))  # secrets, left by the kill
    lookalike = tmp / "stackpick-update-notours1"  # no marker: never ours to remove
    lookalike.mkdir()
    again = run_stackpick(*args, cwd=tmp_path, env=clean_env(TMPDIR=str(tmp)))
    assert again.returncode == 0, again.stdout + again.stderr
    rows = table(again.stdout)
    assert rows["a"] == ("skipped", f"branch {BRANCH} updated already")
    assert rows["b"][0] == rows["c"][0] == "updated"
    assert sorted(p.name for p in tmp.iterdir()) == [lookalike.name]
    for project, tree, state in zip(projects, trees, states, strict=True):
        assert snapshot(project, skip=(".git",)) == tree
        assert git_state(project) == state
        assert git_out(project, "rev-list", "--count", f"HEAD..{BRANCH}") == "1"


# -- odd repositories ------------------------------------------------------------------


def test_two_projects_in_one_repository_share_the_branch(
    lab: Lab, tmp_path: Path
) -> None:
    repo = tmp_path / "mono"
    for name in ("a", "b"):
        shutil.copytree(lab.base, repo / "apps" / name, ignore=lambda *_: [".git"])
    sh("git", "init", "-q", repo, cwd=tmp_path)
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", "two apps", cwd=repo)
    state = git_state(repo)
    apps = [repo / "apps" / "a", repo / "apps" / "b"]
    proc = run_stackpick("update", *apps, "--branch", BRANCH, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [row[0] for row in table(proc.stdout).values()] == ["updated", "updated"]
    assert git_state(repo) == state
    assert git_out(repo, "rev-list", "--count", f"HEAD..{BRANCH}") == "2"
    changed = git_out(repo, "diff", "--name-only", "HEAD", BRANCH).splitlines()
    assert "apps/a/README.md" in changed and "apps/b/README.md" in changed


def test_a_merge_in_progress_skips_that_project_only(lab: Lab, tmp_path: Path) -> None:
    projects = lab.fleet(tmp_path / "fleet", "ab")
    a = projects[0]
    sh("git", "checkout", "-qb", "side", cwd=a)
    (a / "README.md").write_text("# side\n")
    sh("git", "commit", "-qam", "side", cwd=a)
    sh("git", "checkout", "-q", "-", cwd=a)
    (a / "README.md").write_text("# main\n")
    sh("git", "commit", "-qam", "main", cwd=a)
    assert sh("git", "merge", "-q", "side", cwd=a, check=False).returncode != 0
    before, state = snapshot(a, skip=(".git",)), git_state(a)
    proc = run_stackpick("update", *projects, "--branch", BRANCH, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = table(proc.stdout)
    assert rows["a"][0] == "skipped" and "uncommitted changes" in rows["a"][1]
    assert rows["b"][0] == "updated"
    assert "git switch failed" not in proc.stdout + proc.stderr
    assert snapshot(a, skip=(".git",)) == before and git_state(a) == state
    assert (a / ".git" / "MERGE_HEAD").is_file()  # the user's merge is untouched


def test_odd_trees_update_and_say_what_they_kept(lab: Lab, tmp_path: Path) -> None:
    """One project, four shapes that used to fail: an empty update journal (exit 1
    forever), a committed folder where the template adds a file (exit 1), README as
    a committed link (the template's change dropped with "no conflicts"), and a
    core.autocrlf checkout (a false "changed while the update ran")."""
    project = lab.copy(tmp_path)
    (project / "handbook").mkdir()
    (project / "handbook" / "page.md").write_text("our own handbook\n")
    (project / "README.md").rename(project / "docs" / "readme.md")
    (project / "README.md").symlink_to("docs/readme.md")
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", "handbook folder, README link", cwd=project)
    sh("git", "config", "core.autocrlf", "true", cwd=project)
    sh("git", "rm", "-q", "--cached", "-r", ".", cwd=project)
    sh("git", "reset", "-q", "--hard", cwd=project)  # the test's own checkout, in CRLF
    assert b"\r\n" in (project / ".copier-answers.yml").read_bytes()
    journal = project / ".git" / "stackpick-update-undo"
    journal.mkdir()
    (journal / "manifest.json").write_text("")
    proc = run_stackpick("update", project, "--vcs-ref", TARGET, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "note: an unreadable update journal" in out and "moved aside" in out
    assert "handbook: your folder handbook/ is where the template now has a file" in out
    assert (project / "handbook" / "page.md").read_text() == "our own handbook\n"
    assert "README.md: your link (to docs/readme.md) was kept" in out
    assert "no conflicts" not in out
    assert (project / "README.md").is_symlink()
    assert "_commit: v91.1.0" in (project / ".copier-answers.yml").read_text()
    assert not journal.exists()


# -- a SIGKILL during `new --force` ----------------------------------------------------


def test_a_killed_force_merge_gives_the_readme_back(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "site").mkdir(parents=True)
    (work / "site" / "README.md").write_text("the user's only readme\n")
    proc = start(
        "new", "site", "--defaults", "--no-git", "--force",
        cwd=work, tmp=tmp_path / "tmp", phase="merge",
    )  # fmt: skip
    assert not (work / "site" / "README.md").read_text().startswith("the user's")
    proc.kill()
    proc.communicate(timeout=60)
    other = run_stackpick("new", "other", "--defaults", "--no-git", cwd=work)
    assert other.returncode == 0, other.stderr
    assert (work / "site" / "README.md").read_text() == "the user's only readme\n"
    assert "put back your README.md" in other.stdout
    assert (work / "site" / "README.md.stackpick-template").is_file()
    assert not [p for p in work.iterdir() if ".stackpick-" in p.name]
    assert os.path.isdir(work / "other")
