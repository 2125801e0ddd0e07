"""allauth's sign-up form, made to take the same time for a taken address."""

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest


class SignupForm(AllauthSignupForm):
    """A sign-up with a taken address makes no account (its owner gets a mail at
    most once every few minutes). The new account's password hash is what a sign-up
    spends its time on, so the same hash is computed here too: otherwise the quick
    answer would tell that the address has an account."""

    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)
