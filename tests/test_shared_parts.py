"""What both templates share has one copy, in includes/: a fix lands once.

template-flask/ and template-django/ render many of the same things (dependabot.yml,
the pre-commit hooks, CI's first steps, compose's services, uv's Dockerfile stages,
pyproject's shared tables, `init_sentry`); those live in includes/ and each template
includes them or calls their macros. This test finds a block copied between a file of
one template and a file of the other again: a run of `MIN_RUN` or more identical
lines, blank and trivial lines (below) aside.

Why 6: every run of 5 or fewer between the two trees is an idiom that an include
would only obscure (an HTML page's head, the shape of a test request, one healthcheck
stanza), while a run of 6 lines is a block someone would otherwise fix twice. When
the templates last had copies, each one was 7 to 35 lines long.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from support import ROOT

MIN_RUN = 6

# Lines that say nothing on their own, so they neither make nor break a run: closing
# brackets and punctuation, imports (each framework imports its own), a docstring's
# quotes, a lone comment sign and the Jinja that only closes or joins a block (or
# puts a shared part in: the include lines are the point).
TRIVIAL = re.compile(
    r"""^\s*(?:
        [\[\](){}<>,;:.]*
        | (?:from\s.+\s)?import\s.*
        | (?:\"\"\"|''')
        | \#
        | \{%-?\s*(?:end\w*|else|elif\b.*?|include\b.*?|from\b.*?|import\b.*?)\s*-?%\}
    )\s*$""",
    re.VERBOSE,
)

# Runs that may stay, each with why: (flask file, django file) relative to their
# template folder. An entry that no longer matches anything fails the test, so the
# list never outlives its reason.
ALLOWED: dict[tuple[str, str], str] = {}


class Run(NamedTuple):
    """A block of identical lines: where it starts in each file, and its length."""

    flask: str
    flask_line: int
    django: str
    django_line: int
    length: int


def meaningful_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line that is not blank or trivial."""
    return [
        (number, line.rstrip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not TRIVIAL.match(line)
    ]


def shared_runs(
    flask: dict[str, str], django: dict[str, str], min_run: int = MIN_RUN
) -> list[Run]:
    """Every maximal run of `min_run`+ meaningful lines found in a file of each side.

    Hashes each window of `min_run` lines on one side, looks the other side's windows
    up, then grows each hit along its diagonal so one copied block is one run.
    """
    lines = {
        side: {path: meaningful_lines(text) for path, text in files.items()}
        for side, files in (("flask", flask), ("django", django))
    }
    windows: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    for path, found in lines["flask"].items():
        for start in range(len(found) - min_run + 1):
            key = tuple(line for _, line in found[start : start + min_run])
            windows[key].append((path, start))
    runs = []
    for d_path, d_found in lines["django"].items():
        hits: set[tuple[str, int, int]] = set()
        for start in range(len(d_found) - min_run + 1):
            key = tuple(line for _, line in d_found[start : start + min_run])
            hits.update(
                (f_path, f_start, start) for f_path, f_start in windows.get(key, ())
            )
        for f_path, f_start, d_start in sorted(hits):
            if (f_path, f_start - 1, d_start - 1) in hits:
                continue  # inside a run that starts earlier
            length = min_run
            while (
                f_path,
                f_start + length - min_run + 1,
                d_start + length - min_run + 1,
            ) in hits:
                length += 1
            f_found = lines["flask"][f_path]
            runs.append(
                Run(f_path, f_found[f_start][0], d_path, d_found[d_start][0], length)
            )
    return runs


def template_texts(folder: Path) -> dict[str, str]:
    """Every text file of a template folder, by its path there."""
    texts = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or ".min." in path.name:
            continue  # minified assets are third-party files vendored as published
        try:
            texts[path.relative_to(folder).as_posix()] = path.read_text(
                encoding="utf-8"
            )
        except UnicodeDecodeError:
            continue
    return texts


def _describe(runs: Iterable[Run]) -> str:
    return "\n".join(
        f"  {r.length} lines: template-flask/{r.flask}:{r.flask_line} and "
        f"template-django/{r.django}:{r.django_line}"
        for r in runs
    )


def test_no_block_is_copied_between_the_templates() -> None:
    runs = shared_runs(
        template_texts(ROOT / "template-flask"),
        template_texts(ROOT / "template-django"),
    )
    copied = [r for r in runs if (r.flask, r.django) not in ALLOWED]
    assert not copied, (
        f"Blocks of {MIN_RUN}+ identical lines in both templates; move each into "
        f"includes/ (an include, or a macro for the values that differ):\n"
        + _describe(copied)
    )
    stale = set(ALLOWED) - {(r.flask, r.django) for r in runs}
    assert not stale, f"ALLOWED entries that match nothing any more: {stale}"


def test_every_shared_part_is_used() -> None:
    """An include nothing names any more is a copy nobody renders."""
    sources = [
        path.read_text(encoding="utf-8", errors="replace")
        for folder in ("template-flask", "template-django", "includes", "generator")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in {".jinja", ".py", ".html", ""}
    ]
    unused = [
        part.name
        for part in sorted((ROOT / "includes").glob("*.jinja"))
        if not any(f"includes/{part.name}" in text for text in sources)
    ]
    assert not unused, f"includes/ files nothing uses: {unused}"


# -- the finder finds what it is for ------------------------------------------------
BLOCK = [f"line {n} = {n}" for n in range(8)]


def test_a_copied_block_is_one_run_wherever_it_sits() -> None:
    flask = {"a.py": "\n".join(["flask only", *BLOCK, "end a"])}
    django = {"b.py": "\n".join(["django", "only", *BLOCK])}
    assert shared_runs(flask, django) == [Run("a.py", 2, "b.py", 3, 8)]


def test_blank_and_trivial_lines_neither_make_nor_break_a_run() -> None:
    padded = [BLOCK[0], "", "    )", "import os", *BLOCK[1:6], "{%- endif %}"]
    flask = {"a": "\n".join(padded)}
    django = {"b": "\n".join(BLOCK[:6])}
    assert [r.length for r in shared_runs(flask, django)] == [6]
    trivial_only = ["", "]", "}", "from x import y", '"""', "{% endfor %}"] * 3
    assert (
        shared_runs({"a": "\n".join(trivial_only)}, {"b": "\n".join(trivial_only)})
        == []
    )


def test_a_run_shorter_than_the_threshold_or_broken_is_allowed() -> None:
    flask = {"a": "\n".join(BLOCK[:5])}
    assert shared_runs(flask, {"b": "\n".join(BLOCK[:5])}) == []
    broken = [*BLOCK[:4], "django's own line", *BLOCK[4:8]]
    assert shared_runs({"a": "\n".join(BLOCK)}, {"b": "\n".join(broken)}) == []
