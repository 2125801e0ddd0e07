"""Settings for development on your machine: the default of manage.py.

Reads .env first (variables already set in the environment win), then turns on
DEBUG unless .env says otherwise.
"""

import os
from pathlib import Path

import environ

environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / ".env")
# Readable log lines on your terminal; production writes JSON.
os.environ.setdefault("DJANGO_LOG_FORMAT", "plain")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = env.bool("DJANGO_DEBUG", default=True)

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"]
)
