"""Errors go to Sentry only when a DSN is configured; /healthz answers."""

import pytest
import sentry_sdk
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from config.observability import init_sentry


def test_no_dsn_no_sentry() -> None:
    assert init_sentry("", "test") is False
    assert not sentry_sdk.get_client().is_active()


def test_a_dsn_turns_sentry_on() -> None:
    try:
        # A well-formed DSN for a host that is never contacted: nothing is captured.
        assert init_sentry("https://key@sentry.invalid/1", "test") is True
        assert sentry_sdk.get_client().is_active()
    finally:
        # Off again for the other tests.
        sentry_sdk.get_global_scope().set_client(None)
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.django_db
def test_healthz(client: Client) -> None:
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def server_gone() -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", server_gone)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "the database does not answer" in caplog.text
