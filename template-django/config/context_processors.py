"""Template context shared by every page."""

from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, reverse

# The pages the layout links to, by URL name. Their URLs take no arguments, so they
# change only with the prefix the site is served under: each is reversed once per
# prefix rather than by a url tag on every page view.
LINKS = {
    "home": "home",
    "login": "account_login",
    "signup": "account_signup",
    "logout": "account_logout",
    "account": "account",
    "items": "items:list",
    "admin": "admin:index",
    "api": "api-root",
    "api_docs": "api-docs",
}


@cache
def links(script_prefix: str) -> dict[str, str]:
    """The URLs of LINKS under `script_prefix`; a page this project lacks is left out."""
    found = {}
    for key, name in LINKS.items():
        try:
            found[key] = reverse(name)
        except NoReverseMatch:  # the API, in a project without one
            continue
    return found


# The layout's static files. Their URLs (hashed names from the manifest in
# production) are fixed while the process runs, but for the prefix: looked up once
# per prefix rather than by a static tag on every page view.
ASSETS = {
    "favicon": "favicon.svg",
    "pico": "css/pico.min.css",
    "site": "css/site.css",
}


@cache
def assets(script_prefix: str) -> dict[str, str]:
    """The URLs of ASSETS under `script_prefix`."""
    return {key: static(path) for key, path in ASSETS.items()}


def project(request: HttpRequest) -> dict[str, object]:
    """The project's name and description, so page titles, headers and the meta
    description come from one setting, and the layout's links and static files."""
    return {
        "project_name": settings.PROJECT_NAME,
        "project_description": settings.PROJECT_DESCRIPTION,
        "links": links(get_script_prefix()),
        "assets": assets(get_script_prefix()),
    }
