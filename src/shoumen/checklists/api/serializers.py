from rest_framework import serializers

from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node

from ..models import Checklist, ChecklistItem, ChecklistVersion


class ItemSerializer(serializers.ModelSerializer):
    """An item: ``kind`` yes_no, number (``options`` ``{"min", "max", "unit"}``), choice
    (``{"choices": [...], "failing": [...]}``), note or photo."""

    key = serializers.CharField(required=False)
    options = serializers.JSONField(required=False, default=dict)

    class Meta:
        model = ChecklistItem
        fields = ["position", "key", "text", "kind", "required", "options", "photo_when_failed"]
        read_only_fields = ["position"]
        extra_kwargs = {"required": {"required": False, "default": True},
                        "photo_when_failed": {"required": False, "default": False}}


class VersionSerializer(serializers.ModelSerializer):
    items = ItemSerializer(many=True)

    class Meta:
        model = ChecklistVersion
        fields = ["id", "checklist", "number", "published_by", "published_at", "items"]
        read_only_fields = ["checklist", "number", "published_by", "published_at"]


class ChecklistSerializer(serializers.ModelSerializer):
    """A template and its current version. POST one with its first version's ``items``."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                capability="checklists.manage")
    current = serializers.SerializerMethodField()
    items = ItemSerializer(many=True, write_only=True)

    class Meta:
        model = Checklist
        fields = ["id", "jurisdiction", "code", "name", "purpose", "active", "current", "items"]
        read_only_fields = ["active"]
        extra_kwargs = {"code": {"validators": []},  # the service says a code is taken
                        "purpose": {"required": False, "default": ""}}

    def get_current(self, checklist) -> dict | None:
        versions = list(checklist.versions.all())  # prefetched with their items by the view
        version = max(versions, key=lambda v: v.number) if versions else None
        return VersionSerializer(version).data if version else None


class RevisionSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    items = ItemSerializer(many=True)
