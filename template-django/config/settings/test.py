"""Settings for the test suite (pytest-django uses them; see pyproject.toml).

Reads .env when there is one, so the tests use your database server (pytest-django
creates and drops a test_ copy); without one, as in CI, a throwaway secret key is
used and DATABASE_URL comes from the environment, else SQLite.
"""

import os
from pathlib import Path

import environ

environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / ".env")
os.environ.setdefault("DJANGO_SECRET_KEY", "only-for-the-test-suite-never-deployed")

from .base import *  # noqa: E402, F403

DEBUG = False

# A fast hasher: the default PBKDF2 is slow on purpose, which tests do not need.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from their folders, as in development: no collectstatic.
WHITENOISE_AUTOREFRESH = True
