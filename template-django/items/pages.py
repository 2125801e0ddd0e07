"""The item pages: list, create, edit and delete, each only for the item's owner.

Every query starts from `owned_by(request.user)`, so another user's item is a 404
(not a 403 that would tell it exists). Writes run in one transaction each.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseModelForm
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views import generic

from .forms import ItemForm
from .models import Item


class OwnedItemsMixin(LoginRequiredMixin):
    """Only signed-in users, and only their own items."""

    model = Item
    success_url = reverse_lazy("items:list")

    def get_queryset(self) -> QuerySet[Item]:
        return Item.objects.filter(owner_id=self.request.user.pk)  # type: ignore[attr-defined]


class ItemList(OwnedItemsMixin, generic.ListView):
    paginate_by = 20


@method_decorator(transaction.atomic, name="post")
class ItemCreate(OwnedItemsMixin, SuccessMessageMixin, generic.CreateView):
    form_class = ItemForm
    success_message = "Created “%(title)s”."

    def form_valid(self, form: BaseModelForm) -> HttpResponse:
        form.instance.owner = self.request.user
        return super().form_valid(form)


@method_decorator(transaction.atomic, name="post")
class ItemUpdate(OwnedItemsMixin, SuccessMessageMixin, generic.UpdateView):
    form_class = ItemForm
    success_message = "Saved “%(title)s”."


@method_decorator(transaction.atomic, name="post")
class ItemDelete(OwnedItemsMixin, generic.DeleteView):
    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, f"Deleted “{self.get_object().title}”.")
        return super().form_valid(form)
