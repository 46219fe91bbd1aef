from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from shoumen.core import pii
from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node, Place, PlaceKind
from shoumen.resumption.models import Enterprise


class EnterpriseSerializer(serializers.ModelSerializer):
    """An enterprise under a community. ``credit_code`` is the 18-character unified social
    credit code (checked); ``status`` may be set only by staff who hold ``enterprises.edit``
    over the enterprise's jurisdiction, not by the enterprise's own liaison."""

    jurisdiction = ScopedPrimaryKeyRelatedField(
        queryset=Node.objects.all(), capability="enterprises.view",
        help_text="Community node id.")
    jurisdiction_name = serializers.CharField(source="jurisdiction.name", read_only=True)
    building = ScopedPrimaryKeyRelatedField(
        queryset=Place.objects.filter(kind=PlaceKind.BUILDING), required=False, allow_null=True,
        help_text="The building (place id) the enterprise is in.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    contact_phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True,
        help_text="The contact's mainland number (held encrypted); empty removes it.")
    contact_phone_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "jurisdiction", "jurisdiction_name", "building",
                  "floor_room", "industry", "employees", "contact_name", "contact_phone",
                  "contact_phone_masked", "status", "status_label"]

    def validate_credit_code(self, value):
        return value.strip().upper()

    def validate_contact_phone(self, value):
        value = value.strip()
        if not value:
            return ""
        try:
            return pii.validate_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
