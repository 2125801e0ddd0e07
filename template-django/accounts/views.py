"""The account page: who you are signed in as, and where to change it."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class AccountView(LoginRequiredMixin, TemplateView):
    """Only for signed-in users; visitors are sent to the log-in page."""

    template_name = "account/profile.html"
