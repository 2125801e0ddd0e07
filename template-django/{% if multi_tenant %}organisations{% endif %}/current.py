"""The current organisation of a request: the one every tenant query filters on.

Here it is the user's first organisation (by when they joined). To let people
switch, store the chosen id in the session and read it here first; everything
else keeps working, as it only ever asks `current_organisation(request)`.
"""

from typing import Any

from .models import Organisation


def current_organisation(request: Any) -> Organisation | None:
    """The signed-in user's organisation, or None (no user, or no membership)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return (
        Organisation.objects.filter(memberships__user=user)
        .order_by("memberships__id")
        .first()
    )
