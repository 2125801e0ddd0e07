from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A user of the site.

    Its own model from the first migration, because Django cannot switch
    AUTH_USER_MODEL once tables exist. Add profile fields here when you need them.
    """
