"""The generated Flask API keeps the promises of its own OpenAPI document.

Schemathesis reads /api/schema/ from a real gunicorn and runs every check it has
(server errors, undocumented statuses, responses that break their schema, valid
requests refused, invalid ones accepted, auth ignored...), authenticated the way the
document says: HTTP Basic for POST /api/tokens, a bearer token (or the API key)
elsewhere. The examples per operation are bounded so a run stays well under a minute.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from support import BIN, gunicorn, render_copie, run

pytestmark = pytest.mark.slow

EMAIL, PASSWORD = "contract@example.com", "a long contract password"
MAX_EXAMPLES = 25


def api_token(base: str) -> str:
    """A bearer token from POST /api/tokens, as a client gets one."""
    pair = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/api/tokens", method="POST", headers={"Authorization": f"Basic {pair}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


@pytest.mark.parametrize(
    "answers",
    [
        {
            "needs_auth": True,
            "needs_admin": True,
            "data": "relational",
            "needs_roles": True,
            "multi_tenant": True,
        },
        {"needs_auth": False, "needs_admin": False, "data": "relational"},
    ],
    ids=["accounts", "api-key"],
)
def test_schemathesis_finds_nothing(
    copie: Any, tmp_path: Path, answers: dict[str, Any]
) -> None:
    project = render_copie(
        copie, "flask", project_name="Contract", needs_api=True, **answers
    )
    env = {
        "FLASK_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env["DATABASE_URL"] = f"sqlite:///{project / 'contract.sqlite3'}"
    flask = [BIN / "flask", "--app", "contract"]
    setup = {**env, "FLASK_CONFIG": "development"}
    run([*flask, "db", "upgrade"], cwd=project, env=setup)
    if answers["needs_auth"]:
        run(
            [*flask, "create-admin", "--email", EMAIL, "--password", PASSWORD],
            cwd=project,
            env=setup,
        )
    else:
        env["API_KEY"] = secrets.token_urlsafe(32)

    with gunicorn("wsgi:app", cwd=project, env=env, workers=2) as (base, _):
        if "API_KEY" in env:
            auth = f'[auth.openapi.bearerAuth]\nbearer = "{env["API_KEY"]}"\n'
        else:
            auth = (
                f'[auth.openapi.bearerAuth]\nbearer = "{api_token(base)}"\n'
                f'[auth.openapi.basicAuth]\nusername = "{EMAIL}"\n'
                f'password = "{PASSWORD}"\n'
            )
        config = tmp_path / "schemathesis.toml"
        config.write_text(auth)
        report = tmp_path / "schemathesis.xml"
        proc = run(
            [
                BIN / "schemathesis",
                "--config-file",
                config,
                "run",
                f"{base}/api/schema/",
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--workers",
                "1",
                "--seed",
                "20261123",
                "--report",
                "junit",
                "--report-junit-path",
                report,
            ],
            cwd=tmp_path,
            check=False,
        )
    summary = [line for line in proc.stdout.splitlines() if "generated" in line]
    print(f"\nschemathesis ({answers}): {' '.join(summary).strip()}")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "No issues found" in proc.stdout
