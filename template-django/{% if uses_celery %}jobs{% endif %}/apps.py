from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs: the Celery tasks, and a command that queues the example."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"
