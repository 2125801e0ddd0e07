"""stackpick.copier_import: Copier imported without questionary and prompt_toolkit
renders the same project, and its prompts still get questionary's own choices."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pytest
import questionary

from stackpick import copier_import
from test_copier_speed import ANSWERS, OPTIONS, clean_template, tree

__all__ = ["clean_template"]  # the fixture, shared with test_copier_speed

RENDER = """
import sys
from stackpick import copier_speed
copier_speed.run_copy({src!r}, {dst!r}, data={data!r}, vcs_ref="HEAD", **{options!r})
print(sorted({{m.split(".")[0] for m in sys.modules}} & {{"questionary", "prompt_toolkit"}}))
import questionary  # the real package, once Copier is imported
print(hasattr(questionary, "select"))
"""


@pytest.mark.slow
def test_a_fresh_interpreter_renders_the_same_without_the_prompt_packages(
    clean_template: Path, tmp_path: Path
) -> None:
    src, fast = str(clean_template), tmp_path / "fast"
    code = RENDER.format(src=src, dst=str(fast), data=ANSWERS, options=OPTIONS)
    env = {**os.environ, "STACKPICK_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[]", "True"]
    copier.run_copy(src, tmp_path / "plain", data=ANSWERS, vcs_ref="HEAD", **OPTIONS)
    assert tree(fast) == tree(tmp_path / "plain")


@pytest.mark.parametrize(
    "args",
    [
        ("Flask", "flask"),
        ("Flask", None),
        ("Flask", "flask", "not with MongoDB"),
        ([("class:x", "Dj"), ("", "ango")], None),
        ("Size", 3, None, None, "s", "a description"),
    ],
)
def test_choice_record_matches_questionarys_choice(args: tuple[Any, ...]) -> None:
    record, real = copier_import.Choice(*args), questionary.Choice(*args)
    fields = ("title", "value", "disabled", "checked", "description")
    assert [getattr(record, f) for f in fields] == [getattr(real, f) for f in fields]
    again = record.real()
    assert isinstance(again, questionary.Choice)
    assert [getattr(again, f) for f in fields] == [getattr(real, f) for f in fields]
    assert again.shortcut_key == real.shortcut_key


def test_a_prompt_gets_questionarys_own_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(questionary, "unsafe_prompt", lambda qs, **kw: seen.append(qs))
    flask, django = copier_import.Choice("Flask"), copier_import.Choice("Django")
    question = {"type": "select", "choices": [flask, django], "default": django}
    copier_import.unsafe_prompt([question], answers={"framework": "flask"})
    (given,) = seen[0]
    assert all(isinstance(c, questionary.Choice) for c in given["choices"])
    assert given["default"] is given["choices"][1]  # still one of the choices
    assert [c.value for c in given["choices"]] == ["Flask", "Django"]


def test_with_questionary_already_imported_copier_is_imported_as_usual() -> None:
    assert "questionary" in sys.modules
    assert copier_import.import_copier() is copier
