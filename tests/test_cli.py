"""The CLI in-process and as a subprocess: exit codes, --json schema, non-TTY use."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackpick.cli import main
from stackpick.decide.rules import load_rules
from support import run_stackpick


def cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    return run_stackpick(*args, cwd=cwd, timeout=120, env={**os.environ, **(env or {})})


def test_recommend_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommend", "--json", "-d", "kind=ml_service"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {
        "framework",
        "scores",
        "margin",
        "close_call",
        "reasons",
        "notes",
        "extensions",
        "rules_framework",
    } <= set(data)
    assert set(data["scores"]) == {"flask", "django"}
    assert data["framework"] in ("flask", "django")
    for reason in data["reasons"]:
        assert set(reason) >= {"rule", "framework", "points", "sources", "why"}
    assert "consider_fastapi" in {n["id"] for n in data["notes"]}
    assert data["margin"] == abs(data["scores"]["flask"] - data["scores"]["django"])


def test_recommend_subprocess_prints_exactly_one_json_object() -> None:
    proc = cli("recommend", "--json", "-d", "data=document", "-d", "needs_auth=no")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # the whole stdout is one object
    assert data["framework"] == "flask"


def test_recommend_human_output_names_reasons_and_sources() -> None:
    proc = cli("recommend", "-d", "size=large", "-d", "team_size=8")
    assert proc.returncode == 0, proc.stderr
    assert "Recommendation: Django" in proc.stdout
    assert "S4" in proc.stdout and "Lycore" in proc.stdout
    assert "margin" in proc.stdout


def test_recommend_reads_an_answers_file(tmp_path: Path, capsys) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(
        yaml.safe_dump(
            {"kind": "microservice", "needs_auth": False, "html_pages": False}
        )
    )
    assert main(["recommend", "--json", "--answers", str(answers)]) == 0
    assert json.loads(capsys.readouterr().out)["framework"] == "flask"


def test_data_beats_answers_file(tmp_path: Path, capsys) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("size: large\nteam_size: 9\n")
    assert (
        main(["recommend", "--json", "--answers", str(answers), "-d", "size=small"])
        == 0
    )
    rules = {r["rule"] for r in json.loads(capsys.readouterr().out)["reasons"]}
    assert "small_project" in rules and "large_project" not in rules


def test_rules_json_lists_every_rule_with_sources(capsys) -> None:
    assert main(["rules", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rules"]) == len(load_rules().rules) >= 25
    assert set(data["sources"]) == {"S1", "S2", "S3", "S4", "S5"}


def test_rules_table(capsys) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "large_project" in out and "S5:" in out


def test_help_and_version() -> None:
    assert cli("--help").returncode == 0
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("stackpick ")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["recommend", "--json"],
        ["rules"],
    ],
)
def test_fast_commands_do_not_import_copier(args: list[str]) -> None:
    code = (
        "import sys, contextlib, io\n"
        "from stackpick.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({args!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('copier', 'questionary', 'plumbum')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_no_terminal_and_missing_answers_fails_at_once(tmp_path: Path) -> None:
    proc = cli("new", str(tmp_path / "site"))
    assert proc.returncode == 2
    assert "missing" in proc.stderr and "kind" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "site").exists()


def test_no_terminal_with_every_answer_needs_no_defaults(tmp_path: Path) -> None:
    from factors import defaults

    answers = tmp_path / "answers.yml"
    answers.write_text(
        yaml.safe_dump({**defaults(), "project_name": "Full", "description": "Demo."})
    )
    proc = cli(
        "new",
        str(tmp_path / "full"),
        "--answers",
        str(answers),
        "--no-git",
        "-d",
        "framework=flask",
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "full" / ".copier-answers.yml").is_file()


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_new_with_defaults_renders_and_prints_next_steps(
    tmp_path: Path, framework: str
) -> None:
    dest = tmp_path / "my-site"
    proc = cli("new", str(dest), "--defaults", "-d", f"framework={framework}")
    assert proc.returncode == 0, proc.stderr
    assert "Next:" in proc.stdout and f"cd {dest}" in proc.stdout
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["framework"] == framework
    # The template path is recorded absolute, so `copier update` works later.
    assert Path(answers["_src_path"]).is_absolute()
    assert "secret_key" not in answers and "recommendation" not in answers
    record = (dest / "docs/decisions/0001-web-framework.md").read_text()
    assert f"We use **{framework.capitalize()}**" in record


def test_unknown_command_is_a_usage_error() -> None:
    proc = cli("frobnicate")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") <= 2 and "Traceback" not in proc.stderr


def test_no_command_prints_help_and_exits_2() -> None:
    proc = cli()
    assert proc.returncode == 2 and "recommend" in proc.stdout


def test_rules_show_conditions_in_words_within_80_columns(capsys) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in out.splitlines())
    lines = out.splitlines()
    for rule in load_rules().rules:  # every id whole, at the start of its own line
        assert any(line.startswith(f"{rule.id}  ") for line in lines), rule.id
    assert (
        "when  kind is microservice; or kind is internal_tool and needs_admin is no"
        in out
    )
    assert "team_size is at least 4" in out
    assert "Do not switch (familiarity)" in out and "Refused combinations" in out
    assert 'S4: Lycore, "Flask vs Django' in out and "(2026)" in out


def test_rules_json_includes_conditions_and_source_details(capsys) -> None:
    assert main(["rules", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    large = next(r for r in data["rules"] if r["id"] == "large_project")
    assert large["when"] == [{"size": ["large"]}]
    assert large["condition"] == "size is large"
    assert data["source_details"]["S4"] == {
        "title": (
            "Flask vs Django: philosophy, performance, APIs, teams, use cases, FAQ"
        ),
        "publisher": "Lycore",
        "year": 2026,
        "citation": data["sources"]["S4"],
    }
    assert data["familiarity"]["min_strong"] == 2
    ids = {c["id"] for c in data["compatibility"]}
    assert ids == {
        "django_document_data",
        "api_only_without_api",
        "database_without_sql",
    }
    assert set(data["defaults"]["kinds"]) >= {"microservice", "saas", "learning"}


def test_recommend_json_shows_familiarity_and_ruled_out(capsys) -> None:
    # A Django-shaped website, said in so many words (filled-in answers do not vote).
    shape = ["kind=website", "needs_auth=true", "data=relational", "lifetime=long"]
    argv = [arg for pair in shape for arg in ("-d", pair)]
    assert main(["recommend", "--json", "-d", "familiar_with=flask", *argv]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (
        data["framework"] == "flask"
        and data["scores"]["django"] > data["scores"]["flask"]
    )
    assert data["familiarity"]["kept"] is True
    assert data["familiarity"]["text"].startswith(
        "Your team knows Flask, so Flask stays"
    )
    assert main(["recommend", "--json", "-d", "kind=saas", "-d", "data=document",
                 "-d", "size=large", "-d", "team_size=9"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["framework"] == "flask"
    assert data["ruled_out"]["rule"] == "django_document_data"


def test_a_refused_combination_is_one_line_naming_both_answers(tmp_path: Path) -> None:
    proc = cli("new", str(tmp_path / "s"), "--defaults",
               "-d", "framework=django", "-d", "data=document")  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "framework=django with data=document" in proc.stderr
    assert not (tmp_path / "s").exists()


RECOMMEND_UNUSED = [
    *("importlib.metadata", "rich", "yaml", "jinja2", "dataclasses", "inspect"),
    *("signal", "threading", "stackpick.gitsafe", "textwrap"),
]


@pytest.mark.parametrize(
    ("args", "unused"),
    [
        (["--help"], ["importlib.metadata", "jinja2", "pathlib", "rich", "yaml"]),
        # copier.yml and the rules from their JSON snapshot, its plain expressions
        # evaluated without Jinja (decide/snapshot.py, decide/expressions.py); the
        # rules and results are NamedTuples, not dataclasses (which load inspect);
        # without a preset no git runs, so none of git's guards (signal, threading).
        (["recommend", "--json"], RECOMMEND_UNUSED),
        (
            ["recommend", "--json", "-d", "kind=api", "-d", "needs_auth=true"],
            RECOMMEND_UNUSED,
        ),
    ],
)
def test_a_cold_start_imports_only_what_the_command_uses(
    tmp_path: Path, args: list[str], unused: list[str]
) -> None:
    """The start-up promise, checked by what is imported (no wall-clock threshold),
    on a first run with an empty cache folder: lazy imports, no on-disk caches."""
    code = (
        "import sys, contextlib, io\n"
        "from stackpick.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({args!r})\n"
        f"print(sorted(m for m in {unused!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    assert not (tmp_path / "cache").exists()  # nothing kept between runs


@pytest.mark.parametrize("with_preset", [False, True])
def test_git_guards_are_set_when_a_recommendation_may_run_git(
    tmp_path: Path, with_preset: bool
) -> None:
    """A team preset may live in a git repository, so `recommend --preset` runs with
    git's protective environment (and its signal handlers); without one no git runs
    and neither is loaded."""
    preset = tmp_path / "team.yml"
    preset.write_text("name: Team\npin:\n  framework: django\n", encoding="utf-8")
    args = ["recommend", "--json", *(["--preset", str(preset)] if with_preset else [])]
    code = (
        "import os, sys, contextlib, io\n"
        "from stackpick.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({args!r})\n"
        "print(code, 'GIT_ALLOW_PROTOCOL' in os.environ, 'signal' in sys.modules)\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GIT_ALLOW_PROTOCOL", "STACKPICK_PRESET")
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert proc.stdout.split() == ["0", str(with_preset), str(with_preset)], (
        proc.stdout + proc.stderr
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "the disk is full"), (errno.EACCES, "permission denied")],
)
def test_an_error_of_the_machine_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    code: int,
    words: str,
) -> None:
    """Whatever command meets it: the machine's fault, not ours (exit 1 is ours)."""
    from stackpick import cli as cli_module

    def fails(args: Any) -> int:
        raise OSError(code, os.strerror(code), "/somewhere/file")

    monkeypatch.setitem(cli_module.COMMANDS, "recommend", fails)
    assert main(["recommend", "--json"]) == 2
    err = capsys.readouterr().err
    assert err == f"stackpick: {words} (/somewhere/file): {os.strerror(code)}\n"
