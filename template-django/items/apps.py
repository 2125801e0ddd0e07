from django.apps import AppConfig


class ItemsConfig(AppConfig):
    """The example domain app: rename it, or copy its shape, for your own data."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "items"
