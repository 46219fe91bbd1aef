"""Fever alerts and their follow-up through the API."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from shoumen.core.api.base import ScopedGenericViewSet, ScopedReadOnlyViewSet
from shoumen.core.api.routers import Router

from ..api.common import PERSON_WITH_JURISDICTION, TAGS
from . import services
from .filters import OPEN_FIRST, FeverAlertFilter
from .models import FeverAlert, FeverFollowUp
from .serializers import (
    FeverAlertDetailSerializer,
    FeverAlertSerializer,
    FollowUpRequestSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Fever alerts, open first", tags=TAGS),
    retrieve=extend_schema(summary="One fever alert with its follow-up", tags=TAGS),
)
class FeverAlertViewSet(ScopedReadOnlyViewSet):
    """Fever alerts in the user's jurisdictions (``gate.alerts``): open ones first, then
    newest. Filters: ``stage``, ``is_open``, ``node``, ``date``."""

    queryset = (FeverAlert.objects
                .select_related("checkpoint__place", "jurisdiction", "entry")
                .prefetch_related(PERSON_WITH_JURISDICTION, Prefetch(
                    "follow_ups", queryset=FeverFollowUp.objects.select_related("by")))
                .order_by(OPEN_FIRST, "-measured_at", "-id"))
    serializer_class = FeverAlertSerializer
    filterset_class = FeverAlertFilter
    filter_backends = ScopedGenericViewSet.filter_backends

    def get_serializer_class(self):
        return FeverAlertDetailSerializer if self.action != "list" else FeverAlertSerializer

    @extend_schema(request=FollowUpRequestSerializer, responses=FeverAlertDetailSerializer,
                   tags=TAGS, summary="Record the next follow-up step")
    @action(detail=True, methods=["post"], url_path="follow-up", filter_backends=[])
    def follow_up(self, request, pk=None):
        """Re-measured (with ``temperature``), sent to a fever clinic (with ``clinic``) or
        cleared (closes the alert). Steps go forward only; a step that cannot follow, or a
        closed alert, is a 400 that says which steps may."""
        alert = self.get_object()
        body = FollowUpRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.follow_up(alert, actor=request.user, **body.validated_data)
        return Response(FeverAlertDetailSerializer(self.get_queryset().get(pk=alert.pk),
                                                   context=self.get_serializer_context()).data)


router = Router()
router.register("fever-alerts", FeverAlertViewSet, basename="api-gate-fever-alert")

urlpatterns = router.urls
