from django.contrib import admin

from .models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "jurisdiction", "building", "status"]
    list_filter = ["status"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["jurisdiction", "building"]
    # The status moves only along declaring.STATUS_FLOW, on the enterprise's page or the API.
    readonly_fields = ["status"]
