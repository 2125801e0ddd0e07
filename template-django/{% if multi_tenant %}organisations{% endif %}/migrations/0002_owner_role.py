"""The owner role, and an owner for every organisation that exists already.

Sign-up made each organisation with its creator as its first membership (then with
the "admin" role), so the earliest membership of each organisation becomes its
owner; everyone else keeps the role they had (admin or member).
"""

from typing import Any

from django.db import migrations, models
from django.db.models import Min


def make_the_earliest_member_owner(apps: Any, schema_editor: Any) -> None:
    membership = apps.get_model("organisations", "Membership")
    earliest = membership.objects.values("organisation").annotate(first=Min("id"))
    firsts = [row["first"] for row in earliest]
    membership.objects.filter(id__in=firsts).update(role="owner")


def owners_back_to_admin(apps: Any, schema_editor: Any) -> None:
    membership = apps.get_model("organisations", "Membership")
    membership.objects.filter(role="owner").update(role="admin")


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("admin", "Admin"), ("member", "Member")],
                default="member",
                max_length=20,
            ),
        ),
        migrations.RunPython(make_the_earliest_member_owner, owners_back_to_admin),
    ]
