"""Security headers on every response."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


def test_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    # HSTS only in production (see test_config.py).
    assert "Strict-Transport-Security" not in headers


def test_each_response_gets_its_own_nonce(client: FlaskClient) -> None:
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]
    assert "'nonce-" in first
    assert first != second


@pytest.mark.settings(TRUSTED_HOSTS=["example.com", ".example.org"])
def test_unknown_hosts_are_refused(client: FlaskClient) -> None:
    """ALLOWED_HOSTS (TRUSTED_HOSTS): a request naming any other Host is a 400."""
    assert client.get("/", base_url="https://evil.example").status_code == 400
    for served in ("https://example.com", "https://www.example.org"):
        assert client.get("/", base_url=served).status_code == 200


def test_json_nested_too_deep_is_a_400(client: FlaskClient) -> None:
    """Python's JSON parser recurses per level: 100,000 would be a RecursionError."""
    json = {"Content-Type": "application/json"}
    for depth in (1_000, 100_000):
        body = "[" * depth + "]" * depth
        for method in ("POST", "PATCH"):
            response = client.open("/", method=method, data=body, headers=json)
            assert response.status_code == 400, (method, depth)
