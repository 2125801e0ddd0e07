"""Accounts: sign-up with e-mail verification, log-in, log-out, password reset and
change (django-allauth), and what an attacker would try against them."""

import re
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User


def test_the_custom_user_model_is_in_use() -> None:
    assert get_user_model() is User


def test_passwords_are_stored_hashed(user: User, password: str) -> None:
    assert user.password != password
    assert user.check_password(password)


def link_in_last_mail() -> str:
    """The first site link in the newest mail sent (locmem backend in tests)."""
    found = re.search(r"https?://[^/\s]+(/\S+)", str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    return found.group(1)


def log_in(
    client: Client, email: str, password: str, remote_addr: str = "127.0.0.1"
) -> Any:
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=remote_addr,
    )


@pytest.mark.django_db
def test_login_page_has_a_csrf_token_and_a_sign_up_link(client: Client) -> None:
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert b'name="password"' in response.content
    assert f'href="{reverse("account_signup")}'.encode() in response.content


def test_home_page_links_to_sign_up(client: Client) -> None:
    response = client.get(reverse("home"))
    assert f'href="{reverse("account_signup")}"'.encode() in response.content


@pytest.mark.django_db
def test_sign_up_verify_then_log_in(client: Client, password: str) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": "carol@example.com", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session, "no log-in before verification"
    assert mail.outbox[-1].to == ["carol@example.com"]

    # Before the address is confirmed, log-in only sends the mail again.
    log_in(client, "carol@example.com", password)
    assert "_auth_user_id" not in client.session

    confirm = link_in_last_mail()
    assert client.post(confirm).status_code == 302
    response = log_in(client, "carol@example.com", password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        User.objects.get(email="carol@example.com").pk
    )


def test_sign_up_with_a_taken_address_answers_the_same(
    client: Client, user: User, password: str
) -> None:
    """No account enumeration: the page is the same, the owner gets a mail."""
    form = {"password1": password, "password2": password}
    taken = client.post(reverse("account_signup"), {"email": user.email, **form})
    new = Client().post(reverse("account_signup"), {"email": "new@example.com", **form})
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert User.objects.filter(email=user.email).count() == 1
    assert {m.to[0] for m in mail.outbox} == {user.email, "new@example.com"}


def test_login_answers_the_same_for_unknown_addresses(
    client: Client, user: User
) -> None:
    known = log_in(client, user.email, "wrong-password")
    unknown = log_in(Client(), "nobody@example.com", "wrong-password")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


def test_login_logout(client: Client, user: User, password: str) -> None:
    response = log_in(client, user.email, password)
    assert response.status_code == 302
    assert user.email.encode() in client.get(reverse("home")).content
    assert client.post(reverse("account_logout")).status_code == 302
    assert b"Log in" in client.get(reverse("home")).content


def test_a_session_cookie_from_before_log_out_no_longer_works(
    client: Client, user: User, password: str
) -> None:
    log_in(client, user.email, password)
    stolen = client.cookies["sessionid"].value
    client.post(reverse("account_logout"))
    replay = Client()
    replay.cookies["sessionid"] = stolen
    assert replay.get(reverse("account")).status_code == 302


def test_changing_the_password_ends_other_sessions(
    client: Client, user: User, password: str
) -> None:
    other_device = Client()
    log_in(other_device, user.email, password)
    log_in(client, user.email, password)
    assert other_device.get(reverse("account")).status_code == 200
    new = "another-long-password-77"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert client.get(reverse("account")).status_code == 200, "this one stays in"
    assert other_device.get(reverse("account")).status_code == 302


def test_password_reset_by_mail(client: Client, user: User) -> None:
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    response = client.get(link_in_last_mail(), follow=True)
    new = "a-brand-new-password-99"
    response = client.post(
        response.redirect_chain[-1][0], {"password1": new, "password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_reset_answers_the_same_for_unknown_addresses(
    client: Client, user: User
) -> None:
    known = client.post(reverse("account_reset_password"), {"email": user.email})
    unknown = client.post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}
    )
    assert (known.status_code, known["Location"]) == (
        unknown.status_code,
        unknown["Location"],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "weak",
    ["short1", "password123", "12345678901234", "carol-example-com"],
    ids=["too-short", "common", "all-digits", "like-the-address"],
)
def test_weak_passwords_are_refused(client: Client, weak: str) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": "carol@example.com", "password1": weak, "password2": weak},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.exists()


def test_ten_wrong_passwords_lock_the_account_from_every_address(
    client: Client, user: User, password: str
) -> None:
    for attempt in range(10):
        response = log_in(client, user.email, f"wrong-{attempt}")
    assert response.status_code == 429
    # The right password, from another address, and by username in the admin.
    assert (
        log_in(Client(), user.email, password, remote_addr="10.1.2.3").status_code
        == 429
    )
    admin = Client().post(
        reverse("admin:login"),
        {"username": user.username, "password": password},
        REMOTE_ADDR="10.9.9.9",
    )
    assert admin.status_code == 429
    assert "_auth_user_id" not in client.session


def test_ten_failures_from_one_address_lock_that_address(
    client: Client, user: User, password: str
) -> None:
    for attempt in range(10):
        log_in(client, f"guess{attempt}@example.com", "x", remote_addr="10.0.0.7")
    locked = log_in(Client(), user.email, password, remote_addr="10.0.0.7")
    assert locked.status_code == 429
    assert (
        log_in(Client(), user.email, password, remote_addr="10.0.0.8").status_code
        == 302
    )


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/items/\r\nLocation: https://evil.example/",
        "javascript:alert(1)",
    ],
)
def test_next_must_be_a_path_on_this_site(
    client: Client, user: User, password: str, target: str
) -> None:
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": password, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_next_may_be_a_path_on_this_site(
    client: Client, user: User, password: str
) -> None:
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": password, "next": "/items/"},
    )
    assert response["Location"] == "/items/"


ODD = ["nul\x00here", "lone \ud800 surrogate", "x" * 100_000, "cr\r\nlf"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ODD, ids=["nul", "surrogate", "long", "crlf"])
def test_odd_input_is_a_form_error_never_a_500(client: Client, value: str) -> None:
    for url, fields in (
        (reverse("account_login"), ("login", "password")),
        (reverse("account_signup"), ("email", "password1", "password2")),
        (reverse("account_reset_password"), ("email",)),
    ):
        # Encoded by hand: a lone surrogate is not UTF-8, and an attacker sends its
        # bytes anyway.
        raw = value.encode("utf-8", "surrogatepass")
        body = "&".join(f"{field}={quote_from_bytes(raw)}" for field in fields)
        response = client.post(
            url, body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in (200, 400), (url, response.status_code)


@pytest.mark.django_db
def test_the_account_page_needs_a_log_in(client: Client) -> None:
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_account_page_shows_the_user(client: Client, user: User) -> None:
    client.force_login(user)
    response = client.get(reverse("account"))
    assert response.status_code == 200
    assert user.email.encode() in response.content
