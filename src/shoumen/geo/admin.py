from django.contrib import admin

from .models import Node, Place


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]
    raw_id_fields = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        # Nodes do not move once created: their path is baked into every subtree query.
        return [*self.readonly_fields, "parent"] if obj else self.readonly_fields


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "jurisdiction", "property_company", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "address"]
    raw_id_fields = ["jurisdiction", "building"]
