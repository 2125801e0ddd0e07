"""Every combination the generated suites render goes through stackpick, untrusted.

pytest-copie renders with `unsafe=True`, so the generated-project suites would not
notice a template feature that needs `--trust` (tasks, migrations, Jinja extensions).
stackpick renders with `unsafe=False`, as a user's plain `copier copy` does: here
every combination those suites render goes through `stackpick new` once more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_generated_django import COMBINATIONS as DJANGO
from test_generated_django import combo_id as django_id
from test_generated_flask import COMBINATIONS as FLASK
from test_generated_flask import combo_id as flask_id

from stackpick.cli import main
from support import assert_hand_written

CASES = [
    pytest.param("flask", combo, id=f"flask-{flask_id(combo)}") for combo in FLASK
] + [pytest.param("django", combo, id=f"django-{django_id(combo)}") for combo in DJANGO]


@pytest.mark.slow
@pytest.mark.parametrize(("framework", "combo"), CASES)
def test_renders_without_trust(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    framework: str,
    combo: dict[str, Any],
) -> None:
    data = {"framework": framework, **combo}
    args = [f"--data={key}={str(value).lower()}" for key, value in data.items()]
    project = tmp_path / "site"
    code = main(["new", str(project), "--defaults", "--no-git", "--no-lock", *args])
    assert code == 0, capsys.readouterr().err
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    # A question that is not asked is not recorded: `database` only where there is a
    # SQL database, `needs_roles` only with accounts.
    asked_only = {
        "database": "database" in recorded,
        "needs_roles": recorded["needs_auth"],
    }
    expected = {k: v for k, v in data.items() if asked_only.get(k, True)}
    assert {key: recorded[key] for key in expected} == expected
    assert_hand_written(project)
