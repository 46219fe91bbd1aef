from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shoumen.core.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    """One audit row. ``before``/``after`` hold only the changed fields, personal data masked."""

    object_type = serializers.SerializerMethodField(
        help_text="The object's model as app_label.model, e.g. people.person.")
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    jurisdiction_name = serializers.CharField(source="jurisdiction.name", read_only=True,
                                              default=None)

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "actor_name", "action", "action_label", "content_type",
                  "object_type", "object_id", "object_repr", "jurisdiction", "jurisdiction_name",
                  "before", "after", "note", "request_id", "ip"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_object_type(self, event) -> str | None:
        ct = event.content_type
        return f"{ct.app_label}.{ct.model}" if ct else None
