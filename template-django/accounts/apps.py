from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """User accounts: the project's own user model, login and logout."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
