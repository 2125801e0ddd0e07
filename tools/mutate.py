"""Mutation testing over a list of realistic one-line bugs (tools/mutants.yaml).

    python tools/mutate.py [--fast] [--only ID,ID] [--list]

For each mutant: copy the repository's tracked files to a temporary folder, apply the
one change there, and run the mutant's tests against that copy (its `generator/`
first on PYTHONPATH, so the installed stackpick is not used). A mutant is caught
("killed") when its tests fail, and survives when they pass. The script prints one
row per mutant and the score; it exits 1 when a mutant survives or cannot be applied.
Not part of the pytest run: each mutant costs a test run of its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "tools" / "mutants.yaml"


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    slow: bool = False


def load_mutants() -> list[Mutant]:
    entries = yaml.safe_load(MUTANTS.read_text(encoding="utf-8"))
    return [
        Mutant(**{**entry, "tests": tuple(str(t) for t in entry["tests"])})
        for entry in entries
    ]


def copy_repository(target: Path) -> None:
    """The tracked files as they are in the working tree (uncommitted edits too)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name, follow_symlinks=False)
    # The template is rendered from a git checkout in some tests.
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    subprocess.run(
        ["git", "-c", "user.name=mutant", "-c", "user.email=mutant@localhost",
         "commit", "-qm", "mutant"],
        cwd=target, check=True,
    )  # fmt: skip


def apply(mutant: Mutant, copy: Path) -> str | None:
    """Apply the mutant to `copy`; a problem in words when it cannot be applied."""
    path = copy / mutant.file
    if not path.is_file():
        return f"no file {mutant.file}"
    text = path.read_text(encoding="utf-8")
    if text.count(mutant.old) != 1:
        return f"`old` occurs {text.count(mutant.old)} times in {mutant.file}"
    path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
    return None


def run_one(mutant: Mutant) -> tuple[str, float]:
    """'killed', 'SURVIVED' or 'NOT APPLIED: why'; and the seconds it took."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"stackpick-mutant-{mutant.id}-") as tmp:
        copy = Path(tmp) / "repo"
        copy_repository(copy)
        problem = apply(mutant, copy)
        if problem:
            return f"NOT APPLIED: {problem}", time.perf_counter() - started
        subprocess.run(["git", "commit", "-qam", "the mutant"], cwd=copy, check=True)
        env = {**os.environ, "PYTHONPATH": str(copy / "generator")}
        env.pop("PYTEST_XDIST_WORKER", None)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p",
             "no:cacheprovider", "-x", "-q", "--no-header", *mutant.tests],
            cwd=copy, env=env, capture_output=True, text=True,
        )  # fmt: skip
    verdict = {0: "SURVIVED", 1: "killed"}.get(proc.returncode)
    if verdict is None:  # no tests collected, usage error, interrupted...
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
        verdict = f"NOT APPLIED: pytest exit {proc.returncode} {tail}"
    return verdict, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="leave out slow mutants")
    parser.add_argument("--only", default="", help="comma-separated mutant ids")
    parser.add_argument("--list", action="store_true", help="list the mutants")
    args = parser.parse_args()
    mutants = load_mutants()
    if args.only:
        wanted = set(args.only.split(","))
        mutants = [m for m in mutants if m.id in wanted]
    if args.fast:
        mutants = [m for m in mutants if not m.slow]
    if args.list:
        for mutant in mutants:
            print(f"{mutant.id}: {mutant.file} ({' '.join(mutant.tests)})")
        return 0
    killed = 0
    for mutant in mutants:
        verdict, seconds = run_one(mutant)
        killed += verdict == "killed"
        print(f"{mutant.id:28} {verdict} ({seconds:.0f} s)", flush=True)
    print(f"\nmutation score: {killed}/{len(mutants)} killed")
    return 0 if killed == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main())
