"""The checkpoint page's API (keys, offline lists, scan check, look-up, entries, batches),
usable with a device token, and the entry log and refusals."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, permissions, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shoumen.core import authz
from shoumen.core.api.base import Conflict, ScopedGenericViewSet, ScopedReadOnlyViewSet
from shoumen.core.api.routers import Router
from shoumen.core.ids import parse_id
from shoumen.credentials import keys
from shoumen.people.models import Person

from ..api.common import (
    DENIED_403,
    DEVICE_TAGS,
    ERRORS_400,
    PERSON_WITH_JURISDICTION,
    TAGS,
    UNAUTHENTICATED_401,
    ErrorSerializer,
    iso_datetime,
    person_summary,
)
from ..checkpoints.auth import DeviceTokenAuthentication, checkpoint_for_write, device_of
from ..checkpoints.models import Checkpoint
from ..passes import services as passes
from . import services as registration
from .filters import EntryFilter, RefusalFilter
from .models import Direction, Entry, Refusal, RefusalReason
from .serializers import (
    BatchRequestSerializer,
    BatchResultSerializer,
    CheckpointContextSerializer,
    EntryLogSerializer,
    EntryOutcomeSerializer,
    EntryRequestSerializer,
    LookupResultSerializer,
    OfflineListsSerializer,
    RefusalSerializer,
    RefusedSerializer,
    ScanRequestSerializer,
    ScanResultSerializer,
    SigningKeySerializer,
    entry_data,
)

BATCH_MAX = 5000
QUICK_TEMPERATURES = ["36.2", "36.4", "36.5", "36.6", "36.8", "37.0"]
DEVICE_OR_USER = [DeviceTokenAuthentication, TokenAuthentication, SessionAuthentication]


class GateDeviceView(APIView):
    """Base of the endpoints a checkpoint device may call: JSON in and out, no browsable
    renderer, no per-request schema or serializer work on the way in."""

    authentication_classes = DEVICE_OR_USER
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"non_field_errors": [
            _("Send a JSON object, e.g. {\"checkpoint\": 1, …}.")]})
    return request.data


def _refusal_labels() -> dict[str, str]:
    return {reason.value: str(reason.label) for reason in RefusalReason}


class KeysView(GateDeviceView):
    """The public keys that verify resident passes: the signing key and the recently retired
    ones. Public: a checkpoint caches them to verify passes offline."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=SigningKeySerializer(many=True), tags=DEVICE_TAGS, auth=[],
                   summary="Public keys that verify resident passes (no sign-in)")
    def get(self, request):
        data = SigningKeySerializer([keys.as_json(k) for k in keys.published()], many=True).data
        return Response(data)


class OfflineListsView(GateDeviceView):
    """Exceptions an offline checkpoint must know: revoked passes still in date, and passes
    whose holder may not go out."""

    @extend_schema(responses={200: OfflineListsSerializer, 401: UNAUTHENTICATED_401,
                              403: DENIED_403}, tags=DEVICE_TAGS,
                   summary="Revoked and confined pass numbers, for offline checking")
    def get(self, request):
        if device_of(request) is None and not authz.holds(request.user, "gate.register"):
            raise exceptions.PermissionDenied(_("Only checkpoint devices and people who register "
                                                "at a checkpoint get these lists."))
        return Response(OfflineListsSerializer(passes.offline_lists()).data)


class CheckpointContextView(GateDeviceView):
    """What the checkpoint page needs to start: the checkpoint, the fever threshold, the
    accepted temperature range, the retention period and the quick-temperature buttons."""

    @extend_schema(responses={200: CheckpointContextSerializer, 401: UNAUTHENTICATED_401,
                              403: DENIED_403, 404: ErrorSerializer}, tags=DEVICE_TAGS,
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


class ScanView(GateDeviceView):
    """Check a scanned pass without registering anything: is it ours, in date, not revoked,
    and may the holder go this way? The online preview before the guard confirms."""

    @extend_schema(request=ScanRequestSerializer,
                   responses={200: ScanResultSerializer, 400: ERRORS_400,
                              401: UNAUTHENTICATED_401, 403: DENIED_403},
                   tags=DEVICE_TAGS, summary="Check a pass (nothing is stored)")
    def post(self, request):
        data = _body(request)
        checkpoint_for_write(request, data.get("checkpoint"))
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
    ], responses={200: LookupResultSerializer, 400: ERRORS_400, 401: UNAUTHENTICATED_401,
                  403: DENIED_403}, tags=DEVICE_TAGS, summary="Look a person up at the gate")
    def get(self, request):
        checkpoint = checkpoint_for_write(request, request.query_params.get("checkpoint"))
        query = request.query_params.get("q", "")[:40]
        people = registration.lookup(query, checkpoint=checkpoint)
        return Response({"results": [person_summary(p, for_guard=True) for p in people]})


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
                              400: ERRORS_400, 401: UNAUTHENTICATED_401, 403: DENIED_403,
                              409: ErrorSerializer},
                   tags=DEVICE_TAGS, summary="Register one entry (the gate's hot path)")
    def post(self, request):
        data = _body(request)
        checkpoint = checkpoint_for_write(request, data.get("checkpoint"))
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
    :mod:`shoumen.gate.entries.fastlane`, answer alike). Raises Conflict for a uuid reused at
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
                   responses={200: BatchResultSerializer, 400: ERRORS_400,
                              401: UNAUTHENTICATED_401},
                   tags=DEVICE_TAGS, summary="Upload queued entries (at most 5,000 per request)")
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


@extend_schema_view(
    list=extend_schema(summary="The entry log (who passed where and when)", tags=TAGS),
    retrieve=extend_schema(summary="One entry", tags=TAGS),
)
class EntryLogViewSet(ScopedReadOnlyViewSet):
    """Entries at checkpoints in the user's jurisdictions (``gate.view``), newest first,
    people masked. Filters: ``checkpoint``, ``person`` (ids), ``since``/``until`` (ISO 8601
    date-times), ``date`` (one day), ``fever``, ``direction``. Entries older than the
    retention period are gone."""

    queryset = (Entry.objects.select_related("checkpoint__place").prefetch_related(PERSON_WITH_JURISDICTION)
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

    queryset = (Refusal.objects.select_related("checkpoint__place").prefetch_related(PERSON_WITH_JURISDICTION)
                .order_by("-at", "-id"))
    serializer_class = RefusalSerializer
    filterset_class = RefusalFilter
    filter_backends = ScopedGenericViewSet.filter_backends


router = Router()
router.register("entry-log", EntryLogViewSet, basename="api-gate-entry-log")
router.register("refusals", RefusalViewSet, basename="api-gate-refusal")

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
