from drf_spectacular.utils import extend_schema, extend_schema_view

from shoumen.core.api.base import ScopedReadOnlyViewSet
from shoumen.core.filters import AuditEventFilter
from shoumen.core.models import AuditEvent

from .serializers import AuditEventSerializer


@extend_schema_view(
    list=extend_schema(summary="List audit events", tags=["audit"]),
    retrieve=extend_schema(summary="One audit event", tags=["audit"]),
)
class AuditEventViewSet(ScopedReadOnlyViewSet):
    """The audit trail, filed by jurisdiction: needs ``audit.view``; read-only (the application
    never changes or deletes audit rows)."""

    queryset = AuditEvent.objects.select_related("content_type", "jurisdiction")
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    action_capabilities = {"list": "audit.view", "retrieve": "audit.view"}
    ordering_fields = ["at", "id"]
    ordering = ["-at", "-id"]
