from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from shoumen.core.api.base import ScopedGenericViewSet
from shoumen.resumption import services
from shoumen.resumption.filters import EnterpriseFilter
from shoumen.resumption.models import Enterprise

from .serializers import EnterpriseSerializer

TAGS = ["enterprises"]


@extend_schema_view(
    list=extend_schema(summary="List enterprises", tags=TAGS),
    retrieve=extend_schema(summary="One enterprise", tags=TAGS),
    create=extend_schema(summary="Register an enterprise (needs enterprises.edit at its "
                                 "jurisdiction)", tags=TAGS),
    update=extend_schema(summary="Replace an enterprise's details (needs enterprises.edit)",
                         tags=TAGS),
    partial_update=extend_schema(summary="Change an enterprise's details (needs "
                                         "enterprises.edit)", tags=TAGS),
)
class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, ScopedGenericViewSet):
    """Enterprises in the user's jurisdictions (``enterprises.view``); an enterprise liaison
    sees and edits only their own enterprise. No DELETE: an enterprise's resumption record
    is kept; its status says whether it operates."""

    queryset = Enterprise.objects.select_related("jurisdiction")
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    action_capabilities = {"create": "enterprises.edit", "update": "enterprises.edit",
                           "partial_update": "enterprises.edit"}

    def _save(self, serializer, instance=None):
        serializer.instance = services.save_enterprise(instance, dict(serializer.validated_data),
                                                       actor=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)
