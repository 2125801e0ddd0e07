"""The peer benchmark rows (benchmarks/peers.py) never fail a run: without a named
checkout, or with a folder that is no cookiecutter template, they are skipped with a
reason before anything is started or rendered."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from support import ROOT


@pytest.fixture
def peers(monkeypatch: pytest.MonkeyPatch):
    """benchmarks/peers.py, imported as benchmarks/run.py imports it."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    for variable in (
        "STACKPICK_PEER_COOKIECUTTER_DJANGO",
        "STACKPICK_PEER_COOKIECUTTER_FLASK",
    ):
        monkeypatch.delenv(variable, raising=False)
    return importlib.import_module("peers")


def test_rows_are_skipped_without_checkouts(peers, tmp_path: Path) -> None:
    found = peers.rows(tmp_path, runs=1, seconds=1)
    assert [type(row) for row in found] == [peers.Skip]
    assert "STACKPICK_PEER_COOKIECUTTER_DJANGO" in found[0].reason
    assert "STACKPICK_PEER_COOKIECUTTER_FLASK" in found[0].reason
    assert list(tmp_path.iterdir()) == []  # no cluster, no render


def test_a_folder_that_is_no_template_is_skipped(
    peers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACKPICK_PEER_COOKIECUTTER_FLASK", str(tmp_path))
    with pytest.raises(peers.Skipped, match="not a cookiecutter template checkout"):
        peers.checkout("STACKPICK_PEER_COOKIECUTTER_FLASK")
    failed = peers.comparison(
        "Flask", lambda: peers.checkout("NO_SUCH_VARIABLE"), None, 1, 1
    )
    assert [(row.measure, row.reason) for row in failed] == [
        ("Flask", "NO_SUCH_VARIABLE is not set")
    ]
