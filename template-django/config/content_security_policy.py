"""The Content-Security-Policy header: django-csp's middleware, its policy built once.

django-csp builds the header from the settings on every response: it deep-copies
the settings (`dataclasses.asdict`) and joins every directive, twice (the policy and
the report-only one), about a sixth of what the home page costs to serve. Nearly
every response sends exactly the settings' policy, unchanged by any view decorator
(`csp_update`, `csp_replace`, `csp` or `csp_exempt`) and without a nonce, so its
header is the same string every time: this middleware builds it once per process
(again only if the settings object changes, as `override_settings` does in tests)
and reuses it. Every other response goes through django-csp's own code unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# What django-csp's view decorators leave on a response to change its policy.
DECORATOR_MARKS = tuple(
    f"_csp_{kind}{suffix}"
    for kind in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)


class SettingsPolicy:
    """The two headers of the settings' policies, for as long as the settings last."""

    def __init__(self) -> None:
        self._built_for: tuple[object, object] | None = None
        self.headers: tuple[str, str] = ("", "")

    def current(self) -> tuple[str, str]:
        """(Content-Security-Policy, its report-only twin); "" when one is unset."""
        policies = (
            getattr(settings, "CONTENT_SECURITY_POLICY", None),
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
        )
        if self._built_for is None or any(
            now is not then for now, then in zip(policies, self._built_for, strict=True)
        ):
            self.headers = (build_policy(), build_policy(report_only=True))
            self._built_for = policies
        return self.headers


def excludes_paths() -> bool:
    """Whether either policy leaves some URL prefixes without a header."""
    return any(
        (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
        for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    )


class CachedPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's `CSPMiddleware`, sending the settings' policy without rebuilding it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        self.settings_policy = SettingsPolicy()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not self.sends_settings_policy(request, response):
            return super().process_response(request, response)
        header, report_only_header = self.settings_policy.current()
        if header and HEADER not in response:
            response[HEADER] = header
        if report_only_header and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only_header
        # As django-csp does: a nonce asked for after the header is written is an
        # error, never a nonce the browser was not told about.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    def sends_settings_policy(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> bool:
        """True when django-csp would send exactly the settings' policy."""
        return not (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, mark) for mark in DECORATOR_MARKS)
            or settings.DEBUG
            or excludes_paths()
        )
