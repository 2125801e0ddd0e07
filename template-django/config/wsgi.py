"""WSGI entry point for gunicorn (`gunicorn config.wsgi`).

Defaults to the production settings, as a server is where this file runs: a forgotten
DJANGO_SETTINGS_MODULE then fails safe (no DEBUG, HTTPS only) instead of serving
development settings to the world. manage.py defaults to config.settings.local.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
