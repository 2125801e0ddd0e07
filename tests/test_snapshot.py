"""copier-snapshot.json: copier.yml without PyYAML, current and never trusted stale.

The snapshot is derived from copier.yml and the files it includes
(stackpick/decide/snapshot.py). It is used only while every one of those files still
matches its checksum, so an edit is read from YAML until the snapshot is
regenerated — and the first test here fails until then.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from stackpick.decide import snapshot
from stackpick.decide.questions import Questionnaire, parse_copier_yml
from stackpick.decide.rules import parse_rules
from support import ROOT

REGENERATE = "regenerate it: python -m stackpick.decide.snapshot (at the root)"


def test_the_snapshot_is_current() -> None:
    stored = json.loads(snapshot.SNAPSHOT.read_text(encoding="utf-8"))
    assert stored == snapshot.build(ROOT / "copier.yml"), REGENERATE
    assert stored["derived"].startswith("DERIVED")


def test_it_holds_what_yaml_gives() -> None:
    """JSON keeps every value of the YAML documents (no key or type is lost)."""
    config = snapshot.load(ROOT / "copier.yml")
    assert config == parse_copier_yml(ROOT / "copier.yml")
    rules = snapshot.rules(ROOT / snapshot.RULES_FILE)
    assert rules is not None
    assert parse_rules(rules) == parse_rules(config["rules_data"]["default"][0])


def copy_sources(target: Path) -> Path:
    for name in snapshot.sources(ROOT / "copier.yml"):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target / "copier.yml"


def test_an_edited_source_is_read_from_yaml(tmp_path: Path) -> None:
    """The same files anywhere use the snapshot; an edit to any of them does not."""
    copier_yml = copy_sources(tmp_path)
    assert snapshot.load(copier_yml) is not None
    rules_yaml = tmp_path / snapshot.RULES_FILE
    assert snapshot.rules(rules_yaml) is not None

    text = rules_yaml.read_text(encoding="utf-8")
    rules_yaml.write_text(text.replace("tie_break: flask", "tie_break: django"))
    assert snapshot.load(copier_yml) is None
    assert snapshot.rules(rules_yaml) is None
    edited = Questionnaire(copier_yml)  # read from YAML: the edit is seen
    assert edited.questions["rules_data"].default[0]["tie_break"] == "django"

    copier_yml.write_text(copier_yml.read_text(encoding="utf-8") + "\n# edited\n")
    rules_yaml.write_text(text)
    assert snapshot.load(copier_yml) is None


def test_a_missing_source_is_never_taken_from_the_snapshot(tmp_path: Path) -> None:
    copier_yml = copy_sources(tmp_path)
    (tmp_path / "generator" / "stackpick" / "names.yaml").unlink()
    assert snapshot.load(copier_yml) is None
