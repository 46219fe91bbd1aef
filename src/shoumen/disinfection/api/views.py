from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from shoumen.core.api.base import ScopedGenericViewSet

from .. import services
from ..filters import RecordFilter, SiteFilter
from ..models import Record, Site
from .serializers import RecordSerializer, SiteSerializer

TAGS = ["disinfection"]


class _ListCreate(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  ScopedGenericViewSet):
    pass


@extend_schema_view(
    list=extend_schema(summary="Disinfection and patrol sites", tags=TAGS),
    retrieve=extend_schema(summary="One site", tags=TAGS),
    create=extend_schema(summary="Set up a site and its duty (needs disinfection.manage)",
                         tags=TAGS),
)
class SiteViewSet(_ListCreate):
    queryset = Site.objects.select_related("place").order_by("name", "id")
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    action_capabilities = {"create": "disinfection.manage"}

    def perform_create(self, serializer):
        serializer.instance = services.create_site(actor=self.request.user,
                                                   **serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="The register: operations of a period (?since=, ?until=, "
                               "?place=, ?site=; the last 7 days by default)", tags=TAGS),
    retrieve=extend_schema(summary="One operation", tags=TAGS),
    create=extend_schema(summary="Record an operation (a trained person; JSON, or multipart "
                                 "with photos)", tags=TAGS),
)
class RecordViewSet(_ListCreate):
    queryset = Record.objects.order_by("-done_at", "-id")
    serializer_class = RecordSerializer
    filterset_class = RecordFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_capabilities = {"create": "disinfection.record"}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        site = data.pop("site")
        serializer.instance = services.record(site, actor=self.request.user,
                                              photos=self.request.FILES.getlist("photos"),
                                              **data)
