from django.conf import settings
from django.db import models


class Organisation(models.Model):
    """A tenant: one customer of the deployment. Its rows (items) are visible to its
    members only; every query for them filters on the organisation."""

    name = models.CharField(max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user in an organisation, with their role there: the owner (who created it,
    or was made one), admins (who manage its members, as owners do) or members.
    Site staff (`is_staff`, the admin site) is another matter: the operator's."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class Invitation(models.Model):
    """An address without an account, asked to join with a role. The mail carries a
    random token (only its hash is kept), good until `expires` and once: it is used
    up when the address is verified (by sign-up) and the membership made."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(
        max_length=20, choices=Membership.Role, default=Membership.Role.MEMBER
    )
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation} ({self.role})"
