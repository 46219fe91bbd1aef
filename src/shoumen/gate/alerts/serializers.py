"""Serializers of fever alerts and their follow-up."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..api.common import MaskedPersonSerializer, NodeBriefSerializer, PlaceBriefSerializer
from ..entries.models import Entry
from . import services
from .models import FeverAlert, FeverFollowUp, FeverStage


class FollowUpSerializer(serializers.ModelSerializer):
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    by = serializers.CharField(source="by.__str__", read_only=True, allow_null=True, default=None)
    temperature = serializers.DecimalField(max_digits=3, decimal_places=1, read_only=True,
                                           allow_null=True)

    class Meta:
        model = FeverFollowUp
        fields = ["id", "stage", "stage_display", "temperature", "note", "by", "at"]
        read_only_fields = fields


class EntryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ["id", "uuid", "at", "direction", "method"]
        read_only_fields = fields


class FeverAlertSerializer(serializers.ModelSerializer):
    person = MaskedPersonSerializer(read_only=True)
    checkpoint = serializers.SerializerMethodField()
    jurisdiction = NodeBriefSerializer(read_only=True)
    entry = EntryBriefSerializer(read_only=True, allow_null=True,
                                 help_text="Null once the entry is past the retention period.")
    temperature = serializers.DecimalField(max_digits=3, decimal_places=1, read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    next_steps = serializers.SerializerMethodField(
        help_text="Stages that may be recorded next (values of stage); empty once closed.")

    class Meta:
        model = FeverAlert
        fields = ["id", "person", "checkpoint", "jurisdiction", "entry", "temperature",
                  "measured_at", "stage", "stage_display", "is_open", "closed_at", "next_steps"]
        read_only_fields = fields

    @extend_schema_field(PlaceBriefSerializer)
    def get_checkpoint(self, alert) -> dict:
        return {"id": alert.checkpoint_id, "name": alert.checkpoint.place.name}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_next_steps(self, alert) -> list[str]:
        return [stage.value for stage in services.next_steps(alert)]


class FeverAlertDetailSerializer(FeverAlertSerializer):
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta(FeverAlertSerializer.Meta):
        fields = [*FeverAlertSerializer.Meta.fields, "follow_ups"]
        read_only_fields = fields


class FollowUpRequestSerializer(serializers.Serializer):
    """The next step. ``temperature`` is needed to re-measure, ``clinic`` to send to a fever
    clinic; the service checks the order of steps."""

    stage = serializers.ChoiceField(choices=FeverStage.choices,
                                    help_text="One of the alert's next_steps.")
    temperature = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                        max_length=8, help_text="°C, e.g. \"36.8\".")
    clinic = serializers.CharField(required=False, allow_blank=True, max_length=100)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
