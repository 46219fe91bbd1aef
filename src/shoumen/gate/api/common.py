"""API pieces the gate's concepts share: OpenAPI tags and responses, who may call, people and
places in brief."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from shoumen.geo.models import Node, NodeKind, Place
from shoumen.people.models import CONFINED_STATUSES, Person, PersonKind, PersonStatus

from ..passes.services import mask_name


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


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


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


# OpenAPI tags: the gate's management endpoints, the checkpoint page's, traces and contacts.
TAGS = ["gate"]
DEVICE_TAGS = ["gate: checkpoint"]
TRACE_TAGS = ["gate: traces"]
USER_ONLY = [TokenAuthentication, SessionAuthentication]

ERRORS_400 = OpenApiResponse(OpenApiTypes.OBJECT, description="Bad input: messages by field, "
                              "e.g. {\"temperature\": [\"…\"]}.")

DENIED_403 = OpenApiResponse(ErrorSerializer, description="Not this device's checkpoint, or "
                              "not one the user may register at.")

UNAUTHENTICATED_401 = OpenApiResponse(ErrorSerializer, description="No credentials, or an "
                                       "unknown or revoked device token.")

PERSON_WITH_JURISDICTION = Prefetch("person", queryset=Person.objects.select_related("jurisdiction"))
