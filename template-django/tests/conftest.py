"""Fixtures shared by the test modules: two ordinary users and their password."""

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User


@pytest.fixture
def password() -> str:
    """The password of both users (long enough for the password validators)."""
    return "a-long-test-password-42"


def signed_up(username: str, email: str, password: str) -> User:
    """A user whose e-mail address is verified, as after allauth's sign-up."""
    user = User.objects.create_user(username, email, password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def user(db: None, password: str) -> User:
    """A signed-up user without staff rights."""
    return signed_up("alice", "alice@example.com", password)


@pytest.fixture
def other_user(db: None, password: str) -> User:
    """A second user, to check that people cannot touch each other's data."""
    return signed_up("bob", "bob@example.com", password)
