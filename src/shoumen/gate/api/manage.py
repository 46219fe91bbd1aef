"""API: checkpoints and their guards, the entry log, refusals, fever alerts and follow-up.

Every list starts from ``visible_to(request.user)``: a checkpoint, entry, refusal or alert
outside the user's jurisdictions is a 404. Writes go through :mod:`shoumen.gate.services`.

The entry log is ``GET /api/gate/entry-log/`` — not ``/api/gate/entries/``, which is the
devices' registration endpoint (POST) in :mod:`.device`.
"""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shoumen.core.api.base import ScopedGenericViewSet, ScopedReadOnlyViewSet
from shoumen.core.api.routers import Router
from shoumen.people.models import Person

from .. import services
from ..filters import OPEN_FIRST, CheckpointFilter, EntryFilter, FeverAlertFilter, RefusalFilter
from ..models import Checkpoint, CheckpointDevice, Entry, FeverAlert, FeverFollowUp, Refusal
from .manage_serializers import (
    CheckpointCreateSerializer,
    CheckpointSerializer,
    EntryLogSerializer,
    FeverAlertDetailSerializer,
    FeverAlertSerializer,
    FollowUpRequestSerializer,
    GuardsSerializer,
    RefusalSerializer,
)

TAGS = ["gate"]
_PERSON = Prefetch("person", queryset=Person.objects.select_related("jurisdiction"))


def _active_devices():
    rows = (CheckpointDevice.objects.filter(checkpoint=OuterRef("pk"), revoked_at=None)
            .order_by().values("checkpoint").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@extend_schema_view(
    list=extend_schema(summary="List checkpoints", tags=TAGS),
    retrieve=extend_schema(summary="One checkpoint, with its guards", tags=TAGS),
    create=extend_schema(summary="Add a checkpoint (needs gate.manage there)", tags=TAGS,
                         request=CheckpointCreateSerializer,
                         responses={201: CheckpointSerializer}),
)
class CheckpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, ScopedGenericViewSet):
    """Checkpoints in the user's jurisdictions (``gate.view``). Filters: ``q`` (name),
    ``node`` (jurisdiction subtree), ``site`` (``gate`` or ``lobby``), ``active``."""

    queryset = (Checkpoint.objects.select_related("place__jurisdiction", "place__building")
                .prefetch_related("guards").annotate(active_devices=_active_devices()))
    serializer_class = CheckpointSerializer
    filterset_class = CheckpointFilter
    action_capabilities = {"create": "gate.manage", "guards": "gate.manage"}

    def create(self, request, *args, **kwargs):
        body = CheckpointCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        checkpoint = services.create_checkpoint(actor=request.user, **body.validated_data)
        checkpoint = self.get_queryset().get(pk=checkpoint.pk)
        return Response(self.get_serializer(checkpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GuardsSerializer, responses=CheckpointSerializer, tags=TAGS,
                   summary="Replace the checkpoint's guards (needs gate.manage)")
    @action(detail=True, methods=["post"], filter_backends=[])
    def guards(self, request, pk=None):
        """Set the guards to exactly the users listed. Each must hold the checkpoint guard
        role in the checkpoint's community (or above or below it); otherwise nothing
        changes and the answer (400) names who cannot guard here."""
        checkpoint = self.get_object()
        body = GuardsSerializer(data=request.data, context={"checkpoint": checkpoint})
        body.is_valid(raise_exception=True)
        services.set_guards(checkpoint, body.validated_data["guards"], actor=request.user)
        checkpoint = self.get_queryset().get(pk=checkpoint.pk)
        return Response(self.get_serializer(checkpoint).data)


@extend_schema_view(
    list=extend_schema(summary="The entry log (who passed where and when)", tags=TAGS),
    retrieve=extend_schema(summary="One entry", tags=TAGS),
)
class EntryLogViewSet(ScopedReadOnlyViewSet):
    """Entries at checkpoints in the user's jurisdictions (``gate.view``), newest first,
    people masked. Filters: ``checkpoint``, ``person`` (ids), ``since``/``until`` (ISO 8601
    date-times), ``date`` (one day), ``fever``, ``direction``. Entries older than the
    retention period are gone."""

    queryset = (Entry.objects.select_related("checkpoint__place").prefetch_related(_PERSON)
                .order_by("-at", "-id"))
    serializer_class = EntryLogSerializer
    filterset_class = EntryFilter
    filter_backends = ScopedGenericViewSet.filter_backends


@extend_schema_view(
    list=extend_schema(summary="Refusals at the gate", tags=TAGS),
    retrieve=extend_schema(summary="One refusal", tags=TAGS),
)
class RefusalViewSet(ScopedReadOnlyViewSet):
    """People turned away at checkpoints in the user's jurisdictions (``gate.view``), newest
    first. Filters: ``checkpoint``, ``reason``, ``node``, ``date``."""

    queryset = (Refusal.objects.select_related("checkpoint__place").prefetch_related(_PERSON)
                .order_by("-at", "-id"))
    serializer_class = RefusalSerializer
    filterset_class = RefusalFilter
    filter_backends = ScopedGenericViewSet.filter_backends


@extend_schema_view(
    list=extend_schema(summary="Fever alerts, open first", tags=TAGS),
    retrieve=extend_schema(summary="One fever alert with its follow-up", tags=TAGS),
)
class FeverAlertViewSet(ScopedReadOnlyViewSet):
    """Fever alerts in the user's jurisdictions (``gate.alerts``): open ones first, then
    newest. Filters: ``stage``, ``is_open``, ``node``, ``date``."""

    queryset = (FeverAlert.objects
                .select_related("checkpoint__place", "jurisdiction", "entry")
                .prefetch_related(_PERSON, Prefetch(
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
router.register("checkpoints", CheckpointViewSet, basename="api-gate-checkpoint")
router.register("entry-log", EntryLogViewSet, basename="api-gate-entry-log")
router.register("refusals", RefusalViewSet, basename="api-gate-refusal")
router.register("fever-alerts", FeverAlertViewSet, basename="api-gate-fever-alert")

urlpatterns = router.urls
