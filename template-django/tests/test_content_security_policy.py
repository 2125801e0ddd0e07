"""The Content-Security-Policy header: the one django-csp builds, built once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from csp.constants import HEADER, NONCE, NONE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.utils import build_policy
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client, RequestFactory, override_settings

from config.content_security_policy import CachedPolicyCSPMiddleware

View = Callable[[HttpRequest], HttpResponseBase]


def serve(
    view: View | CachedPolicyCSPMiddleware, request: HttpRequest | None = None
) -> HttpResponseBase:
    """`view` behind the middleware (or through one), as Django's handler calls it."""
    if not isinstance(view, CachedPolicyCSPMiddleware):
        view = CachedPolicyCSPMiddleware(view)
    response = view(request or RequestFactory().get("/"))
    assert isinstance(response, HttpResponseBase)  # a sync view's answer
    return response


def policy(directives: dict[str, object]) -> dict[str, object]:
    """A CONTENT_SECURITY_POLICY setting with these directives."""
    return {"DIRECTIVES": directives}


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


@pytest.mark.django_db
def test_a_page_gets_the_settings_policy_as_django_csp_builds_it(
    client: Client,
) -> None:
    response = client.get("/healthz")
    assert response[HEADER] == build_policy()
    assert "default-src 'self'" in response[HEADER]


def test_the_header_follows_changed_settings() -> None:
    middleware = CachedPolicyCSPMiddleware(plain)
    before = serve(middleware)[HEADER]
    changed = policy({"default-src": [NONE], "img-src": [SELF]})
    with override_settings(CONTENT_SECURITY_POLICY=changed):
        during = serve(middleware)[HEADER]
    after = serve(middleware)[HEADER]
    assert "img-src 'self'" in during and "default-src 'none'" in during
    assert before == after == build_policy() != during


def test_report_only_policy_is_sent_when_set() -> None:
    report_only = policy({"default-src": [SELF], "report-uri": "/csp-report"})
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        response = serve(plain)
    assert "report-uri /csp-report" in response["Content-Security-Policy-Report-Only"]
    assert response[HEADER] == build_policy()


def test_a_view_decorator_still_changes_its_own_policy() -> None:
    updated = serve(csp_update({"img-src": "https://images.example"})(plain))
    assert "https://images.example" in updated[HEADER]
    assert HEADER not in serve(csp_exempt()(plain))
    assert serve(plain)[HEADER] == build_policy()  # the next page is unchanged


def test_a_used_nonce_is_in_that_response_only() -> None:
    """For a policy that allows nonces: each page that uses one gets its own."""

    def with_nonce(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(request.csp_nonce))  # type: ignore[attr-defined]

    middleware = CachedPolicyCSPMiddleware(with_nonce)
    allows_nonces = policy({"default-src": [SELF], "script-src": [SELF, NONCE]})
    seen = set()
    with override_settings(CONTENT_SECURITY_POLICY=allows_nonces):
        for _ in range(2):
            response = serve(middleware)
            assert isinstance(response, HttpResponse)
            nonce = response.content.decode()
            assert f"script-src 'self' 'nonce-{nonce}'" in response[HEADER]
            seen.add(nonce)
        assert "nonce-" not in serve(plain)[HEADER]  # a page without one
    assert len(seen) == 2


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error() -> None:
    request = RequestFactory().get("/")
    serve(plain, request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]
