"""Security headers on every response.

Set explicitly here rather than through another extension, so each one is visible
and easy to adjust. The Content-Security-Policy allows only this site's own files
(the pages use no CDN), plus inline scripts carrying this request's nonce.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, request

NONCE_KEY = f"{__name__}.csp_nonce"


def csp_nonce() -> str:
    """A random value, new for each request, that marks the inline scripts we trust.

    Made on first use, once per request: the page asks for it while rendering, the
    header after. It is kept in the request's WSGI environ, which no two requests
    share (an app context, and so `g`, can outlive a request in tests).
    """
    environ = request.environ
    if NONCE_KEY not in environ:
        environ[NONCE_KEY] = secrets.token_urlsafe(16)
    return environ[NONCE_KEY]


def init_security(app: Flask) -> None:
    """Add the headers to every response of `app`."""

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{csp_nonce()}'; "
            "img-src 'self' data:; "
            "object-src 'none'; "
            "base-uri 'self'; "
            "form-action 'self'; "
            "frame-ancestors 'none'",
        )
        # Only production sets HSTS_SECONDS: browsers then refuse plain HTTP here.
        if app.config["HSTS_SECONDS"]:
            headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains",
            )
        return response
