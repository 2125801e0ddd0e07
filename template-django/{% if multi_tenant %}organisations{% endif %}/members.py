"""Who may change an organisation's members, in one place for the pages and the API.

Owners and admins add members (by e-mail address; an address without an account
is invited, see invitations.py), remove them and change their
roles; members only look, and may leave. An admin never makes an owner nor touches
one; nobody changes their own role; an organisation always keeps an owner. A
refusal is Django's PermissionDenied (a 403 in the pages and the API alike; where
the admin site edits members, an error on its form).
An organisation the user is not in is out of reach altogether: `organisation_of`
answers 404, so its id tells nothing.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from . import invitations
from .models import Invitation, Membership, Organisation

Role = Membership.Role
MANAGERS = (Role.OWNER, Role.ADMIN)
ONLY_OWNERS = "Only an owner makes, changes or removes an owner."
LAST_OWNER = "An organisation keeps at least one owner."


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
    """The user's role in the organisation; "" when they are not in it."""
    membership = organisation.memberships.filter(user_id=pk_of(user)).first()
    return "" if membership is None else str(membership.role)


def may_manage(user: object, organisation: Organisation) -> bool:
    return role_of(user, organisation) in MANAGERS


def require_manager(user: object, organisation: Organisation) -> str:
    """The actor's role, if it lets them change members."""
    role = role_of(user, organisation)
    if role not in MANAGERS:
        raise PermissionDenied("Only the organisation's owners and admins do that.")
    return role


def lock(organisation_id: int) -> None:
    """Lock the organisation's row until the transaction ends, so two changes to its
    owners (two owners demoting each other) cannot both pass the checks."""
    Organisation.objects.select_for_update().filter(pk=organisation_id).get()


def keep_an_owner(membership: Membership) -> None:
    """Refuse to take away the organisation's last owner."""
    if membership.role != Role.OWNER:
        return
    lock(membership.organisation_id)
    owners = membership.organisation.memberships.filter(role=Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise PermissionDenied(LAST_OWNER)


def check_role_change(actor: object, membership: Membership, role: str) -> None:
    """Whether the actor may set `membership` (as stored) to `role`."""
    actor_role = require_manager(actor, membership.organisation)
    if membership.user_id == pk_of(actor):
        raise PermissionDenied("Nobody changes their own role.")
    if actor_role != Role.OWNER and Role.OWNER in (role, membership.role):
        raise PermissionDenied(ONLY_OWNERS)


def check_removal(actor: object, membership: Membership) -> None:
    """Owners and admins remove others (admins no owner); anyone may leave."""
    if membership.user_id == pk_of(actor):
        return
    actor_role = require_manager(actor, membership.organisation)
    if actor_role != Role.OWNER and membership.role == Role.OWNER:
        raise PermissionDenied(ONLY_OWNERS)


def check_addition(actor: object, organisation: Organisation, role: str) -> None:
    """Owners and admins add members; only an owner adds an owner."""
    actor_role = require_manager(actor, organisation)
    if actor_role != Role.OWNER and role == Role.OWNER:
        raise PermissionDenied(ONLY_OWNERS)


@transaction.atomic
def add_member(
    actor: object, organisation: Organisation, email: str, role: str = Role.MEMBER
) -> None:
    """Add the account with this address, with `role`; an address without one is
    invited (invitations.py). Which of the two happened is not told (the answer is
    the same), so addresses cannot be probed."""
    check_addition(actor, organisation, role)
    address = email.strip()
    account = get_user_model().objects.filter(email__iexact=address).first()
    if account is not None:
        organisation.memberships.get_or_create(user=account, defaults={"role": role})
    else:
        invitations.invite(actor, organisation, address, role)


def revoke_invitation(actor: object, invitation: Invitation) -> None:
    """Owners and admins take an invitation back: its link stops working."""
    check_addition(actor, invitation.organisation, invitation.role)
    invitation.delete()


@transaction.atomic
def change_role(actor: object, membership: Membership, role: str) -> None:
    """Set someone else's role, within what the actor's own role allows."""
    check_role_change(actor, membership, role)
    if role != Role.OWNER:
        keep_an_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def remove_member(actor: object, membership: Membership) -> None:
    """Owners and admins remove others; anyone may leave (remove themselves)."""
    check_removal(actor, membership)
    keep_an_owner(membership)
    membership.delete()
