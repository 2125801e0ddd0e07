"""Error answers Django gives outside any view: a URL that matches nothing, a
crash, a refused CSRF token. Under /api/ they are JSON with the same status, so an
API client never gets an HTML page; elsewhere the styled templates (404.html...)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def json_or(
    page: Callable[..., HttpResponse], status: int, detail: str
) -> Callable[..., HttpResponse]:
    """A handler: `{"detail": ...}` under /api/, else Django's `page` view."""

    def handler(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": detail}, status=status)
        return page(request, *args, **kwargs)

    return handler


bad_request = json_or(defaults.bad_request, 400, "Bad request.")
permission_denied = json_or(defaults.permission_denied, 403, "Permission denied.")
page_not_found = json_or(defaults.page_not_found, 404, "Not found.")
server_error = json_or(defaults.server_error, 500, "Server error.")
