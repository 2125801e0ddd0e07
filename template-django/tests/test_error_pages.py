"""Errors: the styled pages for people, JSON under /api/."""

import pytest
from django.test import Client, RequestFactory

from config.errors import server_error


@pytest.mark.django_db
def test_a_missing_page_is_a_styled_404(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'rel="stylesheet"' in response.text


@pytest.mark.django_db
def test_a_missing_api_url_is_a_json_404(client: Client) -> None:
    response = client.get("/api/no/such/thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_crash_is_a_styled_500() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    api = server_error(RequestFactory().get("/api/items/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
