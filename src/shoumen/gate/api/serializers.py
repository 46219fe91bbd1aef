"""Shapes of the gate API (see /api/docs/): the person as a guard sees them (PERSON), an entry
(ENTRY), devices, and the request bodies of the checkpoint endpoints.

:class:`PersonSummarySerializer` and :class:`EntrySerializer` are meant to be reused by every
gate endpoint that shows a person or an entry. They declare their fields (for the schema and
for readers) but write their output by hand: the single-entry endpoint is the hot path, and
building a DRF field tree for each response costs more than the rest of the request.
Give them people loaded with ``select_related("jurisdiction__parent")`` (entries with
``select_related("person__jurisdiction__parent")``) so that ``community`` costs no query.
"""

from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shoumen.core.ids import IdSerializerField
from shoumen.geo.models import NodeKind
from shoumen.people.models import CONFINED_STATUSES, PersonKind, PersonStatus

from ..models import CheckpointDevice, Direction, Method, RefusalReason
from ..passes import mask_name

# --- What the guard sees ---------------------------------------------------------------------


def community_name(person) -> str:
    """The community a person belongs to (a grid's parent), as the guard knows it."""
    node = person.jurisdiction
    if node.kind == NodeKind.GRID and node.parent_id:
        return node.parent.name
    return node.name


def person_summary(person, *, for_guard: bool = False) -> dict:
    """PERSON: who is at the gate, with masked numbers only. ``for_guard``: as the guard's
    phone shows it, the name masked too (张*, 欧**明), the same whether the pass was checked
    online or offline (where the pass itself carries only the masked name)."""
    return {
        "id": person.pk,
        "name": mask_name(person.name) if for_guard else person.name,
        "id_number_masked": person.id_number_masked,
        "phone_masked": person.phone_masked,
        "status": person.status,
        "status_display": str(person.get_status_display()),
        "confined": person.status in CONFINED_STATUSES,
        "kind": person.kind,
        "community": community_name(person),
    }


_AT = serializers.DateTimeField()


def iso_datetime(value) -> str:
    """A datetime as every DRF response writes it (ISO 8601 in the active time zone)."""
    return _AT.to_representation(value)


def iso_from_epoch(seconds: float | None) -> str | None:
    """:func:`iso_datetime` of a time given as epoch seconds, without making the datetime
    twice (close-contact results carry tens of thousands of times)."""
    if seconds is None:
        return None
    value = datetime.fromtimestamp(seconds, timezone.get_current_timezone()).isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def entry_data(entry) -> dict:
    """ENTRY: one person through one checkpoint."""
    return {
        "id": entry.pk,
        "uuid": str(entry.uuid),
        "checkpoint": entry.checkpoint_id,
        "at": iso_datetime(entry.at),
        "direction": entry.direction,
        "temperature": str(entry.temperature),
        "fever": entry.fever,
        "method": entry.method,
        "person": person_summary(entry.person, for_guard=True),
    }


