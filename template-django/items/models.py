from django.conf import settings
from django.db import models


class Item(models.Model):
    """Something a user owns: the example of a model that belongs to its author.

    Deleting a user deletes their items (CASCADE); choose PROTECT or SET_NULL instead
    when your records must outlive their authors.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="items"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        # Newest first; a stable order also keeps paginated lists consistent.
        ordering = ("-created", "-id")

    def __str__(self) -> str:
        return self.title
