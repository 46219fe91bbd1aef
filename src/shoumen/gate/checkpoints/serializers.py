"""Serializers of checkpoints, their guards and devices."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.core.ids import IdSerializerField
from shoumen.geo.models import Node, Place, PlaceKind

from ..api.common import NodeBriefSerializer, PlaceBriefSerializer, UserBriefSerializer
from .models import Checkpoint, CheckpointDevice


class JurisdictionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class CheckpointBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    jurisdiction = JurisdictionBriefSerializer()
    site_id = serializers.IntegerField(help_text="The building for a lobby, else the checkpoint.")


class DeviceCreateRequestSerializer(serializers.Serializer):
    checkpoint = IdSerializerField(help_text="A checkpoint you may register at.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=60,
                                 help_text="e.g. “东门 值班手机”.")


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
