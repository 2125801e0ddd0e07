"""Who may change an organisation's members, in one place for the pages and the API.

Owners and admins add members (by e-mail address), remove them and change their
roles; members only look, and may leave. An admin never makes an owner nor touches
one; nobody changes their own role; an organisation always keeps an owner. A
refusal is Django's PermissionDenied (a 403 in the pages and the API alike).
An organisation the user is not in is out of reach altogether: `organisation_of`
answers 404, so its id tells nothing.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Membership, Organisation

Role = Membership.Role
MANAGERS = (Role.OWNER, Role.ADMIN)


def pk_of(user: object) -> int:
    """The user's id; 0 (nobody's) for an anonymous one."""
    pk = getattr(user, "pk", None)
    return pk if isinstance(pk, int) else 0


def organisation_of(user: object, organisation_id: object) -> Organisation:
    """One of the user's organisations, or a 404 (also for one that exists)."""
    return get_object_or_404(
        Organisation, pk=organisation_id, memberships__user_id=pk_of(user)
    )


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("id")


def role_of(user: object, organisation: Organisation) -> str:
    membership = organisation.memberships.get(user_id=pk_of(user))
    return str(membership.role)


def may_manage(user: object, organisation: Organisation) -> bool:
    return role_of(user, organisation) in MANAGERS


def require_manager(user: object, organisation: Organisation) -> str:
    """The actor's role, if it lets them change members."""
    role = role_of(user, organisation)
    if role not in MANAGERS:
        raise PermissionDenied("Only the organisation's owners and admins do that.")
    return role


def keep_an_owner(membership: Membership) -> None:
    """Refuse to take away the organisation's last owner (the organisation's row is
    locked first, so two owners cannot demote each other at the same time)."""
    if membership.role != Role.OWNER:
        return
    Organisation.objects.select_for_update().filter(pk=membership.organisation_id).get()
    owners = membership.organisation.memberships.filter(role=Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise PermissionDenied("An organisation keeps at least one owner.")


@transaction.atomic
def add_member(actor: object, organisation: Organisation, email: str) -> None:
    """Add the account with this address as a member. Whether there is one is not
    told (the answer is the same), so addresses cannot be probed."""
    require_manager(actor, organisation)
    account = get_user_model().objects.filter(email__iexact=email.strip()).first()
    if account is not None:
        organisation.memberships.get_or_create(user=account)


@transaction.atomic
def change_role(actor: object, membership: Membership, role: str) -> None:
    """Set someone else's role, within what the actor's own role allows."""
    actor_role = require_manager(actor, membership.organisation)
    if membership.user_id == pk_of(actor):
        raise PermissionDenied("Nobody changes their own role.")
    if actor_role != Role.OWNER and Role.OWNER in (role, membership.role):
        raise PermissionDenied("Only an owner makes or changes an owner.")
    if role != Role.OWNER:
        keep_an_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def remove_member(actor: object, membership: Membership) -> None:
    """Owners and admins remove others; anyone may leave (remove themselves)."""
    if membership.user_id != pk_of(actor):
        actor_role = require_manager(actor, membership.organisation)
        if actor_role != Role.OWNER and membership.role == Role.OWNER:
            raise PermissionDenied("Only an owner removes an owner.")
    keep_an_owner(membership)
    membership.delete()
