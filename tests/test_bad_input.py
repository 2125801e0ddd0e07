"""Bad input to `stackpick new`: exit 2, one or two readable lines, nothing written.

Every refusal snapshots the whole working folder (paths, bytes, modes, links) before
and after: the destination must stay absent, or an existing one byte-for-byte
unchanged, and no temporary folder may be left beside it. The big tables run the real
`main()` in process (fast); a sample of each table also runs `python -m stackpick` as a
subprocess, and the cases about processes (stdin, unprivileged user, tracebacks) only
run that way.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackpick.cli import main
from support import clean_env, run_stackpick, snapshot, unavailable


def assert_one_readable_error(code: int, err: str, *needles: str, exit_code=2) -> None:
    assert code == exit_code, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder for in-process runs, with no preset from the environment."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("STACKPICK_PRESET", raising=False)
    return folder


def refused_in_process(
    work: Path, capsys: pytest.CaptureFixture[str], args: list[str], *needles: str
) -> str:
    """Run main(args) in `work`; assert exit 2, one line, and nothing written."""
    before = snapshot(work)
    code = main(args)
    _, err = capsys.readouterr()
    assert_one_readable_error(code, err, *needles)
    assert snapshot(work) == before
    return err


def refused_subprocess(work: Path, args: list[str], *needles: str, **kw) -> str:
    before = snapshot(work)
    proc = run_stackpick(*args, cwd=work, **kw)
    assert_one_readable_error(proc.returncode, proc.stderr, *needles)
    assert snapshot(work) == before
    return proc.stderr


NEW = ["new", "site", "--defaults", "--no-git", "--no-lock"]


# -- the destination ------------------------------------------------------------------
def test_destination_argument_missing(work: Path) -> None:
    refused_subprocess(work, ["new", "--defaults"], "required", "DEST")


@pytest.mark.parametrize("dest", ["", "   "], ids=["empty", "blank"])
def test_destination_empty(work: Path, capsys, dest: str) -> None:
    refused_in_process(work, capsys, ["new", dest, "--defaults"], "empty")
    refused_subprocess(work, ["new", dest, "--defaults"], "empty")


def test_destination_non_empty_folder(work: Path, capsys) -> None:
    site = work / "site"
    site.mkdir(mode=0o750)
    (site / "notes.txt").write_text("mine\n")
    (site / "sub").mkdir()
    (site / "sub" / "script.sh").write_text("#!/bin/sh\n")
    (site / "sub" / "script.sh").chmod(0o754)
    refused_in_process(work, capsys, NEW, "not empty", "--force")
    refused_subprocess(work, NEW, "not empty", "--force")


def test_destination_is_a_file(work: Path, capsys) -> None:
    (work / "site").write_bytes(b"not a folder\x00\xff")
    refused_in_process(work, capsys, NEW, "is a file")


def test_destination_below_a_file(work: Path, capsys) -> None:
    (work / "plain").write_text("a file\n")
    args = ["new", "plain/site", "--defaults", "--no-git"]
    refused_in_process(work, capsys, args, "is a file, not a folder")


def test_destination_is_a_broken_link(work: Path, capsys) -> None:
    (work / "site").symlink_to(work / "nowhere")
    refused_in_process(work, capsys, NEW, "broken symbolic link")


def test_force_refuses_a_file_where_the_project_has_a_folder(work: Path) -> None:
    """The clash is found after rendering; the folder is still left as it was."""
    site = work / "site"
    site.mkdir()
    (site / "docs").write_text("a file named like the project's docs/ folder\n")
    (site / "keep.txt").write_text("mine\n")
    refused_subprocess(work, [*NEW, "--force"], "docs", "folder")


def test_force_keeps_user_files_and_replaces_same_named_ones(work: Path) -> None:
    site = work / "site"
    site.mkdir()
    (site / "README.md").write_text("the user's readme\n")
    (site / "keep.txt").write_text("the user's own file\n")
    (site / "keep.txt").chmod(0o600)
    (site / "data").mkdir()
    (site / "data" / "rows.csv").write_bytes(b"a,b\n1,2\n")
    (site / "docs").mkdir()
    (site / "docs" / "mine.md").write_text("my notes\n")
    outside = work / "outside.txt"
    outside.write_text("outside\n")
    (site / ".gitignore").symlink_to(outside)  # a link the project would replace
    before = snapshot(site)
    assert before is not None

    proc = run_stackpick(*NEW, "--force", "-d", "project_name=Forced", cwd=work)
    assert proc.returncode == 0, proc.stderr
    after = snapshot(site)
    assert after is not None
    for rel in (".", "keep.txt", "data", "data/rows.csv", "docs/mine.md"):
        assert after[rel] == before[rel], rel  # untouched, mode included
    assert (site / "README.md").read_text().startswith("# Forced")
    assert (site / ".copier-answers.yml").is_file()
    assert (site / "docs/decisions/0001-web-framework.md").is_file()
    # The link was replaced by the project's file, never written through.
    assert not (site / ".gitignore").is_symlink()
    assert outside.read_text() == "outside\n"
    assert not list(work.glob(".site.stackpick-*"))


# -- a folder the user cannot write to ----------------------------------------------
def _nobody() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        unavailable("nobody", "running as root and there is no 'nobody' user")


def run_unprivileged(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the real CLI as an unprivileged user; (exit code, stderr).

    Not root: a plain subprocess, permissions apply. Root ignores permissions, so the
    command runs in a forked child that has dropped to 'nobody' (like `setpriv`) before
    calling main(); the interpreter itself lives under /root, which nobody cannot
    read, so the modules are imported before the fork.
    """
    if os.geteuid() != 0:
        proc = run_stackpick(*args, cwd=cwd)
        return proc.returncode, proc.stderr
    user = _nobody()
    import stackpick.decide.answers
    import stackpick.render.copy
    import stackpick.report  # noqa: F401

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            os.chdir(cwd)
            sys.stdout = sys.stderr = open(write_end, "w")  # noqa: SIM115
            code = main(args)
            sys.stderr.flush()
        finally:
            os._exit(code)
    os.close(write_end)
    with open(read_end) as stream:
        err = stream.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder outside pytest's private temp tree: 'nobody' may enter, not write."""
    folder = Path(tempfile.mkdtemp(prefix="stackpick-readonly-"))
    folder.chmod(0o755 if os.geteuid() == 0 else 0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def test_unwritable_parent_folder(shared_folder: Path) -> None:
    before = snapshot(shared_folder)
    for dest in ("site", "deeper/still/site"):
        code, err = run_unprivileged(
            ["new", str(shared_folder / dest), "--defaults", "--no-git"],
            shared_folder,
        )
        assert_one_readable_error(code, err, "cannot write to", "permission denied")
        assert snapshot(shared_folder) == before


def test_unwritable_existing_destination_with_force(shared_folder: Path) -> None:
    """The parent is writable, the (empty) destination is not."""
    if os.geteuid() == 0:
        shared_folder.chmod(0o777)
    else:
        shared_folder.chmod(0o755)
    site = shared_folder / "site"
    site.mkdir()
    site.chmod(0o555)
    before = snapshot(shared_folder)
    code, err = run_unprivileged(
        ["new", str(site), "--defaults", "--no-git", "--force"], shared_folder
    )
    site.chmod(0o755)
    assert_one_readable_error(code, err, f"cannot write to {site}", "permission")
    before[os.path.relpath(site, shared_folder)] = (0o755, "dir", None)
    assert snapshot(shared_folder) == before


# -- project_slug ---------------------------------------------------------------------
BAD_SLUGS = [
    ("class", "Python keyword"),
    ("match", "Python keyword"),  # a soft keyword
    ("async", "Python keyword"),
    ("test", "clashes"),
    ("tests", "clashes"),
    ("json", "standard-library"),
    ("graphlib", "standard-library"),  # known to Python, not in copier.yml's list
    ("flask", "shadow"),
    ("django", "shadow"),
    ("rest_framework", "shadow"),
    ("sqlalchemy", "shadow"),
    ("gunicorn", "shadow"),
    ("my-site", "not a valid package name"),
    ("1site", "not a valid package name"),
    ("_site", "not a valid package name"),
    ("My_Site", "not a valid package name"),
    ("café", "not a valid package name"),
    ("\uff53\uff49\uff54\uff45", "not a valid package name"),  # fullwidth "site"
    ("a/b", "not a valid package name"),
    ("a\\b", "not a valid package name"),
    ("..", "not a valid package name"),
    ("../escape", "not a valid package name"),
    ("/etc", "not a valid package name"),
    ("my site", "not a valid package name"),
    ("a" * 33, "at most 32 characters"),
    ("", "not a valid package name"),
]


@pytest.mark.parametrize(("slug", "message"), BAD_SLUGS)
def test_bad_project_slug(work: Path, capsys, slug: str, message: str) -> None:
    err = refused_in_process(
        work, capsys, [*NEW, "-d", f"project_slug={slug}"], "project_slug", message
    )
    assert err.startswith("stackpick: --data: project_slug:")


def test_longest_slug_is_fine_and_one_more_is_not(capsys) -> None:
    assert main(["recommend", "--json", "-d", f"project_slug={'a' * 32}"]) == 0
    assert main(["recommend", "--json", "-d", f"project_slug={'a' * 33}"]) == 2


@pytest.mark.parametrize("name", ["Test", "Flask", "Class", "JSON"])
def test_a_name_whose_derived_slug_is_reserved(work: Path, capsys, name: str) -> None:
    err = refused_in_process(work, capsys, [*NEW, "-d", f"project_name={name}"])
    assert "derived" in err and "project_slug" in err


@pytest.mark.parametrize(
    ("slug", "message"), [BAD_SLUGS[0], BAD_SLUGS[7], BAD_SLUGS[18]]
)
def test_bad_project_slug_subprocess(work: Path, slug: str, message: str) -> None:
    refused_subprocess(work, [*NEW, "-d", f"project_slug={slug}"], message)


# -- project_name and description ---------------------------------------------------
BAD_TEXT = [
    ("project_name", "", "Give the project a name"),
    ("project_name", "   ", "Give the project a name"),
    ("project_name", "two\nlines", "one line"),
    ("project_name", "carriage\rreturn", "one line"),
    ("project_name", "x" * 81, "keep it to 80"),
    ("project_name", "nul\x00byte", "Control characters"),
    ("project_name", "esc\x1b[31mred", "Control characters"),
    ("description", "two\nlines", "one line"),
    ("description", "d" * 201, "200 characters"),
]


@pytest.mark.parametrize(("key", "value", "message"), BAD_TEXT)
def test_bad_text_answers(
    work: Path, capsys, key: str, value: str, message: str
) -> None:
    answers = work / "answers.yml"
    import yaml

    answers.write_text(yaml.safe_dump({key: value, "project_slug": "acme_site"}))
    refused_in_process(work, capsys, [*NEW, "--answers", "answers.yml"], key, message)
    if "\x00" not in value:  # argv cannot carry NUL
        refused_in_process(
            work, capsys, [*NEW, "-d", "project_slug=acme_site", "-d", f"{key}={value}"]
        )


def test_bad_project_name_subprocess(work: Path) -> None:
    refused_subprocess(work, [*NEW, "-d", "project_name="], "Give the project a name")
    refused_subprocess(work, [*NEW, "-d", f"project_name={'x' * 81}"], "80")


# -- answers and preset files -------------------------------------------------------
# (file content or a marker, needles in the message). Content is given as answers; for
# a preset it goes under `defaults:` unless it is about the file as a whole.
FILE_CASES = {
    "missing": (None, ["not found"]),
    "folder": ("<folder>", ["is a folder"]),
    "invalid-yaml-flow": ("kind: [website\nsize: small\n", ["invalid YAML at line"]),
    "invalid-yaml-indent": (
        "kind: website\n  size: x: y\n",
        ["invalid YAML at line 2, column 7"],
    ),
    "tab-indent": ("kind:\n\t- website\n", ["invalid YAML at line 2"]),
    "not-utf8": (b"kind: w\xe9bsite\n", ["cannot read", "utf-8"]),
    "a-list": ("- kind\n- size\n", ["must hold a mapping", "list"]),
    "a-string": ("just some words\n", ["must hold a mapping", "str"]),
    "a-number": ("42\n", ["must hold a mapping", "int"]),
    "unknown-key": ("knd: saas\n", ["unknown key 'knd'", "did you mean 'kind'"]),
    "unknown-key-2": ("team-size: 3\n", ["did you mean 'team_size'"]),
    "number-key": ("1: x\n", ["unknown key '1'"]),
    "secret-key": ("secret_key: hunter2\n", ["unknown key 'secret_key'"]),
    "int-as-text": ("team_size: many\n", ["team_size", "whole number"]),
    "int-as-float": ("team_size: 2.5\n", ["team_size", "whole number"]),
    "int-as-bool": ("team_size: true\n", ["team_size", "whole number"]),
    "bool-as-text": ("needs_api: maybe\n", ["needs_api", "true or false"]),
    "bool-as-list": ("needs_auth: [yes]\n", ["needs_auth", "true or false"]),
    "text-as-list": ("project_name: [a, b]\n", ["project_name", "must be text"]),
    "text-as-mapping": ("description: {a: 1}\n", ["description", "must be text"]),
    "team-size-0": ("team_size: 0\n", ["team_size", "at least one developer"]),
    "team-size-negative": ("team_size: -4\n", ["at least one developer"]),
    "team-size-huge": ("team_size: 10001\n", ["out of range"]),
    "kind-not-a-choice": ("kind: blog\n", ["kind", "'blog' is not one of"]),
    "choice-close": ("data: relationl\n", ["did you mean 'relational'"]),
    "framework-not-a-choice": ("framework: rails\n", ["'rails' is not one of"]),
    "database-case": ("database: PostgreSQL\n", ["did you mean 'postgresql'"]),
}
WHOLE_FILE = {
    "invalid-yaml-indent",
    "missing",
    "folder",
    "not-utf8",
    "a-list",
    "a-string",
    "a-number",
    "invalid-yaml-flow",
    "tab-indent",
}


def write_case(path: Path, content: str | bytes | None, as_preset: bool) -> None:
    if content is None:
        return
    if content == "<folder>":
        path.mkdir()
        return
    if isinstance(content, bytes):
        path.write_bytes(content)
        return
    if as_preset and case_of(content) not in WHOLE_FILE:
        indented = "".join(f"  {line}\n" for line in content.splitlines())
        content = "name: T\ndefaults:\n" + indented
    path.write_text(content)


def case_of(content: str) -> str:
    return next(name for name, (text, _) in FILE_CASES.items() if text == content)


@pytest.mark.parametrize("flag", ["--answers", "--preset"])
@pytest.mark.parametrize("case", list(FILE_CASES))
def test_bad_answers_and_preset_files(work: Path, capsys, flag: str, case: str) -> None:
    content, needles = FILE_CASES[case]
    path = work / "given.yml"
    write_case(path, content, as_preset=flag == "--preset")
    if flag == "--preset" and case not in WHOLE_FILE:
        needles = [*needles, "preset"]
    refused_in_process(work, capsys, [*NEW, flag, "given.yml"], *needles)


@pytest.mark.parametrize("case", ["invalid-yaml-indent", "unknown-key", "team-size-0"])
def test_bad_answers_file_subprocess(work: Path, case: str) -> None:
    content, needles = FILE_CASES[case]
    write_case(work / "given.yml", content, as_preset=False)
    refused_subprocess(work, [*NEW, "--answers", "given.yml"], *needles)


PRESET_ONLY = {
    "unknown-top-key": ("nme: T\n", ["unknown key 'nme'", "did you mean 'name'"]),
    "pin-not-mapping": ("pin: [framework]\n", ["'pin' must be a mapping"]),
    "defaults-not-mapping": ("defaults: 3\n", ["'defaults' must be a mapping"]),
    "forbid-not-mapping": ("forbid: [sqlite]\n", ["'forbid' must map"]),
    "forbid-reasons": ("forbid:\n  database: sqlite\n", ["refused value"]),
    "forbid-unknown-value": (
        "forbid:\n  database:\n    mysql: no\n",
        ["'mysql' is not one of"],
    ),
    "pinned-and-forbidden": (
        "pin:\n  database: sqlite\nforbid:\n  database:\n    sqlite: no\n",
        ["both pinned and forbidden"],
    ),
    "name-two-lines": ("name: |\n  a\n  b\n", ["name must be one line"]),
    "name-not-text": ("name: [a]\n", ["name must be one line"]),
    "pin-team-size-0": ("pin:\n  team_size: 0\n", ["at least one developer"]),
}


@pytest.mark.parametrize("case", list(PRESET_ONLY))
def test_bad_preset_structure(work: Path, capsys, case: str) -> None:
    content, needles = PRESET_ONLY[case]
    (work / "team.yml").write_text(content)
    refused_in_process(work, capsys, [*NEW, "--preset", "team.yml"], *needles)


def test_data_contradicting_a_pin(work: Path, capsys) -> None:
    (work / "team.yml").write_text("name: T\npin:\n  framework: django\n")
    refused_in_process(
        work,
        capsys,
        [*NEW, "--preset", "team.yml", "-d", "framework=flask"],
        "contradicts preset 'T'",
    )


def test_forbidden_value(work: Path, capsys) -> None:
    (work / "team.yml").write_text(
        "name: T\nforbid:\n  database:\n    sqlite: Use PostgreSQL.\n"
    )
    refused_in_process(
        work, capsys, [*NEW, "--preset", "team.yml"], "forbids database=sqlite"
    )


def test_preset_from_the_environment_missing(work: Path) -> None:
    env = clean_env(STACKPICK_PRESET=str(work / "gone.yml"))
    refused_subprocess(work, NEW, "preset file not found", env=env)


def test_invalid_yaml_message_points_at_the_spot(work: Path, capsys) -> None:
    (work / "given.yml").write_text("kind: website\nsize: small\nteam_size: [1\n")
    err = refused_in_process(work, capsys, [*NEW, "--answers", "given.yml"])
    where = re.search(r"line (\d+), column (\d+)", err)
    assert where, err
    assert int(where.group(1)) >= 3


# -- options --------------------------------------------------------------------------
BAD_OPTIONS = {
    "data-without-equals": (["-d", "kind"], ["expected KEY=VALUE"]),
    "data-without-key": (["-d", "=saas"], ["expected KEY=VALUE"]),
    "data-unknown-key": (["-d", "knd=saas"], ["unknown key 'knd'", "'kind'"]),
    "data-secret": (["-d", "secret_key=x"], ["unknown key 'secret_key'"]),
    "data-not-a-choice": (["-d", "size=huge"], ["'huge' is not one of"]),
    "data-int": (["-d", "team_size=0"], ["at least one developer"]),
    "data-int-text": (["-d", "team_size=ten"], ["whole number"]),
    "data-bool": (["-d", "needs_api=perhaps"], ["true or false"]),
    "unknown-option": (["--frobnicate"], ["unrecognized arguments: --frobnicate"]),
    "flag-with-value": (["--force=yes"], ["ignored explicit argument 'yes'"]),
    "option-missing-value": (["--vcs-ref"], ["expected one argument"]),
    "template-missing": (["--template", "/nonexistent/tpl"], ["no such folder"]),
    "template-no-copier-yml": (["--template", "."], ["no copier.yml"]),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_bad_options(work: Path, capsys, case: str) -> None:
    args, needles = BAD_OPTIONS[case]
    refused_in_process(work, capsys, [*NEW, *args], *needles)


def test_unknown_command_and_option(work: Path) -> None:
    refused_subprocess(work, ["frobnicate"], "invalid choice")
    refused_subprocess(work, [*NEW, "--frobnicate"], "unrecognized arguments")


def test_vcs_ref_that_does_not_exist(work: Path) -> None:
    """Found only when copier checks the template out: after the answers."""
    refused_subprocess(work, [*NEW, "--vcs-ref", "v999.0.0-nope"], "v999.0.0-nope")


def test_template_url_that_does_not_exist(work: Path) -> None:
    url = f"file://{work}/no-such-repo.git"
    before = snapshot(work)
    proc = run_stackpick(*NEW, "--template", url, cwd=work)
    assert_one_readable_error(proc.returncode, proc.stderr, "no-such-repo")
    assert snapshot(work) == before


# -- no terminal ----------------------------------------------------------------------
def test_no_terminal_fails_at_once_listing_what_is_missing(work: Path) -> None:
    """stdin is a pipe nobody writes to or closes: a prompt would hang on it."""
    before = snapshot(work)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stackpick", "new", "site", "-d", "kind=api"],
        cwd=work,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        code = proc.wait(timeout=30)  # stdin is still open and empty here
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("stackpick waited on stdin instead of failing at once")
    _, err = proc.communicate()
    assert time.monotonic() - started < 30
    assert_one_readable_error(code, err, "no terminal", "missing", "--defaults")
    missing = err.split("missing:", 1)[1]
    for name in ("project_name", "size", "team_size", "database"):
        assert name in missing
    assert "kind" not in missing.split("(")[0]  # given with --data
    assert "framework" not in missing  # derived from the recommendation
    assert snapshot(work) == before


# -- unexpected errors ----------------------------------------------------------------
BOOM = """
import sys
import stackpick.decide.engine
def boom(*args, **kwargs):
    raise ZeroDivisionError("a bug")
stackpick.decide.engine.recommend = boom
import stackpick.decide.answers
stackpick.decide.answers.recommend = boom
from stackpick.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_internal_error_is_one_line_and_a_traceback_with_debug(work: Path) -> None:
    args = [sys.executable, "-c", BOOM, "recommend", "-d", "kind=api"]
    proc = subprocess.run(
        args, cwd=work, capture_output=True, text=True, timeout=60, env=clean_env()
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "internal error: ZeroDivisionError: a bug" in lines[0]
    assert "--debug" in lines[0] and "Traceback" not in proc.stderr

    proc = subprocess.run(
        [*args, "--debug"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert "ZeroDivisionError: a bug" in proc.stderr


# -- text answers are data ------------------------------------------------------------
PAYLOADS = [
    "Acme {{ 7*7 }}",
    "Acme {% raw %}{{ 7*7 }}{% endraw %}",
    "Acme {{ cycler.__init__.__globals__ }}",
]


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_template_code_in_answers_stays_text(work: Path, framework: str) -> None:
    name = PAYLOADS[0]
    proc = run_stackpick(
        *NEW,
        "-d",
        f"framework={framework}",
        "-d",
        f"project_name={name}",
        "-d",
        "project_slug=acme",
        "-d",
        "description=Made by {{ 6*7 }} people.",
        cwd=work,
    )
    assert proc.returncode == 0, proc.stderr
    site = work / "site"
    for rel in ("README.md", "docs/decisions/0001-web-framework.md"):
        text = (site / rel).read_text()
        assert name in text, rel
        assert "49" not in text and "42 people" not in text, rel
    assert "Made by {{ 6*7 }} people." in (site / "README.md").read_text()


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_quotes_and_jinja_in_the_name_still_give_valid_python(
    work: Path, framework: str
) -> None:
    import tomllib

    name = 'It\'s "quoted" \\ {% endraw %} {{ x }} </script>'
    proc = run_stackpick(
        *NEW,
        "-d",
        f"framework={framework}",
        "-d",
        f"project_name={name}",
        "-d",
        "project_slug=quoted",
        cwd=work,
    )
    assert proc.returncode == 0, proc.stderr
    site = work / "site"
    for source in site.rglob("*.py"):
        compile(source.read_text(), str(source), "exec")  # a SyntaxError fails
    tomllib.loads((site / "pyproject.toml").read_text())
    assert name in (site / "README.md").read_text()


@pytest.mark.parametrize("payload", PAYLOADS[1:])
def test_more_template_code_is_data(work: Path, capsys, payload: str) -> None:
    """In process (faster): the answers reach Copier as data, never as a template."""
    code = main([*NEW, "-d", f"project_name={payload}", "-d", "project_slug=acme"])
    assert code == 0, capsys.readouterr().err
    readme = (work / "site" / "README.md").read_text()
    assert payload in readme
    assert "<function" not in readme and "{'" not in readme
