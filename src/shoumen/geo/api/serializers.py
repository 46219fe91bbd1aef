from rest_framework import serializers

from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node, Place, PlaceKind


class NodeSerializer(serializers.ModelSerializer):
    """A jurisdiction: city → district → subdistrict → community → grid."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    depth = serializers.IntegerField(read_only=True)

    class Meta:
        model = Node
        fields = ["id", "code", "name", "kind", "kind_label", "parent", "depth"]
        read_only_fields = fields


class PlaceSerializer(serializers.ModelSerializer):
    """A place under a jurisdiction. ``jurisdiction`` and ``building`` accept only ids the
    user can see; ``venue_category`` is required for venues and cleared for other kinds."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                help_text="Jurisdiction node id.")
    jurisdiction_name = serializers.CharField(source="jurisdiction.name", read_only=True)
    building = ScopedPrimaryKeyRelatedField(
        queryset=Place.objects.filter(kind=PlaceKind.BUILDING), required=False, allow_null=True,
        help_text="For a venue or room inside a building: that building's place id.")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Place
        fields = ["id", "jurisdiction", "jurisdiction_name", "kind", "kind_label", "name",
                  "address", "building", "property_company", "venue_category", "contact_name",
                  "contact_phone", "active"]
