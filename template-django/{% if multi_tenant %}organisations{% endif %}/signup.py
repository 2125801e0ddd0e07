"""Every new account gets an organisation of its own, as its owner."""

from typing import Any

from .models import Membership, Organisation


def give_new_users_an_organisation(
    sender: Any, request: Any, user: Any, **kwargs: Any
) -> None:
    """allauth's user_signed_up signal."""
    organisation = Organisation.objects.create(name=f"{user.email}'s organisation")
    Membership.objects.create(
        user=user, organisation=organisation, role=Membership.Role.OWNER
    )
