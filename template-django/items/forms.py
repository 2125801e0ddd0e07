from django import forms

from .models import Item


class ItemForm(forms.ModelForm):
    """An item's title and body; the owner is always the signed-in user."""

    class Meta:
        model = Item
        fields = ("title", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}
