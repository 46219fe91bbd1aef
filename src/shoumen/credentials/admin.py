from django.contrib import admin

from shoumen.core.admin import ReadOnlyAdmin

from .models import SigningKey


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "created_at", "retired_at"]
    fields = ["kid", "created_at", "retired_at"]
