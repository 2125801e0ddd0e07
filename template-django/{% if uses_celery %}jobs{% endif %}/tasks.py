"""Background tasks, run by the Celery worker (`celery -A config worker`)."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.management import call_command


@shared_task
def count_users() -> int:
    """The example task: queued by `manage.py count_users`, its result kept in Redis."""
    return get_user_model().objects.count()


@shared_task
def clear_expired_sessions() -> None:
    """The periodic example (CELERY_BEAT_SCHEDULE): drop expired login sessions."""
    call_command("clearsessions")
