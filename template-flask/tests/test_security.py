"""Security headers on every response."""

from __future__ import annotations

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
