"""Accounts: django-allauth's sign-up, log-in, e-mail verification, password reset
and change, and log-out (templates in templates/account/), and the account page."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", include("allauth.urls")),
    path("profile/", views.AccountView.as_view(), name="account"),
]
