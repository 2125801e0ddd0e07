"""stackpick works with every Copier (and Jinja, questionary) its pin admits.

The test environment resolves the newest versions, so the rest of the suite covers the
top of each range. Here a second, small venv gets stackpick with each direct
dependency at the lowest version its pin admits (`uv pip install --resolution
lowest-direct`), and renders, updates and computes recommendations through it. The
pin's floor is read from pyproject.toml: widen a pin and this test moves with it.
"""

from __future__ import annotations

import json
import random
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from factors import factor_questions
from stackpick.decide.engine import recommend
from stackpick.decide.rules import load_rules
from support import (
    ROOT,
    clone_template,
    commit_and_tag,
    copy_template_folder,
    require,
    retitle_readme,
    run,
)

pytestmark = [pytest.mark.slow, pytest.mark.venv]

# The dependencies whose whole range matters to rendering and asking.
RANGED = ("copier", "jinja2", "questionary")

VERSIONS = """
import importlib.metadata as m, json, sys
print(json.dumps({name: m.version(name) for name in sys.argv[1:]}))
"""

# Copier's own evaluation of copier.yml (the `recommendation` default) for each
# answer set, as plain `copier copy` computes it: run in the low venv.
COPIER_PICKS = """
import json, sys, tempfile, warnings
from copier import run_copy
template, samples = sys.argv[1], json.loads(sys.argv[2])
picks = []
for answers in samples:
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as out:
        warnings.simplefilter("ignore")
        worker = run_copy(template, out, data=answers, defaults=True, pretend=True,
                          quiet=True)
    combined = worker.answers.combined
    picks.append([combined["framework"], combined["recommendation"]["scores"]])
print(json.dumps(picks))
"""


def floors() -> dict[str, str]:
    """The lowest version each ranged dependency's pin admits (its `>=`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name in RANGED:
            (lowest,) = [s.version for s in requirement.specifier if s.operator == ">="]
            found[requirement.name] = lowest
    assert set(found) == set(RANGED)
    return found


@pytest.fixture(scope="module")
def lowest_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with stackpick (editable) and its direct dependencies at their floor."""
    uv = require("uv")["uv"]
    venv = tmp_path_factory.mktemp("lowest") / "venv"
    env = {"VIRTUAL_ENV": ""}
    run([uv, "venv", "-q", "--python", sys.executable, venv], cwd=ROOT, env=env)
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "-q", "--python", python]
    run([*install, "--resolution", "lowest-direct", "-e", ROOT], cwd=ROOT, env=env)
    return python


def sample_answers(count: int) -> list[dict[str, Any]]:
    """`count` answer sets the rules accept, drawn with a fixed seed."""
    rng = random.Random(27)
    questions = factor_questions()
    samples: list[dict[str, Any]] = []
    while len(samples) < count:
        answers = {
            q.name: (
                rng.choice(q.choice_values())
                if q.choices
                else rng.random() < 0.5
                if q.type == "bool"
                else rng.randint(1, 12)
            )
            for q in questions
        }
        pick = recommend(answers).framework
        if not load_rules().refusal_line({**answers, "framework": pick}):
            samples.append(answers)
    return samples


def test_the_lowest_pinned_versions_render_update_and_agree(
    lowest_python: Path, tmp_path: Path
) -> None:
    python = lowest_python
    installed = json.loads(run([python, "-c", VERSIONS, *RANGED], cwd=tmp_path).stdout)
    # Really the floor of each pin.
    assert {name: Version(v) for name, v in installed.items()} == {
        name: Version(v) for name, v in floors().items()
    }

    # A project rendered from a template version, then updated to the next one.
    template = clone_template(tmp_path, "v90.0.0")
    project = tmp_path / "low-end"
    run(
        [python, "-m", "stackpick", "new", project, "--defaults", "--no-lock",
         "-d", "kind=api", "-d", "project_name=Low End",
         "--template", template, "--vcs-ref", "v90.0.0"],
        cwd=tmp_path,
    )  # fmt: skip
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (recorded["framework"], recorded["_commit"]) == ("flask", "v90.0.0")
    retitle_readme(template, "flask", "# {{ project_name }}: lowest Copier\n")
    commit_and_tag(template, "v90.1.0")
    run([python, "-m", "stackpick", "update", project], cwd=tmp_path)
    readme = (project / "README.md").read_text()
    assert readme.startswith("# Low End: lowest Copier\n")
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == "v90.1.0"

    # Parity: that Copier's Jinja evaluation of copier.yml picks as the engine does.
    folder = copy_template_folder(ROOT, tmp_path / "plain-template")
    samples = sample_answers(8)
    proc = run([python, "-c", COPIER_PICKS, folder, json.dumps(samples)], cwd=tmp_path)
    picks = json.loads(proc.stdout)
    expected = [
        [found.framework, found.scores]
        for found in (recommend(answers) for answers in samples)
    ]
    assert picks == expected
