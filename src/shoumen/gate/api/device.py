"""The device-facing gate API: what the checkpoint page (a guard's phone) calls.

Public signing keys; the offline lists; a checkpoint's context; checking a scanned pass;
looking a person up; registering one entry (the hot path) or an offline queue; registering
and revoking the phones themselves. A device token (``Authorization: Device smd_…``) works on
these endpoints only, and only for its own checkpoint; a signed-in user works at any
checkpoint of ``Checkpoint.objects.visible_to(user, "gate.register")``. The contract is
/tmp/brief/api-contract.md, summarised in each endpoint's schema.
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shoumen.core import authz
from shoumen.core.api.base import Conflict, ScopedGenericViewSet
from shoumen.core.api.routers import Router
from shoumen.core.ids import parse_id
from shoumen.people.models import Person

from .. import keys, passes, registration, services
from ..models import Checkpoint, CheckpointDevice, Direction, RefusalReason
from .auth import DeviceTokenAuthentication, device_of
from .serializers import (
    BatchRequestSerializer,
    BatchResultSerializer,
    CheckpointContextSerializer,
    DeviceCreatedSerializer,
    DeviceCreateRequestSerializer,
    DeviceSerializer,
    EntryOutcomeSerializer,
    EntryRequestSerializer,
    ErrorSerializer,
    LookupResultSerializer,
    OfflineListsSerializer,
    RefusedSerializer,
    ScanRequestSerializer,
    ScanResultSerializer,
    SigningKeySerializer,
    entry_data,
    iso_datetime,
    person_summary,
)

TAGS = ["gate: checkpoint"]
BATCH_MAX = 5000
QUICK_TEMPERATURES = ["36.2", "36.4", "36.5", "36.6", "36.8", "37.0"]

DEVICE_OR_USER = [DeviceTokenAuthentication, TokenAuthentication, SessionAuthentication]
USER_ONLY = [TokenAuthentication, SessionAuthentication]

_ERRORS_400 = OpenApiResponse(OpenApiTypes.OBJECT, description="Bad input: messages by field, "
                              "e.g. {\"temperature\": [\"…\"]}.")
_DENIED_403 = OpenApiResponse(ErrorSerializer, description="Not this device's checkpoint, or "
                              "not one the user may register at.")
_UNAUTHENTICATED_401 = OpenApiResponse(ErrorSerializer, description="No credentials, or an "
                                       "unknown or revoked device token.")


class GateDeviceView(APIView):
    """Base of the endpoints a checkpoint device may call: JSON in and out, no browsable
    renderer, no per-request schema or serializer work on the way in."""

    authentication_classes = DEVICE_OR_USER
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


# --- Helpers ---------------------------------------------------------------------------------



def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"non_field_errors": [
            _("Send a JSON object, e.g. {\"checkpoint\": 1, …}.")]})
    return request.data


def _checkpoint_for_write(request, raw) -> Checkpoint:
    """The checkpoint named in a request, if the caller may work there: 400 if it is not a
    checkpoint id at all; 403 (the same for unknown and someone else's, so that ids leak
    nothing) if it is not the device's own or not one the user may register at."""
    checkpoint_id = parse_id(raw)
    if checkpoint_id is None:
        raise exceptions.ValidationError({"checkpoint": [
            _("Give the checkpoint's id (a number).")]})
    device = device_of(request)
    if device is not None:
        if device.checkpoint_id == checkpoint_id:
            return device.checkpoint
        raise exceptions.PermissionDenied(_(
            "This phone is registered to the checkpoint “%(name)s” and can work there only.")
            % {"name": device.checkpoint.place.name})
    checkpoint = (Checkpoint.objects.visible_to(request.user, "gate.register").filter(pk=checkpoint_id)
                  .select_related("place").first())
    if checkpoint is None:
        raise exceptions.PermissionDenied(_(
            "You cannot register at checkpoint %(id)s: it is not one you guard or manage, or "
            "it does not exist.") % {"id": checkpoint_id})
    return checkpoint


def _refusal_labels() -> dict[str, str]:
    return {reason.value: str(reason.label) for reason in RefusalReason}


# --- Keys, lists, context --------------------------------------------------------------------


