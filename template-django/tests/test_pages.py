"""The home page and the admin, as a visitor and as staff."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from items.models import Item


@pytest.mark.django_db
def test_home_page(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert settings.PROJECT_NAME.encode() in response.content


def test_home_page_needs_no_database(client: Client) -> None:
    """No query and no transaction for a page that only shows things: pytest-django
    refuses database access in this test, so one (ATOMIC_REQUESTS opens one on
    every request) would fail it."""
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert f'href="{reverse("admin:index")}"'.encode() in response.content


@pytest.mark.django_db
def test_admin_login_page(client: Client) -> None:
    assert client.get(reverse("admin:login")).status_code == 200


@pytest.mark.django_db
def test_admin_is_closed_to_visitors(client: Client) -> None:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_is_closed_to_users_without_staff_rights(
    client: Client, user: User
) -> None:
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_pages_load_for_staff(admin_client: Client, user: User) -> None:
    Item.objects.create(owner=user, title="First")
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[user.pk]),
        reverse("admin:items_item_changelist"),
        reverse("admin:items_item_add"),
    ):
        assert admin_client.get(url).status_code == 200, url
