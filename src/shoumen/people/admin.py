from django.contrib import admin

from .models import Person, PersonTag, StatusChange


@admin.register(PersonTag)
class PersonTagAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_key_person"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Read-only here: people are edited in the app, where numbers are validated and reveals
    are audited. The admin never shows full ID or phone numbers."""

    list_display = ["name", "id_number_masked", "phone_masked", "jurisdiction", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "name_initials"]
    fields = ["name", "id_number_masked", "phone_masked", "gender", "birth_date", "jurisdiction",
              "address", "household", "kind", "status", "status_since", "tags", "note"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["person", "from_status", "to_status", "changed_by", "changed_at"]
    list_filter = ["to_status"]
    raw_id_fields = ["person"]

    def has_change_permission(self, request, obj=None):
        return False
