"""tools/mutants.yaml stays applicable: each mutant's line is still in its file,
once, so `python tools/mutate.py` measures what it says (see the script)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from support import ROOT

MUTANTS: list[dict[str, Any]] = yaml.safe_load(
    (ROOT / "tools" / "mutants.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["id"] for m in MUTANTS])
def test_a_mutant_applies_to_the_code_as_it_is(mutant: dict[str, Any]) -> None:
    text = (ROOT / mutant["file"]).read_text(encoding="utf-8")
    assert text.count(mutant["old"]) == 1, f"{mutant['id']}: edit tools/mutants.yaml"
    assert mutant["new"] != mutant["old"]
    assert [t for t in mutant["tests"] if t.startswith("tests/")]
    for arg in mutant["tests"]:
        if arg.startswith("tests/"):
            assert (ROOT / arg.split("::")[0]).is_file(), arg


def test_mutant_ids_are_unique() -> None:
    ids = [m["id"] for m in MUTANTS]
    assert len(ids) == len(set(ids))
