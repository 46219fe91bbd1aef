"""Serializers of the checkpoint page's API (scan, look-up, entries, batches, offline lists)
and of the entry log and refusals."""

from rest_framework import serializers

from shoumen.core.ids import IdSerializerField

from ..api.common import (
    MaskedPersonSerializer,
    PersonSummarySerializer,
    iso_datetime,
    person_summary,
)
from ..checkpoints.serializers import CheckpointBriefSerializer
from .models import Direction, Entry, Method, Refusal, RefusalReason


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


class CheckpointContextSerializer(serializers.Serializer):
    checkpoint = CheckpointBriefSerializer()
    fever_threshold = serializers.FloatField()
    temperature_range = serializers.ListField(child=serializers.FloatField(), min_length=2,
                                              max_length=2)
    retention_days = serializers.IntegerField()
    quick_temperatures = serializers.ListField(child=serializers.CharField())


class EntryLogSerializer(serializers.ModelSerializer):
    checkpoint_name = serializers.CharField(source="checkpoint.place.name", read_only=True)
    person = MaskedPersonSerializer(read_only=True)
    temperature = serializers.DecimalField(max_digits=3, decimal_places=1, read_only=True)

    class Meta:
        model = Entry
        fields = ["id", "uuid", "checkpoint", "checkpoint_name", "at", "direction",
                  "temperature", "fever", "method", "person", "recorded_at"]
        read_only_fields = fields


class RefusalSerializer(serializers.ModelSerializer):
    checkpoint_name = serializers.CharField(source="checkpoint.place.name", read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    person = MaskedPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Refusal
        fields = ["id", "uuid", "checkpoint", "checkpoint_name", "at", "direction", "reason",
                  "reason_display", "detail", "pass_number", "person"]
        read_only_fields = fields
