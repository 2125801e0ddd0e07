"""Every generated project is ruff-clean for any valid name, not only "My Site".

A property over project names: one seeded random name (words, hyphens, digits) of
each length that changes how lines wrap — 1, 9, 10 and 30 characters and the longest
the questionnaire accepts — rendered with every feature combination the generated
suites use, each render checked with `ruff check` and `ruff format --check` (the
first two steps of the project's own pre-commit and CI). Renders are the fast
in-process ones from a plain template folder; one ruff run covers all the names of a
combination (ruff reads each project's own pyproject.toml).
"""

from __future__ import annotations

import random
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy
from test_toolchain import all_combinations, combo_id

from stackpick.decide import names
from support import BIN, ROOT, copy_template_folder, run

SEED = 23
LONGEST = 80  # copier.yml's project_name validator: "keep it to 80"
LENGTHS = (1, 9, 10, 30, LONGEST)
WORDS = (
    "ledger", "hub", "customer", "billing", "platform", "api", "shop", "ops",
    "data", "portal", "x", "go", "cloud", "team", "notes", "tracker",
)  # fmt: skip
FORBIDDEN = yaml.safe_load(names.NAMES_FILE.read_text(encoding="utf-8"))


def slug_of(name: str) -> str:
    """The package name copier.yml derives from a project name."""
    slug = re.sub(r"^[_0-9]+", "", re.sub(r"[^a-z0-9]+", "_", name.lower()))
    return slug[:32].rstrip("_") or "webapp"


def refused(slug: str) -> bool:
    return any(slug in group for group in FORBIDDEN.values())


def name_of_length(rng: random.Random, length: int) -> str:
    """Words joined by hyphens, spaces or digits, cut to `length`, a letter first."""
    text = rng.choice("abcdefghijklmnopqrstuvwxyz")
    while len(text) < length:
        text += rng.choice(["-", " ", str(rng.randint(0, 99)), "-"]) + rng.choice(WORDS)
    text = text[:length].rstrip(" -")
    return text + rng.choice("abcdefghijklmnopqrstuvwxyz") * (length - len(text))


def project_names(seed: int = SEED) -> list[str]:
    """One valid name per length in LENGTHS, the same on every run."""
    rng = random.Random(seed)
    found = []
    for length in LENGTHS:
        name = name_of_length(rng, length)
        while refused(slug_of(name)):
            name = name_of_length(rng, length)
        found.append(name)
    return found


NAMES = project_names()


def test_the_names_have_the_lengths_that_matter() -> None:
    assert [len(n) for n in NAMES] == list(LENGTHS)
    assert all(not refused(slug_of(n)) for n in NAMES)
    # The longest name makes (nearly) the longest package name.
    assert len(slug_of(NAMES[-1])) >= 30
    assert any("-" in n for n in NAMES) and any(c.isdigit() for c in "".join(NAMES))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The template as a plain folder, as the wheel ships it (one per worker)."""
    folder = copy_template_folder(ROOT, tmp_path_factory.mktemp("template"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("combo", all_combinations(), ids=combo_id)
def test_every_name_lints_clean(
    template: Path, tmp_path: Path, combo: dict[str, Any]
) -> None:
    projects = []
    for number, name in enumerate(NAMES):
        project = tmp_path / f"p{number}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_copy(
                str(template),
                str(project),
                data={**combo, "project_name": name},
                defaults=True,
                unsafe=True,
                quiet=True,
            )
        assert (project / slug_of(name)).is_dir() or combo["framework"] == "django"
        projects.append(project)
    run([BIN / "ruff", "check", "--no-cache", *projects], cwd=tmp_path)
    run([BIN / "ruff", "format", "--check", "--no-cache", *projects], cwd=tmp_path)
