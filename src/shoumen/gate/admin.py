"""The gate in Django's admin: for administrators to look things up and fix a checkpoint.

Records that are facts — entries, refusals, fever follow-ups — are read-only
here; passes are issued and revoked, devices registered and revoked, alerts followed up on
the gate's pages (through the services, which check the rules).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from shoumen.core import authz
from shoumen.core.admin import ReadOnlyAdmin

from .alerts.models import FeverAlert, FeverFollowUp
from .checkpoints import services
from .checkpoints.models import Checkpoint, CheckpointDevice
from .entries.models import Entry, Refusal
from .passes.models import ResidentPass


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    """A checkpoint row comes with its place (kind *checkpoint*): add places, not these."""

    list_display = ["place", "jurisdiction_name", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["place__name"]
    list_select_related = ["place__jurisdiction"]
    raw_id_fields = ["place"]
    filter_horizontal = ["guards"]
    readonly_fields = ["place", "created_at"]

    @admin.display(description=_("jurisdiction"), ordering="place__jurisdiction__path")
    def jurisdiction_name(self, obj):
        return obj.place.jurisdiction.name

    def has_add_permission(self, request):
        return False


@admin.register(CheckpointDevice)
class CheckpointDeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "checkpoint", "registered_by", "created_at", "last_seen_at",
                    "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "checkpoint__place__name"]
    list_select_related = ["checkpoint__place", "registered_by"]
    readonly_fields = ["checkpoint", "name", "registered_by", "created_at", "last_seen_at",
                       "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected devices"))
    def revoke(self, request, queryset):
        try:
            for device in queryset.filter(revoked_at=None):
                services.revoke_device(device, actor=request.user)
        except authz.NotAllowed:
            messages.error(request, _("You may revoke devices only at checkpoints where you "
                                      "manage the gate."))
        else:
            messages.success(request, _("The selected devices can no longer register entries."))


@admin.register(ResidentPass)
class ResidentPassAdmin(ReadOnlyAdmin):
    list_display = ["number", "holder_display", "jurisdiction", "issued_at", "valid_until",
                    "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["=number"]
    list_select_related = ["jurisdiction"]
    exclude = ["qr_text", "qr_digest", "person"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "checkpoint", "direction", "temperature", "fever", "method",
                    "recorded_at"]
    list_filter = ["fever", "method", "direction"]
    search_fields = ["=uuid"]
    list_select_related = ["checkpoint__place"]
    raw_id_fields = ["person", "checkpoint", "resident_pass", "guard", "device"]
    # The table holds millions of rows: no exact count on every page.
    show_full_result_count = False


@admin.register(Refusal)
class RefusalAdmin(ReadOnlyAdmin):
    list_display = ["at", "checkpoint", "reason", "pass_number", "direction"]
    list_filter = ["reason"]
    search_fields = ["=pass_number", "=uuid"]
    list_select_related = ["checkpoint__place"]
    raw_id_fields = ["person", "checkpoint", "guard"]


class FeverFollowUpInline(admin.TabularInline):
    model = FeverFollowUp
    extra = 0
    can_delete = False
    fields = ["at", "stage", "temperature", "note", "by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FeverAlert)
class FeverAlertAdmin(ReadOnlyAdmin):
    """Follow-up happens on the alert's page, where the order of steps is kept."""

    list_display = ["measured_at", "checkpoint", "jurisdiction", "temperature", "stage",
                    "closed_at"]
    list_filter = ["stage"]
    list_select_related = ["checkpoint__place", "jurisdiction"]
    raw_id_fields = ["person", "entry", "checkpoint", "jurisdiction"]
    inlines = [FeverFollowUpInline]
