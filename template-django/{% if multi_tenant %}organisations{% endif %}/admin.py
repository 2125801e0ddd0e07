from django.contrib import admin

from .models import Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Organisations with their members and each member's role."""

    list_display = ("name",)
    search_fields = ("name",)
    inlines = (MembershipInline,)
