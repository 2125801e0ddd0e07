"""The custom user model, password hashing and the login and logout pages."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.models import User


def test_the_custom_user_model_is_in_use() -> None:
    assert get_user_model() is User


def test_passwords_are_stored_hashed(user: User, password: str) -> None:
    assert user.password != password
    assert user.check_password(password)


@pytest.mark.django_db
def test_login_page_renders_a_form_with_a_csrf_token(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert b'name="password"' in response.content


def test_login_signs_the_user_in_and_logout_signs_them_out(
    client: Client, user: User, password: str
) -> None:
    response = client.post(
        reverse("login"), {"username": "alice", "password": password}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert b"Signed in as alice" in client.get(reverse("home")).content

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert b"Log in" in client.get(reverse("home")).content


def test_a_wrong_password_is_refused(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "no"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session
