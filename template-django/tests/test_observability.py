"""Errors go to Sentry only when a DSN is configured; /healthz answers."""

import pytest
import sentry_sdk
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
    assert response.content == b"ok"
