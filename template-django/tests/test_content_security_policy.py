"""The Content-Security-Policy header: django-csp's middleware sends the policy that
config/settings/base.py ships, on every kind of response."""

from __future__ import annotations

import pytest
from django.test import Client

# The shipped policy, written out here rather than built from the same settings, so a
# change to CONTENT_SECURITY_POLICY has to be made on purpose in both places.
SHIPPED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    """The header's directives by name. django-csp joins them in no fixed order, so
    the header is compared directive by directive."""
    parts = (part.strip().partition(" ") for part in header.split(";"))
    return {name: sources for name, _, sources in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page/"])
def test_every_response_carries_the_shipped_policy(client: Client, path: str) -> None:
    response = client.get(path)
    assert directives(response["Content-Security-Policy"]) == SHIPPED
    assert "Content-Security-Policy-Report-Only" not in response
