"""`python manage.py count_users`: queue the example task and print its result."""

from typing import Any

from celery.exceptions import TimeoutError as ResultTimeout
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.tasks import count_users


class Command(BaseCommand):
    help = "Queue the example background task (count the users); print its result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=60.0, help="Seconds to wait (60)."
        )

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        queued = count_users.delay()
        self.stdout.write(f"Queued task {queued.id}.")
        try:
            self.stdout.write(str(queued.get(timeout=timeout)))
        except ResultTimeout:
            raise CommandError(
                f"No worker ran it within {timeout:g} s: start one with"
                " `celery -A config worker`."
            ) from None
