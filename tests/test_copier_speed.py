"""stackpick.copier_speed renders byte for byte what plain Copier renders, with a
fraction of the git subprocesses, and its patches still apply to the installed Copier;
Copier imported without questionary and prompt_toolkit (copier_import) renders the
same, and its prompts still get questionary's own choices.

Counts, never timings: benchmarks/run.py prints those.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import copier
import pytest
import questionary
import yaml
from copier import _jinja_ext, _template, _vcs
from copier._main import Worker
from jinja2 import FileSystemLoader, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from stackpick import copier_import, copier_speed
from support import ROOT

ANSWERS = {
    "framework": "django",
    "needs_api": True,
    "needs_admin": True,
    "project_name": "Speed Check",
    "secret_key": "s" * 50,  # copier.yml would draw a random one
}
OPTIONS = {"defaults": True, "quiet": True, "unsafe": False, "overwrite": True}


@pytest.fixture(scope="module")
def clean_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean git checkout of this template (the working copy may be dirty)."""
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("needs git and a git checkout of stackpick")
    clone = tmp_path_factory.mktemp("template") / "stackpick"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    return clone


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mode, by relative path."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def git_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Every git command started while the test runs."""
    calls: list[list[str]] = []
    popen_init = subprocess.Popen.__init__

    def spy(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
        argv = [str(a) for a in (args if isinstance(args, list | tuple) else [args])]
        if Path(argv[0]).name == "git":
            calls.append(argv)
        popen_init(self, args, *rest, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", spy)
    yield calls


@pytest.mark.slow
def test_same_project_as_plain_copier_with_few_git_calls(
    clean_template: Path,
    tmp_path: Path,
    git_calls: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STACKPICK_CACHE_DIR", str(tmp_path / "cache"))
    src = str(clean_template)
    copier.run_copy(src, tmp_path / "plain", data=ANSWERS, vcs_ref="HEAD", **OPTIONS)
    plain_calls = len(git_calls)
    git_calls.clear()
    copier_speed.run_copy(
        src, tmp_path / "fast", data=ANSWERS, vcs_ref="HEAD", **OPTIONS
    )
    assert tree(tmp_path / "fast") == tree(tmp_path / "plain")
    # The second render takes every compiled template from the bytecode cache.
    compiled = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*")}
    assert len(compiled) > 20
    copier_speed.run_copy(
        src, tmp_path / "warm", data=ANSWERS, vcs_ref="HEAD", **OPTIONS
    )
    assert tree(tmp_path / "warm") == tree(tmp_path / "plain")
    again = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*")}
    assert again == compiled
    git_calls.clear()
    copier_speed.run_copy(
        src, tmp_path / "fast2", data=ANSWERS, vcs_ref="HEAD", **OPTIONS
    )
    answers = yaml.safe_load((tmp_path / "fast" / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == src and answers["_commit"]
    # No clone, no `git config` per file, no bundle check: a handful of calls.
    assert len(git_calls) <= 5 < plain_calls, git_calls
    assert not [c for c in git_calls if "clone" in c or "config" in c]


@pytest.mark.slow
def test_a_dirty_template_keeps_copiers_own_clone(
    clean_template: Path, tmp_path: Path
) -> None:
    draft = clean_template / "draft.txt"
    draft.write_text("not committed\n")
    try:
        copier_speed.run_copy(
            str(clean_template),
            tmp_path / "fast",
            data=ANSWERS,
            vcs_ref="HEAD",
            **OPTIONS,
        )
    finally:
        draft.unlink()
    answers = yaml.safe_load((tmp_path / "fast" / ".copier-answers.yml").read_text())
    head = subprocess.run(
        ["git", "describe", "--tags", "--always"],
        cwd=clean_template,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Copier committed the draft in its clone: a commit that is not HEAD.
    assert answers["_src_path"] == str(clean_template)
    assert answers["_commit"] != head


def test_every_patch_still_finds_its_place_in_copier() -> None:
    """A Copier upgrade that moves one of these makes the render slower, not wrong;
    this test says which one moved."""
    assert callable(_template.load_template_config)
    assert callable(_vcs.is_git_bundle)
    assert callable(_jinja_ext.get_yield_context)
    names = ("jinja_env", "_sync_git_index_executable_bit", "_answers_to_remember")
    for name in (*names, "_render_template"):
        assert hasattr(Worker, name), name


def test_compiled_once_keeps_yield_tags_and_plain_text_right() -> None:
    env = _jinja_ext.SandboxedEnvironment(extensions=[_jinja_ext.YieldExtension])
    from_string = copier_speed._compiled_once(env)
    looped = "{% yield item from items %}{{ item }}{% endyield %}"
    for _ in range(2):  # the second time comes from the cache
        from_string(looped).render(items=[1, 2])
        assert _jinja_ext.get_yield_context(env).yield_name == "item"
        assert from_string("plain-name").render(items=[3]) == "plain-name"
        assert _jinja_ext.get_yield_context(env).yield_name is None
    assert from_string("{{ 1 + 1 }}").render() == "2"
    assert from_string("line\n").render() == "line"  # as Jinja drops it
    with pytest.raises(TypeError):
        from_string(42)  # Copier relies on this for non-text values


def test_bytecode_cache_checks_the_source_and_names_the_current_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACKPICK_CACHE_DIR", str(tmp_path / "cache"))
    source = "{{ 1 + 1 }} {{ missing.attribute }}"

    def template(folder: str, text: str = source) -> Any:
        page = tmp_path / folder / "page.jinja"
        page.parent.mkdir(exist_ok=True)
        page.write_text(text)
        env = SandboxedEnvironment(loader=FileSystemLoader(str(page.parent)))
        env.bytecode_cache = copier_speed._bytecode_cache(env)
        return env.get_template("page.jinja")

    with pytest.raises(UndefinedError):
        template("first").render()
    assert len(list((tmp_path / "cache").rglob("*.jinja-bytecode"))) == 1
    # Another snapshot folder: the cached code, named after the file it stands for.
    cached = template("second")
    assert cached.filename == str(tmp_path / "second" / "page.jinja")
    with pytest.raises(UndefinedError) as error:
        cached.render()
    assert "second" in "".join(traceback.format_tb(error.value.__traceback__))
    assert cached.render(missing={"attribute": "x"}) == "2 x"
    assert template("third", "{{ 2 + 2 }}").render() == "4"  # new source, recompiled
    monkeypatch.setenv("STACKPICK_CACHE_DIR", "off")
    assert copier_speed._bytecode_cache(SandboxedEnvironment()) is None


# -- Copier imported without its prompt packages (stackpick.copier_import) ----------
RENDER = """
import sys
from stackpick import copier_speed
copier_speed.run_copy({src!r}, {dst!r}, data={data!r}, vcs_ref="HEAD", **{options!r})
loaded = {{m.split(".")[0] for m in sys.modules}}
print(sorted(loaded & {{"questionary", "prompt_toolkit"}}))
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


def test_a_prompt_gets_questionarys_own_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
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
