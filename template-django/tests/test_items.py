"""The Item model."""

from accounts.models import User
from items.models import Item


def test_str_is_the_title(user: User) -> None:
    assert str(Item.objects.create(owner=user, title="Groceries")) == "Groceries"


def test_newest_first(user: User) -> None:
    first = Item.objects.create(owner=user, title="first")
    second = Item.objects.create(owner=user, title="second")
    assert list(Item.objects.all()) == [second, first]


def test_items_belong_to_their_owner(user: User, other_user: User) -> None:
    Item.objects.create(owner=user, title="mine")
    assert list(user.items.values_list("title", flat=True)) == ["mine"]
    assert not other_user.items.exists()


def test_deleting_a_user_deletes_their_items(user: User) -> None:
    Item.objects.create(owner=user, title="gone with the owner")
    user.delete()
    assert not Item.objects.exists()