class KeysView(GateDeviceView):
    """The public keys that verify resident passes: the signing key and the recently retired
    ones. Public: a checkpoint caches them to verify passes offline."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=SigningKeySerializer(many=True), tags=TAGS, auth=[],
                   summary="Public keys that verify resident passes (no sign-in)")
    def get(self, request):
        data = SigningKeySerializer([keys.as_json(k) for k in keys.published()], many=True).data
        return Response(data)


class OfflineListsView(GateDeviceView):
    """Exceptions an offline checkpoint must know: revoked passes still in date, and passes
    whose holder may not go out."""

    @extend_schema(responses={200: OfflineListsSerializer, 401: _UNAUTHENTICATED_401,
                              403: _DENIED_403}, tags=TAGS,
                   summary="Revoked and confined pass numbers, for offline checking")
    def get(self, request):
        if device_of(request) is None and not authz.holds(request.user, "gate.register"):
            raise exceptions.PermissionDenied(_("Only checkpoint devices and people who register "
                                                "at a checkpoint get these lists."))
        return Response(OfflineListsSerializer(passes.offline_lists()).data)


class CheckpointContextView(GateDeviceView):
    """What the checkpoint page needs to start: the checkpoint, the fever threshold, the
    accepted temperature range, the retention period and the quick-temperature buttons."""

    @extend_schema(responses={200: CheckpointContextSerializer, 401: _UNAUTHENTICATED_401,
                              403: _DENIED_403, 404: ErrorSerializer}, tags=TAGS,
                   summary="A checkpoint's settings for its page")
    def get(self, request, checkpoint_id: int):
        checkpoint = self._checkpoint(request, checkpoint_id)
        place = checkpoint.place
        node = place.jurisdiction
        return Response({
            "checkpoint": {"id": checkpoint.pk, "name": place.name, "site_id": checkpoint.site_id,
                           "jurisdiction": {"id": node.pk, "name": node.name, "code": node.code}},
            "fever_threshold": float(settings.FEVER_THRESHOLD_C),
            "temperature_range": [float(t) for t in settings.TEMPERATURE_RANGE_C],
            "retention_days": settings.RETENTION_DAYS,
            "quick_temperatures": QUICK_TEMPERATURES,
        })

    def _checkpoint(self, request, checkpoint_id) -> Checkpoint:
        device = device_of(request)
        not_found = exceptions.NotFound(_("No such checkpoint."))
        if device is not None:
            if device.checkpoint_id != checkpoint_id:
                raise not_found
            return Checkpoint.objects.select_related("place__jurisdiction").get(pk=checkpoint_id)
        user = request.user
        found = (Checkpoint.objects.visible_to(user, "gate.register").filter(pk=checkpoint_id)
                 .select_related("place__jurisdiction").first())
        if found is not None:
            return found
        if Checkpoint.objects.visible_to(user, "gate.view").filter(pk=checkpoint_id).exists():
            raise exceptions.PermissionDenied(_("You may see this checkpoint but not register "
                                                "entries at it."))
        raise not_found


# --- Scan check and look-up ------------------------------------------------------------------


class ScanView(GateDeviceView):
    """Check a scanned pass without registering anything: is it ours, in date, not revoked,
    and may the holder go this way? The online preview before the guard confirms."""

    @extend_schema(request=ScanRequestSerializer,
                   responses={200: ScanResultSerializer, 400: _ERRORS_400,
                              401: _UNAUTHENTICATED_401, 403: _DENIED_403},
                   tags=TAGS, summary="Check a pass (nothing is stored)")
    def post(self, request):
        data = _body(request)
        _checkpoint_for_write(request, data.get("checkpoint"))
        errors = {}
        qr_text, direction = data.get("qr_text"), data.get("direction")
        if not isinstance(qr_text, str) or not qr_text.strip():
            errors["qr_text"] = [_("Send the scanned pass as text (it starts with “SM1:”).")]
        if direction not in Direction.values:
            errors["direction"] = [_("Direction must be “in” or “out”.")]
        if errors:
            raise exceptions.ValidationError(errors)
        try:
            checked = passes.check_pass(qr_text, direction=direction)
        except passes.Refused as refused:
            return Response({"ok": False, "reason": str(refused.reason),
                             "message": refused.message, "detail": refused.detail,
                             "person": (person_summary(refused.person, for_guard=True)
                                        if refused.person else None)})
        found = checked.resident_pass
        return Response({"ok": True, "person": person_summary(checked.person, for_guard=True),
                         "pass": {"number": found.number,
                                  "valid_until": iso_datetime(found.valid_until)}})


class LookupView(GateDeviceView):
    """A person without a pass at hand: by pass number, phone, ID number, or the last 4–6
    characters of an ID number (within the checkpoint's community)."""

    @extend_schema(parameters=[
        OpenApiParameter("checkpoint", int, required=True, description="Checkpoint id."),
        OpenApiParameter("q", str, required=True,
                         description="Pass number, phone, ID number or its last 4–6 characters."),
    ], responses={200: LookupResultSerializer, 400: _ERRORS_400, 401: _UNAUTHENTICATED_401,
                  403: _DENIED_403}, tags=TAGS, summary="Look a person up at the gate")
    def get(self, request):
        checkpoint = _checkpoint_for_write(request, request.query_params.get("checkpoint"))
        query = request.query_params.get("q", "")[:40]
        people = registration.lookup(query, checkpoint=checkpoint)
        return Response({"results": [person_summary(p, for_guard=True) for p in people]})


# --- Registration ----------------------------------------------------------------------------


_REGISTRATION_200 = PolymorphicProxySerializer(
    component_name="EntryDuplicateOrRefused",
    serializers=[EntryOutcomeSerializer, RefusedSerializer],
    resource_type_field_name=None,
)


class EntryView(GateDeviceView):
    """Register one person through a checkpoint: the guard scanned a pass (``qr_text``),
    picked a person found by look-up (``person``) or typed in a visitor (``visitor``).

    201 ``stored``; 200 ``duplicate`` (this uuid was stored before: nothing is written twice);
    200 ``refused`` (forged, tampered, expired or revoked pass, or a status that forbids going
    out: logged as a refusal); 400 with messages by field; 403 for a checkpoint that is not
    the caller's. A temperature at or above the fever threshold is stored with ``fever: true``
    and raises a fever alert for the person's community.
    """

    @extend_schema(request=EntryRequestSerializer,
                   responses={201: EntryOutcomeSerializer, 200: _REGISTRATION_200,
                              400: _ERRORS_400, 401: _UNAUTHENTICATED_401, 403: _DENIED_403,
                              409: ErrorSerializer},
                   tags=TAGS, summary="Register one entry (the gate's hot path)")
    def post(self, request):
        data = _body(request)
        checkpoint = _checkpoint_for_write(request, data.get("checkpoint"))
        person, errors = None, {}
        if not data.get("uuid"):
            errors["uuid"] = [_("Send the uuid the phone made for this entry, so that a retry "
                                "stores it once.")]
        raw_person = data.get("person")
        if raw_person not in (None, ""):
            person_id = parse_id(raw_person)
            if person_id is not None:
                person = (Person.objects.select_related("jurisdiction__parent")
                          .filter(pk=person_id).first())
            if person is None:
                errors["person"] = [_("No such person: look them up again.")]
        try:
            if errors:  # report every bad field at once, not the first kind found
                registration.validate_input(
                    uuid=data.get("uuid") or None, direction=data.get("direction"),
                    at=data.get("at"), temperature=data.get("temperature"),
                    sources=(data.get("qr_text"), raw_person, data.get("visitor")),
                    visitor_prefix="visitor.")
                raise exceptions.ValidationError(errors)
            outcome = registration.register(
                checkpoint=checkpoint, actor=request.user, device=device_of(request),
                direction=data.get("direction"), temperature=data.get("temperature"),
                qr_text=data.get("qr_text") or "", person=person,
                visitor=data.get("visitor") or None, uuid=data.get("uuid"), at=data.get("at"))
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({**_field_errors(exc), **errors}) from None
        code, body = registration_answer(outcome, checkpoint.pk)
        return Response(body, status=code)


def registration_answer(outcome: registration.Outcome, checkpoint_id: int) -> tuple[int, dict]:
    """The HTTP status and body answering one registration (this view and the fast lane,
    :mod:`shoumen.gate.fastlane`, answer alike). Raises Conflict for a uuid reused at
    another checkpoint."""
    entry = outcome.entry
    if entry is not None:
        if outcome.duplicate and entry.checkpoint_id != checkpoint_id:
            raise Conflict(_("This uuid was already used for an entry at another "
                             "checkpoint: make a new uuid for each entry."))
        return (status.HTTP_200_OK if outcome.duplicate else status.HTTP_201_CREATED,
                {"status": "duplicate" if outcome.duplicate else "stored",
                 "entry": entry_data(entry)})
    refusal = outcome.refusal
    holder = outcome.person if outcome.person is not None else refusal.person
    return status.HTTP_200_OK, {
        "status": "refused", "reason": refusal.reason,
        "message": str(refusal.get_reason_display()), "detail": refusal.detail,
        "person": person_summary(holder, for_guard=True) if holder is not None else None}


_VISITOR_FIELDS = frozenset({"name", "phone", "id_number", "reason", "visiting"})


def _field_errors(exc: DjangoValidationError) -> dict:
    """The service's errors as the API names the fields (a visitor's as ``visitor.name``)."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {("non_field_errors" if key == "__all__" else
             f"visitor.{key}" if key in _VISITOR_FIELDS else key): messages
            for key, messages in exc.message_dict.items()}


class BatchView(GateDeviceView):
    """Upload an offline checkpoint's queue: each item as the single endpoint's body.

    Every item stands alone: bad items come back ``invalid`` with their errors, refused ones
    ``refused`` (and logged), and the good ones are stored. Idempotent on each item's uuid,
    so a retried upload stores nothing twice (``duplicate``). An item for a checkpoint that is
    not the caller's is ``invalid`` with ``errors.checkpoint``.
    """

    @extend_schema(request=BatchRequestSerializer,
                   responses={200: BatchResultSerializer, 400: _ERRORS_400,
                              401: _UNAUTHENTICATED_401},
                   tags=TAGS, summary="Upload queued entries (at most 5,000 per request)")
    def post(self, request):
        data = request.data
        items = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise exceptions.ValidationError({"entries": [
                _("Send {\"entries\": [ … ]}: a list of entries, each like the body of "
                  "POST /api/gate/entries/.")]})
        if len(items) > BATCH_MAX:
            raise exceptions.ValidationError({"entries": [
                _("At most %(max)s entries per upload, and this one has %(n)s: split the queue "
                  "into several uploads.") % {"max": f"{BATCH_MAX:,}", "n": f"{len(items):,}"}]})
        device = device_of(request)
        if device is not None:
            allowed = Checkpoint.objects.filter(pk=device.checkpoint_id, active=True)
        else:
            named = {parse_id(item.get("checkpoint")) for item in items
                     if isinstance(item, dict)}
            allowed = Checkpoint.objects.visible_to(request.user, "gate.register").filter(
                pk__in=named - {None})
        results = registration.register_batch(items, actor=request.user, device=device,
                                              allowed_checkpoints=allowed)
        labels = _refusal_labels()
        counts = dict.fromkeys(("stored", "duplicate", "refused", "invalid"), 0)
        rows = []
        for r in results:
            counts[r.status] += 1
            rows.append({"index": r.index, "uuid": r.uuid, "status": r.status,
                         "errors": r.errors, "refusal": r.refusal,
                         "message": labels.get(r.refusal) if r.refusal else None,
                         "fever": r.fever})
        return Response({"results": rows, "counts": counts})


# --- Devices ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Registered checkpoint phones (needs gate.manage)", tags=TAGS),
    retrieve=extend_schema(summary="One registered phone (needs gate.manage)", tags=TAGS),
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
                   responses={201: DeviceCreatedSerializer, 400: _ERRORS_400, 403: _DENIED_403},
                   tags=TAGS, summary="Register this phone at a checkpoint (token shown once)")
    def create(self, request):
        body = DeviceCreateRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        checkpoint = _checkpoint_for_write(request, body.validated_data["checkpoint"])
        device, token = services.register_device(checkpoint, actor=request.user,
                                                 name=body.validated_data.get("name", ""))
        device.token = token
        return Response(DeviceCreatedSerializer(device).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DeviceSerializer, 403: _DENIED_403,
                                            404: ErrorSerializer},
                   tags=TAGS, summary="Revoke a phone's token (needs gate.manage)")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        device = services.revoke_device(self.get_object(), actor=request.user)
        return Response(DeviceSerializer(device).data)


router = Router()
router.register("devices", DeviceViewSet, basename="api-gate-device")

urlpatterns = [
    path("keys/", KeysView.as_view(), name="api-gate-keys"),
    path("offline-lists/", OfflineListsView.as_view(), name="api-gate-offline-lists"),
    path("checkpoints/<id:checkpoint_id>/context/", CheckpointContextView.as_view(),
         name="api-gate-checkpoint-context"),
    path("scan/", ScanView.as_view(), name="api-gate-scan"),
    path("lookup/", LookupView.as_view(), name="api-gate-lookup"),
    path("entries/", EntryView.as_view(), name="api-gate-entries"),
    path("entries/batch/", BatchView.as_view(), name="api-gate-entries-batch"),
    *router.urls,
]
