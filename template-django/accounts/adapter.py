"""How allauth treats this project's accounts: strict redirects after log-in."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.http import url_has_allowed_host_and_scheme


def is_local_path(url: str | None) -> bool:
    """Whether `url` is a path on this site: "/items/" yes; "//evil.example",
    "https://...", "/\\evil", or anything with a control character, no.

    Stricter than Django's own check, which also accepts absolute URLs to this host:
    a `next` value only ever needs a path.
    """
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=None)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, accepting only same-site paths as `next`."""

    def is_safe_url(self, url: str | None) -> bool:
        return is_local_path(url)
