"""Serializers of the gate's management API: checkpoints and their guards, the entry log,
refusals, fever alerts and their follow-up. People appear masked (name, ID, phone)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.core.ids import IdSerializerField
from shoumen.geo.models import Node, Place, PlaceKind
from shoumen.people.models import PersonStatus

from .. import services
from ..models import (
    Checkpoint,
    Entry,
    FeverAlert,
    FeverFollowUp,
    FeverStage,
    Refusal,
)
from ..passes import mask_name


class NodeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Node
        fields = ["id", "name", "code"]
        read_only_fields = fields


class PlaceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["id", "name"]
        read_only_fields = fields


class UserBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name"]
        read_only_fields = fields


class MaskedPersonSerializer(serializers.Serializer):
    """A person as the gate's logs show them: masked name and numbers, status, community."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField(help_text="Masked, e.g. 张*.")
    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=PersonStatus.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    community = serializers.CharField(source="jurisdiction.name", read_only=True)

    def get_name(self, person) -> str:
        return mask_name(person.name)


# --- Checkpoints -----------------------------------------------------------------------------

class CheckpointSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True,
                                  help_text="The checkpoint's id (its place's id).")
    name = serializers.CharField(source="place.name", read_only=True)
    jurisdiction = NodeBriefSerializer(source="place.jurisdiction", read_only=True)
    building = PlaceBriefSerializer(source="place.building", read_only=True, allow_null=True)
    address = serializers.CharField(source="place.address", read_only=True)
    site = serializers.SerializerMethodField(help_text="“lobby” (in a building) or “gate”.")
    site_id = serializers.IntegerField(read_only=True)
    guards = UserBriefSerializer(many=True, read_only=True)
    active_devices = serializers.IntegerField(read_only=True, help_text="Devices not revoked.")

    class Meta:
        model = Checkpoint
        fields = ["id", "name", "jurisdiction", "building", "address", "site", "site_id",
                  "active", "guards", "active_devices", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["gate", "lobby"]))
    def get_site(self, checkpoint) -> str:
        return "lobby" if checkpoint.place.building_id else "gate"


class CheckpointCreateSerializer(serializers.Serializer):
    """A new checkpoint; the rules (community in your area, building in that community, a
    name not used there yet, guards who hold the guard role) are the service's."""

    jurisdiction = ScopedPrimaryKeyRelatedField(
        queryset=Node.objects.all(), capability="gate.manage",
        help_text="Community (or grid) node id where you manage the gate.")
    name = serializers.CharField(max_length=100)
    building = ScopedPrimaryKeyRelatedField(
        queryset=Place.objects.filter(kind=PlaceKind.BUILDING), capability="gate.manage",
        required=False, allow_null=True,
        help_text="For a building lobby: the building's place id, in the same community.")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    guards = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), many=True, required=False,
        help_text="User ids of the guards (they must hold the checkpoint guard role there).")


class GuardsSerializer(serializers.Serializer):
    guards = serializers.ListField(child=IdSerializerField(), allow_empty=True,
                                   help_text="User ids; replaces the current guards.")

    def validate_guards(self, ids):
        checkpoint = self.context["checkpoint"]
        User = get_user_model()  # noqa: N806
        users = list(User.objects.filter(pk__in=set(ids)))
        missing = sorted(set(ids) - {u.pk for u in users})
        if missing:
            raise serializers.ValidationError(
                _("No user with id %(ids)s: list the ids of users who hold the checkpoint guard "
                  "role here (see GET /api/gate/checkpoints/%(pk)d/ for the current guards).")
                % {"ids": ", ".join(map(str, missing)), "pk": checkpoint.pk})
        return users


# --- Entries and refusals --------------------------------------------------------------------

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


# --- Fever alerts ----------------------------------------------------------------------------

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

