from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from shoumen.core.api.base import ScopedGenericViewSet, ScopedReadOnlyViewSet
from shoumen.geo import services
from shoumen.geo.filters import NodeFilter, PlaceFilter
from shoumen.geo.models import Node, Place

from .serializers import NodeSerializer, PlaceSerializer


@extend_schema_view(
    list=extend_schema(summary="List jurisdictions you can see", tags=["geo"]),
    retrieve=extend_schema(summary="One jurisdiction", tags=["geo"]),
)
class NodeViewSet(ScopedReadOnlyViewSet):
    """The jurisdiction tree, limited to the subtrees where the user holds ``geo.view``.
    Read-only: the tree is maintained by administrators."""

    queryset = Node.objects.all()
    serializer_class = NodeSerializer
    filterset_class = NodeFilter
    ordering_fields = ["path", "code", "name"]
    ordering = ["path"]


@extend_schema_view(
    list=extend_schema(summary="List places", tags=["geo"]),
    retrieve=extend_schema(summary="One place", tags=["geo"]),
    create=extend_schema(summary="Add a place (needs geo.edit at its jurisdiction)", tags=["geo"]),
    update=extend_schema(summary="Replace a place (needs geo.edit)", tags=["geo"]),
    partial_update=extend_schema(summary="Change a place (needs geo.edit)", tags=["geo"]),
    destroy=extend_schema(summary="Delete a place nothing refers to (needs geo.edit)", tags=["geo"]),
)
class PlaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedGenericViewSet):
    """Buildings, small venues, checkpoints, isolation sites… Readable with ``geo.view``,
    writable with ``geo.edit`` both on the place and on the jurisdiction it is filed under.
    A place still referred to (an enterprise in the building) cannot be deleted (409): mark it
    ``active: false`` instead."""

    queryset = Place.objects.select_related("jurisdiction")
    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter
    action_capabilities = {"create": "geo.edit", "update": "geo.edit",
                           "partial_update": "geo.edit", "destroy": "geo.edit"}

    def _save(self, serializer, instance=None):
        serializer.instance = services.save_place(instance, dict(serializer.validated_data),
                                                  actor=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.delete_place(instance, actor=self.request.user)
