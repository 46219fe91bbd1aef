from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from shoumen.accounts.models import Training
from shoumen.accounts.teams import record_training
from shoumen.core.api.base import ScopedGenericViewSet, ScopedReadOnlyViewSet

from .. import services
from ..filters import WindowFilter
from ..models import Duty, Window
from .serializers import ComplianceSerializer, DutySerializer, TrainingSerializer, WindowSerializer

TAGS = ["duties"]


@extend_schema_view(
    list=extend_schema(summary="Duties in your jurisdictions", tags=TAGS),
    retrieve=extend_schema(summary="One duty", tags=TAGS),
    create=extend_schema(summary="Set a duty (needs duties.manage at its jurisdiction); today's "
                                 "windows not yet ended are laid out at once", tags=TAGS),
)
class DutyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  ScopedGenericViewSet):
    queryset = Duty.objects.select_related("jurisdiction")
    serializer_class = DutySerializer
    action_capabilities = {"create": "duties.manage"}

    def perform_create(self, serializer):
        serializer.instance = services.create_duty(actor=self.request.user,
                                                   **serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="A day's duty windows (today unless ?day=)", tags=TAGS),
    retrieve=extend_schema(summary="One window", tags=TAGS),
)
class WindowViewSet(ScopedReadOnlyViewSet):
    queryset = Window.objects.select_related("duty").order_by("starts_at", "id")
    serializer_class = WindowSerializer
    filterset_class = WindowFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(summary="Compliance of the filtered windows: due, done, late, missed, rate",
                   responses=ComplianceSerializer, tags=TAGS)
    @action(detail=False, methods=["get"])
    def compliance(self, request):
        windows = self.filter_queryset(self.get_queryset())
        return Response(ComplianceSerializer(services.counts(windows)).data)


@extend_schema_view(
    list=extend_schema(summary="Staff trainings in your jurisdictions, those running out first",
                       tags=TAGS),
    retrieve=extend_schema(summary="One training", tags=TAGS),
    create=extend_schema(summary="Record a training (needs duties.manage)", tags=TAGS),
)
class TrainingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      ScopedGenericViewSet):
    queryset = Training.objects.order_by("valid_until", "id")
    serializer_class = TrainingSerializer
    scope_capability = "duties.view"
    action_capabilities = {"create": "duties.manage"}

    def perform_create(self, serializer):
        serializer.instance = record_training(actor=self.request.user,
                                              **serializer.validated_data)
