"""The suite runs on the database DATABASE_URL names, and records which.

The server's own description goes into pytest's junit report (`--junitxml`) as the
`database_server` property, so CI can prove which database the tests ran on.
"""

import os
from collections.abc import Callable

import pytest
from django.db import connection

# How each database describes itself.
SERVER_QUERY = {
    "postgresql": "SELECT version()",
    "sqlite": "SELECT 'SQLite ' || sqlite_version()",
}


@pytest.mark.django_db
def test_the_configured_database_answers(
    record_property: Callable[[str, object], None],
) -> None:
    url = os.environ.get("DATABASE_URL", "sqlite://")
    expected = "postgresql" if url.startswith("postgres") else "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(SERVER_QUERY[connection.vendor])
        (server,) = cursor.fetchone()
    record_property("database_server", server)
    assert server.lower().startswith(expected), server
