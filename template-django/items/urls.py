"""The item pages under /items/."""

from django.urls import path

from . import pages

app_name = "items"
urlpatterns = [
    path("", pages.ItemList.as_view(), name="list"),
    path("new/", pages.ItemCreate.as_view(), name="create"),
    path("<int:pk>/edit/", pages.ItemUpdate.as_view(), name="edit"),
    path("<int:pk>/delete/", pages.ItemDelete.as_view(), name="delete"),
]
