"""Ctrl-C and EOF at the real interactive prompts: exit 130, one line, nothing written.

`stackpick new DEST` runs on a pseudo-terminal (stdin and stdout are the terminal, so
it asks), stderr is a separate pipe so its exact content can be checked. The test waits
for each prompt to be drawn before typing, the way a person would.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import clean_env, snapshot

ENTER = b"\r"
CTRL_C = b"\x03"
CTRL_D = b"\x04"
CTRL_U = b"\x15"  # clear the pre-filled default of a text prompt


def _prompts() -> list[tuple[bytes, str]]:
    """(prompt text, kind) in the order `stackpick new` asks them, taking defaults."""
    from stackpick.cli import _questionnaire
    from stackpick.decide.answers import Request, gather

    asked: list[tuple[bytes, str]] = []

    def ask(question, default, context):
        kind = "yes/no" if question.type == "bool" else "text"
        # The start of the question is enough (a long one may wrap on the screen).
        text = question.help[:30].encode()
        asked.append((text, "choice" if question.choices else kind))
        return default

    gather(_questionnaire(), Request(), ask=ask)
    return asked


PROMPTS = _prompts()
KINDS = [kind for _, kind in PROMPTS]
FIRST = {kind: KINDS.index(kind) for kind in ("text", "choice", "yes/no")}
LAST = len(PROMPTS) - 1  # the framework, asked after the recommendation is shown


class Terminal:
    """A process on a pseudo-terminal; what it drew so far in `screen`."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stackpick", *args],
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=clean_env(
                TERM="xterm", COLUMNS="120", LINES="50", PROMPT_TOOLKIT_NO_CPR="1"
            ),
            close_fds=True,
        )
        os.close(slave)
        self.screen = b""

    def wait_for(self, text: bytes, timeout: float = 30, seen: bool = False) -> None:
        """Read until `text` is drawn (`seen`: or was drawn already since the start)."""
        start = 0 if seen else len(self.screen)
        deadline = time.monotonic() + timeout
        while text not in self.screen[start:] and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.screen += chunk
        assert text in self.screen[start:], (text, self.screen[-2000:])

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"still running after the keys: {self.screen[-1500:]!r}")
        finally:
            os.close(self.master)
        assert self.proc.stderr is not None
        err = self.proc.stderr.read().decode()
        self.proc.stderr.close()
        return code, err


def abort_at(work: Path, prompt: int, keys: bytes, dest: str = "site") -> None:
    """Take the defaults up to PROMPTS[prompt], type `keys` there, check the result."""
    before = snapshot(work)
    term = Terminal(["new", dest, "--no-git", "--no-lock"], work)
    for text, _ in PROMPTS[:prompt]:
        term.wait_for(text)
        term.type(ENTER)
    term.wait_for(PROMPTS[prompt][0])
    term.type(keys)
    code, err = term.finish()
    assert code == 130, (err, term.screen[-1500:])
    assert err == "Aborted; nothing was written.\n"
    assert b"Traceback" not in term.screen
    assert snapshot(work) == before  # no destination, no temporary folder


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("kind", ["text", "choice", "yes/no", "framework"])
def test_ctrl_c_at_a_prompt(work: Path, kind: str) -> None:
    abort_at(work, LAST if kind == "framework" else FIRST[kind], CTRL_C)


def test_eof_at_an_empty_text_prompt(work: Path) -> None:
    """Ctrl-D is end-of-input on an empty line: clear the pre-filled default first."""
    abort_at(work, 0, CTRL_U + CTRL_D)


@pytest.mark.parametrize("kind", ["choice", "yes/no"])
def test_eof_at_a_choice_or_yes_no_prompt(work: Path, kind: str) -> None:
    abort_at(work, FIRST[kind], CTRL_D)


def test_abort_never_touches_an_existing_empty_destination(work: Path) -> None:
    (work / "site").mkdir(mode=0o750)
    abort_at(work, FIRST["choice"], CTRL_C)


def test_abort_with_force_leaves_the_folder_as_it_was(work: Path) -> None:
    site = work / "site"
    site.mkdir()
    (site / "README.md").write_text("mine\n")
    before = snapshot(work)
    term = Terminal(["new", "site", "--no-git", "--no-lock", "--force"], work)
    term.wait_for(PROMPTS[0][0])
    term.type(CTRL_C)
    code, err = term.finish()
    assert (code, err) == (130, "Aborted; nothing was written.\n")
    assert snapshot(work) == before


def test_the_interactive_flow_completes(work: Path) -> None:
    """The same terminal driver, answering every prompt: a project is written."""
    term = Terminal(["new", "site", "--no-git", "--no-lock"], work)
    term.wait_for(PROMPTS[0][0])
    term.type(CTRL_U + b"Terminal Test" + ENTER)
    for text, _ in PROMPTS[1:]:
        term.wait_for(text)
        term.type(ENTER)
    term.wait_for(b"Create the project")  # the summary screen: accept
    term.type(ENTER)
    term.wait_for(b"Next:", timeout=60)
    code, err = term.finish()
    assert code == 0, err
    readme = (work / "site" / "README.md").read_text()
    assert readme.startswith("# Terminal Test")
