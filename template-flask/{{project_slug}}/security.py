"""Security headers on every response.

Set explicitly here rather than through another extension, so each one is visible
and easy to adjust. The Content-Security-Policy allows only this site's own files
(the pages use no CDN), plus inline scripts carrying this request's nonce.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, abort, request

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


def odd_text(value: Any) -> bool:
    """Whether `value` (or any text inside it) holds a NUL or a lone surrogate.

    Neither is valid text for a database or a header: PostgreSQL refuses NUL, and a
    lone surrogate cannot be encoded. They are refused up front with a 400, so no
    view ever meets them (and none can fail with a 500 on them).
    """
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(odd_text(key) or odd_text(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(odd_text(item) for item in value)
    return False


def odd_json() -> bool:
    """Whether the request's JSON holds odd text; a 400 if it is nested too deep.

    Python's parser (and `odd_text`) recurse once per level: a body nested a
    thousand deep would exhaust the stack and end as a 500.
    """
    try:
        return odd_text(request.get_json(silent=True))
    except RecursionError:
        abort(400, "The JSON is nested too deeply.")


def init_security(app: Flask) -> None:
    """Refuse unusable input, and add the headers to every response of `app`."""

    @app.before_request
    def refuse_odd_input() -> None:
        fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
        auth = request.authorization  # HTTP Basic credentials too
        texts = [request.path, auth.username, auth.password] if auth else [request.path]
        if odd_text(texts) or any(map(odd_text, fields)):
            abort(400, "The request holds characters that are not valid text.")
        if request.is_json and odd_json():
            abort(400, "The request holds characters that are not valid text.")

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
