"""python manage.py set_role USER ROLE: give a user (username or e-mail) a role."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from accounts.models import User
from accounts.roles import ROLES, set_role


class Command(BaseCommand):
    help = "Give a user (by username or e-mail address) one of the roles."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="username or e-mail address")
        parser.add_argument("role", choices=sorted(ROLES))

    def handle(self, *args: Any, **options: Any) -> None:
        login = options["user"]
        users = User.objects.filter(Q(username=login) | Q(email__iexact=login))
        if users.count() != 1:
            raise CommandError(f"no single user is {login!r}")
        user = users.get()
        set_role(user, options["role"])
        self.stdout.write(f"{user.get_username()} is now {options['role']}.")
