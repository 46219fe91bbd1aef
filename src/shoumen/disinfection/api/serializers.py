from django.contrib.auth import get_user_model
from rest_framework import serializers

from shoumen.accounts.models import Team
from shoumen.accounts.teams import colleagues
from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node, Place

from ..models import Protection, Record, Site


class SiteSerializer(serializers.ModelSerializer):
    """A site and its schedule: ``windows`` as local times, e.g. ``[["08:00", "10:00"],
    ["13:00", "15:00"], ["18:00", "20:00"]]``. The named person and the crew need a valid
    disinfection training."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                capability="disinfection.manage")
    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), required=False,
                                         allow_null=True)
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                        allow_null=True)
    responsible = ScopedPrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        narrow=lambda actor: colleagues(actor, "disinfection.manage"))
    windows = serializers.JSONField(write_only=True, help_text="The duty's windows.")

    class Meta:
        model = Site
        fields = ["id", "jurisdiction", "place", "kind", "name", "party", "responsible", "team",
                  "agent", "concentration_min", "concentration_max", "duty", "active", "windows"]
        read_only_fields = ["duty", "active"]
        validators = []  # the service says a name is taken (and place may be left out)


class RecordSerializer(serializers.ModelSerializer):
    """One operation. POST ``site``, ``operation`` (disinfected, emptied, patrolled),
    ``protection`` (a list of gown, goggles, mask, shoe_covers; sewage lines need all four),
    ``concentration`` (mg/L), optional ``agent``, ``done_at``, ``remarks``; as multipart,
    photos as ``photos``."""

    site = ScopedPrimaryKeyRelatedField(queryset=Site.objects.all(),
                                        capability="disinfection.record")
    protection = serializers.ListField(child=serializers.ChoiceField(Protection.choices),
                                       allow_empty=True)

    class Meta:
        model = Record
        fields = ["id", "site", "jurisdiction", "place", "by", "done_at", "recorded_at",
                  "operation", "agent", "concentration", "concentration_ok", "protection",
                  "remarks"]
        read_only_fields = ["jurisdiction", "place", "by", "recorded_at", "concentration_ok"]
        extra_kwargs = {"done_at": {"required": False}, "agent": {"required": False}}
