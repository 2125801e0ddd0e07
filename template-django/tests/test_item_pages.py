"""The item pages: each user lists, creates, edits and deletes only their own."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from items.models import Item


@pytest.fixture
def item(user: User) -> Item:
    return Item.objects.create(owner=user, title="Alice's list", body="milk")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["items:list", "items:create"])
def test_visitors_are_sent_to_log_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_create_edit_delete(client: Client, user: User) -> None:
    client.force_login(user)
    response = client.post(
        reverse("items:create"), {"title": "Groceries", "body": "eggs"}, follow=True
    )
    assert response.status_code == 200
    assert "Created “Groceries”." in response.text
    item = Item.objects.get()
    assert item.owner == user

    response = client.post(
        reverse("items:edit", args=[item.pk]), {"title": "Shopping", "body": ""}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "Shopping"

    assert (
        "Delete “Shopping”?" in client.get(reverse("items:delete", args=[item.pk])).text
    )
    response = client.post(reverse("items:delete", args=[item.pk]), follow=True)
    assert "Deleted “Shopping”." in response.text
    assert not Item.objects.exists()


def test_the_list_shows_only_your_items(
    client: Client, item: Item, other_user: User
) -> None:
    Item.objects.create(owner=other_user, title="Bob's secret")
    client.force_login(item.owner)
    page = client.get(reverse("items:list")).text
    assert "Alice&#x27;s list" in page
    assert "Bob" not in page


def test_others_items_are_not_found(
    client: Client, item: Item, other_user: User
) -> None:
    client.force_login(other_user)
    for name in ("items:edit", "items:delete"):
        url = reverse(name, args=[item.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"title": "Mine now"}).status_code == 404
    item.refresh_from_db()
    assert item.title == "Alice's list"


def test_errors_show_next_to_the_field(client: Client, user: User) -> None:
    client.force_login(user)
    response = client.post(reverse("items:create"), {"title": "", "body": "x"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert "This field is required." in response.text
    assert not Item.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("items:create"), {"title": "Forged"})
    assert response.status_code == 403
    assert not Item.objects.exists()


@pytest.mark.parametrize("value", ["nul\x00", "x" * 10_000])
def test_odd_titles_are_form_errors(client: Client, user: User, value: str) -> None:
    client.force_login(user)
    response = client.post(reverse("items:create"), {"title": value})
    assert response.status_code == 200
    assert response.context["form"].errors["title"]


def test_pages_have_no_inline_script_and_send_a_csp(client: Client, user: User) -> None:
    client.force_login(user)
    for name in ("home", "items:list", "items:create", "account"):
        response = client.get(reverse(name))
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), name
