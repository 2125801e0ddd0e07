"""stackpick's own code meets the bar it sets for the projects it generates.

The generated projects are checked with ruff and mypy in their own tests; these hold
the generator, its tests, benchmarks and tools to the same: ruff's rules and format
(pyproject.toml's [tool.ruff], complexity included), and mypy on the package.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from support import ROOT

OWN_CODE = ["generator", "tests", "benchmarks", "tools"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_finds_nothing() -> None:
    proc = run("ruff", "check", "--no-cache", *OWN_CODE)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_changes_nothing() -> None:
    proc = run("ruff", "format", "--check", "--no-cache", *OWN_CODE)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_mypy_finds_nothing_in_the_package(tmp_path) -> None:
    proc = run("mypy", "--cache-dir", str(tmp_path / "mypy"), "generator/stackpick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
