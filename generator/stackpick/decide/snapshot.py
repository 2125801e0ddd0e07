"""copier.yml as JSON: the questions and the rules without loading PyYAML.

copier.yml (with the rules and the package names it `!include`s) stays the one
source. `copier-snapshot.json` beside this module is *derived* from it: the parsed
document plus a checksum of every file it was read from. stackpick uses the
snapshot only while those files still match their checksums — an edited copier.yml
or rules.yaml is read from YAML again, so the snapshot can be stale but never wrong —
and tests/test_snapshot.py fails until it is regenerated:

    python -m stackpick.decide.snapshot      (at the repository root)

Why: importing PyYAML and parsing the three files cost more than the whole
recommendation, which `stackpick recommend` otherwise needs nothing else for.
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from functools import cache
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().with_name("copier-snapshot.json")
INCLUDE = re.compile(r"!include\s+(\S+)")
DERIVED = (
    "DERIVED from copier.yml and the files it includes: do not edit; regenerate with "
    "`python -m stackpick.decide.snapshot` at the repository root"
)
RULES_FILE = "generator/stackpick/rules.yaml"


def _checksum(path: Path) -> int | None:
    try:
        return zlib.crc32(path.read_bytes())
    except OSError:
        return None


def sources(copier_yml: Path) -> dict[str, int | None]:
    """copier.yml and each file it includes, by path relative to it: checksums."""
    text = copier_yml.read_text(encoding="utf-8")
    names = ["copier.yml", *sorted(set(INCLUDE.findall(text)))]
    return {name: _checksum(copier_yml.parent / name) for name in names}


def build(copier_yml: Path) -> dict[str, Any]:
    """The snapshot of `copier_yml`: what `load` returns, with its checksums."""
    from stackpick.decide.questions import parse_copier_yml

    return {
        "derived": DERIVED,
        "sources": sources(copier_yml),
        "config": parse_copier_yml(copier_yml),
    }


@cache
def _stored() -> dict[str, Any] | None:
    """The snapshot as stored (read once per process; nobody changes it)."""
    try:
        return json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load(copier_yml: Path) -> dict[str, Any] | None:
    """The parsed copier.yml from the snapshot, or None unless every file matches."""
    stored = _stored()
    if stored is None:
        return None
    for name, checksum in stored["sources"].items():
        if _checksum(copier_yml.parent / name) != checksum:
            return None
    return stored["config"]


def rules(rules_yaml: Path) -> dict[str, Any] | None:
    """rules.yaml's document from the snapshot, or None unless the file matches."""
    stored = _stored()
    if stored is None or _checksum(rules_yaml) != stored["sources"].get(RULES_FILE):
        return None
    included = stored["config"]["rules_data"]["default"]
    return included[0]  # Copier wraps an included document in a list


def main(argv: list[str] | None = None) -> int:
    root = Path((argv or sys.argv[1:] or ["."])[0])
    snapshot = build(root / "copier.yml")
    SNAPSHOT.write_text(
        json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {SNAPSHOT} ({len(snapshot['sources'])} sources)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
