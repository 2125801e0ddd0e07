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
