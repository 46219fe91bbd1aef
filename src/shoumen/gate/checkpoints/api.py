"""Checkpoints, their guards and devices through the API."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shoumen.core.api.base import ScopedGenericViewSet
from shoumen.core.api.routers import Router

from ..api.common import DENIED_403, DEVICE_TAGS, ERRORS_400, TAGS, USER_ONLY, ErrorSerializer
from . import services
from .auth import checkpoint_for_write
from .filters import CheckpointFilter
from .models import Checkpoint, CheckpointDevice
from .serializers import (
    CheckpointCreateSerializer,
    CheckpointSerializer,
    DeviceCreatedSerializer,
    DeviceCreateRequestSerializer,
    DeviceSerializer,
    GuardsSerializer,
)


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
    list=extend_schema(summary="Registered checkpoint phones (needs gate.manage)", tags=DEVICE_TAGS),
    retrieve=extend_schema(summary="One registered phone (needs gate.manage)", tags=DEVICE_TAGS),
)
class DeviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Phones registered to checkpoints. A guard registers their phone at a checkpoint they
    may register at and gets its token once; community staff (``gate.manage``) list and
    revoke them. Device tokens themselves cannot use these endpoints."""

    queryset = CheckpointDevice.objects.select_related("checkpoint__place", "registered_by")
    serializer_class = DeviceSerializer
    scope_capability = "gate.manage"
    action_capabilities = {"list": "gate.manage", "retrieve": "gate.manage",
                           "revoke": "gate.manage"}
    authentication_classes = USER_ONLY
    filterset_fields = ["checkpoint"]

    @extend_schema(request=DeviceCreateRequestSerializer,
                   responses={201: DeviceCreatedSerializer, 400: ERRORS_400, 403: DENIED_403},
                   tags=DEVICE_TAGS, summary="Register this phone at a checkpoint (token shown once)")
    def create(self, request):
        body = DeviceCreateRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        checkpoint = checkpoint_for_write(request, body.validated_data["checkpoint"])
        device, token = services.register_device(checkpoint, actor=request.user,
                                                 name=body.validated_data.get("name", ""))
        device.token = token
        return Response(DeviceCreatedSerializer(device).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DeviceSerializer, 403: DENIED_403,
                                            404: ErrorSerializer},
                   tags=DEVICE_TAGS, summary="Revoke a phone's token (needs gate.manage)")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        device = services.revoke_device(self.get_object(), actor=request.user)
        return Response(DeviceSerializer(device).data)


router = Router()
router.register("checkpoints", CheckpointViewSet, basename="api-gate-checkpoint")
router.register("devices", DeviceViewSet, basename="api-gate-device")

urlpatterns = router.urls
