"""Hostile input and a hostile environment: exit 2 and one line, never 1, never a hang.

Answers and preset files that are FIFOs, devices, huge, nested too deep, alias bombs
or hold a key twice; a `--template` whose copier.yml is not stackpick's; a broken
`.copier-answers.yml`; a working folder deleted under the shell. Then the opposite
side: a project fully written never ends in exit 1 because the terminal cannot show
a character or stdout is closed. And values for hidden keys are refused, wherever
they come from. Everything runs as a real `python -m stackpick` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackpick.cli import _questionnaire
from stackpick.decide.presets import load_preset
from stackpick.decide.questions import STACKPICK_OPTIONS
from support import (
    ROOT,
    assert_one_line,
    clean_env,
    copy_template_folder,
    run_stackpick,
    snapshot,
)

NEW = ["new", "site", "--defaults", "--no-git", "--no-lock"]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def refused(work: Path, args: list[str], *needles: str, **kw) -> None:
    """Exit 2, one line with the needles, and `work` exactly as it was."""
    before = snapshot(work)
    proc = run_stackpick(*args, cwd=work, timeout=60, **kw)
    assert proc.returncode == 2, proc.stderr
    assert_one_line(proc.stderr, *needles)
    assert snapshot(work) == before


# -- answers and preset files ---------------------------------------------------------
def billion_laughs() -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in "bcdefghij":
        previous = chr(ord(level) - 1)
        text += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
    return text


CONTENT = {
    "huge": ("kind: api\n" + "# padding\n" * 200_000, ["larger than 1024 KiB"]),
    "deep": ("kind: " + "[" * 5000 + "]" * 5000 + "\n", ["nested more than"]),
    "alias-bomb": (billion_laughs(), ["aliases expand to more than"]),
    "duplicate-key": (
        "kind: api\nsize: small\nkind: saas\n",
        ["duplicate key 'kind'", "line 3"],
    ),
}


@pytest.mark.parametrize("flag", ["--answers", "--preset"])
@pytest.mark.parametrize("case", list(CONTENT))
def test_bad_file_content(work: Path, flag: str, case: str) -> None:
    text, needles = CONTENT[case]
    if flag == "--preset" and case == "duplicate-key":
        text = "name: T\ndefaults:\n  size: small\n  size: large\n"
        needles = ["duplicate key 'size'"]
    (work / "given.yml").write_text(text)
    refused(work, [*NEW, flag, "given.yml"], *needles)


def test_a_merge_key_is_not_a_duplicate(work: Path) -> None:
    (work / "team.yml").write_text(
        "name: T\ndefaults: &d\n  size: small\npin:\n  <<: *d\n  size: medium\n"
    )
    proc = run_stackpick("recommend", "--json", "--preset", "team.yml", cwd=work)
    assert proc.returncode == 0, proc.stderr
    # The merged key is overridden by the explicit one, as YAML says, not refused.
    preset = load_preset(work / "team.yml", _questionnaire())
    assert preset.pin == {"size": "medium"}
    assert preset.defaults == {"size": "small"}


@pytest.mark.parametrize("how", ["--answers", "--preset", "STACKPICK_PRESET"])
def test_a_fifo_nobody_writes_to_is_refused_at_once(work: Path, how: str) -> None:
    os.mkfifo(work / "pipe.yml")
    if how == "STACKPICK_PRESET":
        env = clean_env(STACKPICK_PRESET=str(work / "pipe.yml"))
        refused(work, NEW, "is a FIFO", env=env)
    else:
        refused(work, [*NEW, how, "pipe.yml"], "is a FIFO")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused(work: Path, device: str) -> None:
    refused(work, [*NEW, "--answers", device], "is a device")


# -- templates ------------------------------------------------------------------------
TEMPLATES = {
    "empty": ("", "empty or not a mapping"),
    "a-list": ("- project_name\n- framework\n", "empty or not a mapping"),
    "invalid": ("project_name: [unclosed\n", "not valid YAML"),
    "not-stackpicks": ("name:\n  type: str\n", "not a stackpick template"),
}


@pytest.mark.parametrize("case", list(TEMPLATES))
def test_a_template_that_is_not_stackpicks(work: Path, case: str) -> None:
    content, needle = TEMPLATES[case]
    template = work / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text(content)
    refused(work, [*NEW, "--template", str(template)], needle)


# -- a project's answers file ---------------------------------------------------------
BROKEN_ANSWERS = {
    "invalid": "_commit: v0.1.0\nproject_name: [oops\n",
    "a-list": "- a\n- b\n",
    "duplicate": "_commit: v0.1.0\nframework: flask\nframework: django\n",
}


@pytest.mark.parametrize("case", list(BROKEN_ANSWERS))
def test_a_broken_copier_answers_file(work: Path, case: str) -> None:
    project = work / "project"
    project.mkdir()
    (project / ".copier-answers.yml").write_text(BROKEN_ANSWERS[case])
    refused(work, [*NEW, "--answers", "project/.copier-answers.yml"], "answers")
    refused(work, ["update", "project"], ".copier-answers.yml")


# -- the environment ------------------------------------------------------------------
def test_a_deleted_working_folder(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = f'cd "{gone}" && rmdir "{gone}" && exec "$0" -m stackpick "$@"'
    proc = subprocess.run(
        ["sh", "-c", script, sys.executable, *NEW],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(PYTHONPATH=os.environ.get("PYTHONPATH", "")),
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert_one_line(proc.stderr, "current folder no longer exists")
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.slow
def test_an_emoji_on_a_terminal_that_cannot_show_it(work: Path) -> None:
    env = clean_env(PYTHONIOENCODING="ascii", LC_ALL="C", LANG="C")
    proc = run_stackpick(
        *NEW, "-d", "project_name=Rocket \U0001f680 Site", cwd=work, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "Rocket" in proc.stdout
    assert "Rocket \U0001f680 Site" in (work / "site" / "README.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["closed", "reader-gone"])
def test_stdout_closed_or_its_reader_gone_ends_quietly(work: Path, how: str) -> None:
    """`stackpick new ... >&-` and `stackpick new ... | head` (head already left)."""
    args = [sys.executable, "-m", "stackpick", *NEW]
    if how == "closed":
        proc = subprocess.Popen(
            ["sh", "-c", '"$0" "$@" >&-', *args],
            cwd=work,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
    else:
        proc = subprocess.Popen(
            args,
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        proc.stdout.close()  # the reader is gone before anything is printed
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err == ""
    assert (work / "site" / ".copier-answers.yml").is_file()


# -- hidden keys ----------------------------------------------------------------------
HIDDEN = [
    q.name
    for q in _questionnaire().questions.values()
    if (q.hidden or q.secret) and q.name not in STACKPICK_OPTIONS
]


def test_the_hidden_keys_are_the_ones_copier_yml_hides() -> None:
    assert {"preset_name", "secret_key", "stackpick_version", "recommendation"} <= set(
        HIDDEN
    )
    assert "lock" not in HIDDEN  # hidden from Copier, but the user's to set


def test_stackpick_options_hidden_from_copier_are_accepted(work: Path) -> None:
    """`lock` is a stackpick option: accepted as an answer, still type-checked."""
    refused(work, [*NEW, "-d", "lock=x"], "lock")
    (work / "answers.yml").write_text(yaml.safe_dump({"lock": "x"}))
    refused(work, [*NEW, "--answers", "answers.yml"], "lock")


@pytest.mark.parametrize("key", HIDDEN)
def test_a_value_for_a_hidden_key_is_refused(work: Path, key: str) -> None:
    refused(work, [*NEW, "-d", f"{key}=x"], f"unknown key '{key}'")
    (work / "answers.yml").write_text(yaml.safe_dump({key: "x"}))
    refused(work, [*NEW, "--answers", "answers.yml"], f"unknown key '{key}'")


def test_vcs_ref_with_the_bundled_template_is_refused(work: Path) -> None:
    refused(work, [*NEW, "--vcs-ref", "v0.1.0"], "--vcs-ref v0.1.0", "--template")


@pytest.mark.slow
@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
def test_a_blank_template_url_counts_as_unset(work: Path, value: str) -> None:
    from stackpick.render.copy import CANONICAL_TEMPLATE_URL

    template = copy_template_folder(ROOT, work.parent / "template")
    env = clean_env(STACKPICK_TEMPLATE_URL=value)
    proc = run_stackpick(*NEW, "--template", str(template), cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    answers = yaml.safe_load((work / "site" / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == CANONICAL_TEMPLATE_URL
