from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    """Tenants: organisations, who belongs to which, and the current one."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "organisations"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from .invitations import connect_signals
        from .signup import give_new_users_an_organisation

        user_signed_up.connect(give_new_users_an_organisation)
        connect_signals()
