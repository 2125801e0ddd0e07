"""django-axes' lockout: which account a login attempt is against, and the answer
to an attempt on a locked account.

People log in to the pages with their e-mail address, while the admin and the API
token endpoint take the username. Both name the same account, so both must count
towards the same limit: an e-mail address with an account is counted under that
account's username, so switching between the two forms gains a guesser nothing.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .models import User

# Never sent to the database: PostgreSQL refuses NUL, and no account has it anyway.
UNSTORABLE = {"\x00"}


def clean_login(value: object) -> str:
    """`value` as a short, lower-case key that every database can store."""
    text = str(value or "").strip().lower()[:254]
    if UNSTORABLE.intersection(text) or not text.isprintable():
        return text.encode("unicode_escape").decode("ascii")[:254]
    return text


def account_key(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username a login attempt targets (AXES_USERNAME_CALLABLE)."""
    data = credentials or getattr(request, "data", None) or request.POST
    login = clean_login(data.get("email") or data.get("username") or data.get("login"))
    if "@" in login and login.isascii():
        user = User.objects.filter(email__iexact=login).only("username").first()
        if user is not None:
            return user.get_username().lower()
    return login


def lockout_response(
    request: HttpRequest, response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """429 Too Many Requests with a Retry-After header (AXES_LOCKOUT_CALLABLE): JSON
    under /api/, the styled page elsewhere. Never says whether the account exists."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = "Too many failed log-in attempts. Try again later."
    locked: HttpResponse
    if request.path.startswith("/api/"):
        locked = JsonResponse({"detail": message}, status=429)
    else:
        locked = render(request, "429.html", {"message": message}, status=429)
    locked["Retry-After"] = str(seconds)
    return locked
