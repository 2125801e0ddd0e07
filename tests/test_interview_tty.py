"""The interview end to end on a real pseudo-terminal, as a person meets it.

A welcome line, numbered questions, the project name taken from the folder, greyed-out
choices with the rule's reason, the summary screen (change an answer, then accept),
the reproduce command and the next steps; and `recommend` asking on a terminal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from test_tty_abort import CTRL_C, ENTER, Terminal

from stackpick.cli import _questionnaire
from stackpick.decide.answers import Request, gather
from stackpick.interview import WELCOME

DOWN = b"\x1b[B"


def prompts(request: Request, framework: bool = True) -> list[bytes]:
    """The start of each question `stackpick` asks for `request`, taking defaults."""
    asked: list[bytes] = []

    def ask(question, default, context):
        if question.name != "framework" or framework:
            asked.append(question.help[:30].encode())
        return default

    gather(_questionnaire(), request, ask=ask)
    return asked


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.mark.slow
def test_interview_summary_change_and_accept(work: Path) -> None:
    term = Terminal(["new", "ledger-hub", "--no-git", "--no-lock"], work)
    term.wait_for(WELCOME[:40].encode())
    asked = prompts(Request())
    total = len(asked)
    term.wait_for(f"1/{total} ".encode())
    term.wait_for(b"Ledger Hub", seen=True)  # the name comes from the folder
    term.type(ENTER)
    for number, text in enumerate(asked[1:], start=2):
        term.wait_for(f"{number}/{total} ".encode())
        assert text in term.screen
        term.type(ENTER)
    term.wait_for(b"Summary")
    term.wait_for(b"Create the project")
    assert b"Framework picked" in term.screen
    summary = term.screen[term.screen.rindex(b"Summary") :]
    # The questions' own words, not the raw values ('website', 'no_preference').
    assert b"A website with dynamic pages" in summary and b"No preference" in summary
    assert b"  website\r" not in summary and b"no_preference" not in summary
    assert b"What would change the pick:" in summary  # the flips, on the summary
    assert b"(assumed)" not in summary  # every answer was asked, so given
    term.type(DOWN + ENTER)  # change an answer
    term.wait_for(b"Which answer?")
    row = [q.name for q in _questionnaire().public()].index("familiar_with")
    term.type(DOWN * row + ENTER)
    # One question is asked again, and the count says so (it said 1/7).
    term.wait_for(b"1/1 Which framework does the team")
    term.type(DOWN + ENTER)  # Flask
    # S4: the team's framework stays, so the pick changes: reasons, then asked again.
    term.wait_for(b"Your team knows Flask, so Flask stays")
    term.wait_for(b"Flask (recommended)")
    term.type(ENTER)
    term.wait_for(b"Create the project")
    term.type(ENTER)  # accept
    term.wait_for(b"db upgrade", timeout=90)  # the next steps, as in the README
    code, err = term.finish()
    assert code == 0, err
    project = work / "ledger-hub"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["familiar_with"] == "flask" and answers["framework"] == "flask"
    assert answers["project_slug"] == "ledger_hub"
    assert (project / "README.md").read_text().startswith("# Ledger Hub")
    screen = term.screen.decode(errors="replace")
    # Only what differs from the defaults: the name comes from the folder again.
    assert "stackpick new ledger-hub --defaults --data familiar_with=flask\r" in screen
    assert "flask --app ledger_hub db upgrade" in screen
    assert "flask --app ledger_hub db upgrade" in (project / "README.md").read_text()


@pytest.mark.slow
def test_a_refused_choice_is_greyed_out_with_its_reason(work: Path) -> None:
    term = Terminal(
        ["new", "site", "--no-git", "--no-lock", "-d", "needs_api=false"], work
    )
    asked = prompts(Request(data=["needs_api=false"]))
    for text in asked:
        term.wait_for(text)
        if text.startswith(b"Is it mostly server-rendered"):
            break
        term.type(ENTER)
    # The greyed-out "No" names the refused pair and the rule's why.
    term.wait_for(b"No (html_pages=false with needs_api=false: a project", seen=True)
    term.wait_for(b"one of them.)", seen=True)  # the whole why, not cut at the edge
    drawn = term.screen[term.screen.rindex(b"- No (") - 12 :]
    assert b"\x1b[0;90" in drawn[:12]  # bright black: greyed out, not the default
    words = re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", drawn).split()
    assert b" ".join(words).startswith(
        b"- No (html_pages=false with needs_api=false: a project with neither "
        b"server-rendered pages nor a JSON API has nothing to serve; answer yes to "
        b"one of them.)"
    )
    term.type(DOWN + ENTER)  # moving down skips the refused choice: still "Yes"
    term.wait_for(asked[asked.index(text) + 1])
    term.type(CTRL_C)
    code, _ = term.finish()
    assert code == 130 and not (work / "site").exists()


@pytest.mark.slow
def test_recommend_on_a_terminal_runs_the_interview(work: Path) -> None:
    request = Request(data=["kind=api"])
    asked = prompts(request, framework=False)
    term = Terminal(["recommend", "-d", "kind=api"], work)
    for number in range(1, len(asked) + 1):
        term.wait_for(f"{number}/{len(asked)} ".encode())
        term.type(ENTER)
    term.wait_for(b"Recommendation: ")
    code, err = term.finish()
    assert code == 0, err
    assert b"Flask" in term.screen[term.screen.rindex(b"Recommendation: ") :][:40]
    assert b"Framework (the default" not in term.screen  # recommend never asks it
