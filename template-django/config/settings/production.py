"""Settings for deployment: HTTPS only, secure cookies, HSTS, hashed static files.

`python manage.py check --deploy --fail-level WARNING` passes with these once
DJANGO_SECRET_KEY (50+ random characters), DJANGO_ALLOWED_HOSTS and DATABASE_URL
are set. It assumes a TLS-terminating proxy that sets X-Forwarded-Proto.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False

# The proxy in front terminates TLS and says so in X-Forwarded-Proto. Only trust this
# header behind a proxy that always sets (or strips) it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Turn off only when the proxy already redirects HTTP to HTTPS, or for a health
# check that reaches the app over plain HTTP.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HSTS: browsers remember it for max-age seconds, so every page must work over HTTPS
# first (lower DJANGO_SECURE_HSTS_SECONDS while trying HTTPS out). `includeSubDomains`
# and `preload` go out only with a max-age of a year, as the preload list demands;
# with less, `check --deploy` warns until the year is back.
A_YEAR = 31_536_000
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=A_YEAR)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS >= A_YEAR and env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = SECURE_HSTS_INCLUDE_SUBDOMAINS and env.bool(
    "DJANGO_SECURE_HSTS_PRELOAD", default=True
)
SECURE_CONTENT_TYPE_NOSNIFF = True

# Compressed files with content hashes in their names, cached for ever by browsers.
# Needs `python manage.py collectstatic` before the server starts.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# Mail goes to the SMTP server in EMAIL_URL, e.g.
# smtp+tls://user:password@smtp.example.com:587 (never to the console here).
vars().update(env.email("EMAIL_URL", default="smtp://localhost:25"))

# Keep database connections open between requests.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(  # noqa: F405
    "DJANGO_CONN_MAX_AGE", default=60
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
