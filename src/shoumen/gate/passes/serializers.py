"""Serializers of the resident pass API (``/api/gate/passes/``)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node
from shoumen.people.models import Person

from .models import ResidentPass
from .services import PassState, state_of


class PassSerializer(serializers.ModelSerializer):
    """A pass as staff see it: the holder's full name (it is printed on the card), the
    masked name the QR carries, the QR text itself and where the pass stands now."""

    state = serializers.SerializerMethodField(help_text="live, expired or revoked (revoked wins).")
    holder_name = serializers.CharField(source="person.name", read_only=True)
    jurisdiction_name = serializers.CharField(source="jurisdiction.name", read_only=True)
    jurisdiction_code = serializers.CharField(source="jurisdiction.code", read_only=True)
    issued_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kid = serializers.CharField(source="signing_key.kid", read_only=True,
                                help_text="Key id (base64) of the key that signed the QR; see "
                                          "GET /api/gate/keys/.")
    qr_text = serializers.CharField(read_only=True,
                                    help_text="The QR payload: SM1: + Base45(zlib(COSE_Sign1)).")

    class Meta:
        model = ResidentPass
        fields = ["id", "number", "state", "person", "holder_name", "holder_display",
                  "jurisdiction", "jurisdiction_name", "jurisdiction_code", "issued_at",
                  "valid_until", "revoked_at", "revoke_reason", "issued_by", "kid", "qr_text"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=PassState.choices))
    def get_state(self, obj) -> str:
        return state_of(obj).value


def _valid_days_field():
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=settings.PASS_VALID_DAYS,
        help_text=f"Days the pass is valid, 1 to PASS_VALID_DAYS ({settings.PASS_VALID_DAYS}); "
                  "default the longest.")


class IssueSerializer(serializers.Serializer):
    """Issue a pass to one person; a pass they hold is revoked (reissue)."""

    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), capability="people.view",
                                          help_text="Id of the person (not a visitor).")
    valid_days = _valid_days_field()


class BulkIssueSerializer(serializers.Serializer):
    """Issue passes to everyone in a community or grid who has no valid pass."""

    jurisdiction = ScopedPrimaryKeyRelatedField(
        queryset=Node.objects.all(), capability="gate.passes",
        help_text="Id of a community or grid where you issue passes.")
    valid_days = _valid_days_field()

    def validate_jurisdiction(self, node):
        from shoumen.geo.models import NodeKind

        if node.kind not in (NodeKind.COMMUNITY, NodeKind.GRID):
            raise serializers.ValidationError(
                _("Passes are issued for a community or a grid; “%(name)s” is a %(kind)s. "
                  "Choose one of its communities.")
                % {"name": node.name, "kind": node.get_kind_display()})
        return node


class BulkIssueResultSerializer(serializers.Serializer):
    jurisdiction = serializers.IntegerField()
    issued = serializers.IntegerField(help_text="Passes issued now.")
    skipped = serializers.IntegerField(help_text="Residents who already held a valid pass.")
    renewed = serializers.IntegerField(help_text="Of the issued: holders of an expired pass "
                                                 "(revoked and replaced).")


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why, e.g. lost or moved away.",
                                   error_messages={"blank": _("Say why the pass is revoked "
                                                              "(e.g. lost, moved away)."),
                                                   "required": _("Say why the pass is revoked "
                                                                 "(e.g. lost, moved away).")})