class PersonSummarySerializer(serializers.Serializer):
    """A person as the guard sees them (PERSON): numbers masked, status and whether it keeps
    them at home (``confined``: may come in, may not go out)."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Masked (张*, 欧**明) in what a checkpoint's phone "
                                 "receives; in full for staff (traces, contacts).")
    id_number_masked = serializers.CharField(help_text="e.g. 370102********1234")
    phone_masked = serializers.CharField(help_text="e.g. 138****5678; empty if unknown")
    status = serializers.ChoiceField(choices=PersonStatus.choices)
    status_display = serializers.CharField(help_text="The status in the user's language.")
    confined = serializers.BooleanField(help_text="True: the holder may not go out.")
    kind = serializers.ChoiceField(choices=PersonKind.choices)
    community = serializers.CharField(help_text="Name of the person's community.")

    def to_representation(self, instance):
        return person_summary(instance)


class EntrySerializer(serializers.Serializer):
    """One registered entry (ENTRY)."""

    id = serializers.IntegerField()
    uuid = serializers.UUIDField(help_text="Made by the client; the entry's identity.")
    checkpoint = serializers.IntegerField(help_text="Checkpoint id.")
    at = serializers.DateTimeField(help_text="When it happened at the gate.")
    direction = serializers.ChoiceField(choices=Direction.choices)
    temperature = serializers.DecimalField(max_digits=3, decimal_places=1,
                                           help_text="°C, one decimal, as a string: \"36.5\".")
    fever = serializers.BooleanField(help_text="At or above the fever threshold.")
    method = serializers.ChoiceField(choices=Method.choices)
    person = PersonSummarySerializer()

    def to_representation(self, instance):
        return entry_data(instance)


# --- Requests --------------------------------------------------------------------------------


class VisitorSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(help_text="Mainland mobile or landline.")
    id_number = serializers.CharField(help_text="18-character resident ID number.")
    reason = serializers.CharField(help_text="Why they come, e.g. visiting family, delivery.")
    visiting = serializers.CharField(required=False, allow_blank=True,
                                     help_text="Whom they visit (flat, person).")


class EntryRequestSerializer(serializers.Serializer):
    """One registration. Exactly one of ``qr_text``, ``person`` and ``visitor``."""

    uuid = serializers.UUIDField(help_text="Made by the client when the guard confirms (uuid4); "
                                           "a retry with the same uuid stores nothing twice.")
    checkpoint = IdSerializerField(help_text="Checkpoint id (a device: its own).")
    direction = serializers.ChoiceField(choices=Direction.choices)
    temperature = serializers.CharField(help_text="°C between 34.0 and 43.0, e.g. \"36.5\".")
    at = serializers.DateTimeField(required=False,
                                   help_text="When it happened (ISO 8601); default now. At most "
                                             "5 minutes ahead, not older than the retention period.")
    qr_text = serializers.CharField(required=False, help_text="The scanned pass, \"SM1:…\".")
    person = IdSerializerField(required=False, help_text="A person found by look-up.")
    visitor = VisitorSerializer(required=False, help_text="A visitor without a pass.")


class BatchRequestSerializer(serializers.Serializer):
    entries = EntryRequestSerializer(many=True, help_text="At most 5,000 per request.")


class ScanRequestSerializer(serializers.Serializer):
    checkpoint = IdSerializerField()
    qr_text = serializers.CharField(help_text="The scanned pass, \"SM1:…\".")
    direction = serializers.ChoiceField(choices=Direction.choices)


class DeviceCreateRequestSerializer(serializers.Serializer):
    checkpoint = IdSerializerField(help_text="A checkpoint you may register at.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=60,
                                 help_text="e.g. “东门 值班手机”.")


# --- Responses -------------------------------------------------------------------------------


class EntryOutcomeSerializer(serializers.Serializer):
    """``stored`` (201) or ``duplicate`` (200: this uuid was stored before)."""

    status = serializers.ChoiceField(choices=[("stored", "stored"), ("duplicate", "duplicate")])
    entry = EntrySerializer()


class RefusedSerializer(serializers.Serializer):
    """The person may not pass; the refusal is logged."""

    status = serializers.ChoiceField(choices=[("refused", "refused")])
    reason = serializers.ChoiceField(choices=RefusalReason.choices)
    message = serializers.CharField(help_text="The reason in the user's language.")
    detail = serializers.CharField(help_text="What exactly, e.g. the expiry date.")
    person = PersonSummarySerializer(allow_null=True)


class PassInfoSerializer(serializers.Serializer):
    number = serializers.CharField()
    valid_until = serializers.DateTimeField()


class ScanResultSerializer(serializers.Serializer):
    """``ok: true`` with the holder and the pass, or ``ok: false`` with the refusal reason."""

    ok = serializers.BooleanField()
    person = PersonSummarySerializer(allow_null=True)
    # The fields of ok: true …
    pass_ = PassInfoSerializer(required=False)
    # … and of ok: false
    reason = serializers.ChoiceField(choices=RefusalReason.choices, required=False)
    message = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["pass"] = fields.pop("pass_")  # "pass" is a Python keyword
        return fields


class BatchItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position in the request's entries.")
    uuid = serializers.CharField()
    status = serializers.ChoiceField(choices=[(s, s) for s in ("stored", "duplicate", "refused",
                                                               "invalid")])
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   allow_null=True,
                                   help_text="For invalid items: messages by field.")
    refusal = serializers.ChoiceField(choices=RefusalReason.choices, allow_null=True)
    message = serializers.CharField(allow_null=True, help_text="The refusal in the user's "
                                                               "language.")
    fever = serializers.BooleanField()


class BatchCountsSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    refused = serializers.IntegerField()
    invalid = serializers.IntegerField()


class BatchResultSerializer(serializers.Serializer):
    results = BatchItemResultSerializer(many=True)
    counts = BatchCountsSerializer()


class LookupResultSerializer(serializers.Serializer):
    results = PersonSummarySerializer(many=True)


class SigningKeySerializer(serializers.Serializer):
    kid = serializers.CharField(help_text="Base64 of the first 8 bytes of SHA-256 of the DER.")
    alg = serializers.ChoiceField(choices=[("ES256", "ES256")])
    public_key = serializers.CharField(help_text="Base64 DER SubjectPublicKeyInfo (P-256).")
    created_at = serializers.DateTimeField()
    retired_at = serializers.DateTimeField(allow_null=True)


class OfflineListsSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    revoked = serializers.ListField(child=serializers.CharField(),
                                    help_text="Numbers of revoked passes still in date.")
    confined = serializers.ListField(child=serializers.CharField(),
                                     help_text="Numbers of passes whose holder may not go out.")


class JurisdictionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class CheckpointBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    jurisdiction = JurisdictionBriefSerializer()
    site_id = serializers.IntegerField(help_text="The building for a lobby, else the checkpoint.")


class CheckpointContextSerializer(serializers.Serializer):
    checkpoint = CheckpointBriefSerializer()
    fever_threshold = serializers.FloatField()
    temperature_range = serializers.ListField(child=serializers.FloatField(), min_length=2,
                                              max_length=2)
    retention_days = serializers.IntegerField()
    quick_temperatures = serializers.ListField(child=serializers.CharField())


class DeviceSerializer(serializers.ModelSerializer):
    """A registered phone (its token is never shown again)."""

    checkpoint_name = serializers.CharField(source="checkpoint.place.name", read_only=True)
    registered_by_name = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = CheckpointDevice
        fields = ["id", "checkpoint", "checkpoint_name", "name", "registered_by",
                  "registered_by_name", "created_at", "last_seen_at", "revoked_at", "active"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_registered_by_name(self, device) -> str:
        user = device.registered_by
        return getattr(user, "display_name", "") or user.get_username()


class DeviceCreatedSerializer(DeviceSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown only now: store it on the "
                                                            "phone (header: Device <token>).")

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
