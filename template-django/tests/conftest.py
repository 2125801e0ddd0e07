"""Fixtures shared by the test modules: two ordinary users and their password."""

import pytest

from accounts.models import User


@pytest.fixture
def password() -> str:
    """The password of both users (long enough for the password validators)."""
    return "a-long-test-password-42"


@pytest.fixture
def user(db: None, password: str) -> User:
    """A signed-up user without staff rights."""
    return User.objects.create_user("alice", "alice@example.com", password)


@pytest.fixture
def other_user(db: None, password: str) -> User:
    """A second user, to check that people cannot touch each other's data."""
    return User.objects.create_user("bob", "bob@example.com", password)
