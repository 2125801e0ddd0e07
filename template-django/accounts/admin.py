from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User

# Django's UserAdmin already handles passwords safely (hashing, the change form).
admin.site.register(User, UserAdmin)
