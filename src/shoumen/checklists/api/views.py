from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shoumen.core.api.base import ScopedGenericViewSet

from .. import services
from ..models import Checklist
from .serializers import ChecklistSerializer, RevisionSerializer, VersionSerializer

TAGS = ["checklists"]


@extend_schema_view(
    list=extend_schema(summary="Checklist templates with their current version", tags=TAGS),
    retrieve=extend_schema(summary="One template", tags=TAGS),
    create=extend_schema(summary="A new template and its version 1 (needs checklists.manage)",
                         tags=TAGS),
)
class ChecklistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       ScopedGenericViewSet):
    queryset = Checklist.objects.prefetch_related("versions__items").order_by("name", "id")
    serializer_class = ChecklistSerializer
    action_capabilities = {"create": "checklists.manage", "versions": "checklists.manage"}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        version = services.create_checklist(actor=self.request.user, **data)
        serializer.instance = version.checklist

    @extend_schema(summary="Every version of the template, newest first (GET); publish the next "
                           "(POST: its items, optionally a new name)", tags=TAGS,
                   request=RevisionSerializer, responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def versions(self, request, pk=None):
        checklist = self.get_object()
        if request.method == "GET":
            versions = checklist.versions.prefetch_related("items").order_by("-number")
            return Response(VersionSerializer(versions, many=True).data)
        revision = RevisionSerializer(data=request.data)
        revision.is_valid(raise_exception=True)
        version = services.revise_checklist(checklist, actor=request.user,
                                            **revision.validated_data)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    def get_permissions(self):
        if self.action == "versions" and self.request.method == "GET":
            self.action_capabilities = {}  # reading the versions needs only the template
        return super().get_permissions()
