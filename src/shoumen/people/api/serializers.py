from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node
from shoumen.people.models import Person, PersonStatus, PersonTag, StatusChange


class PersonTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonTag
        fields = ["id", "code", "name", "is_key_person"]
        read_only_fields = fields


class TagField(serializers.RelatedField):
    """A person tag, written as its code (``elderly_alone``) or its numeric id, read as its code."""

    default_error_messages = {
        "does_not_exist": _("Unknown tag “{value}”; see /api/people/tags/ for the codes."),
        "invalid": _("Give a tag as its code or its id."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", PersonTag.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        queryset = self.get_queryset()
        tag = queryset.filter(code=str(data)).first()
        if tag is None and str(data).isdigit():
            tag = queryset.filter(pk=int(data)).first()
        if tag is None:
            self.fail("does_not_exist", value=data)
        return tag

    def to_representation(self, value):
        return value.code


class TagFieldExtension(OpenApiSerializerFieldExtension):
    """Schema for :class:`TagField`: code or id in requests, code in responses."""

    target_class = TagField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {"oneOf": [build_basic_type(OpenApiTypes.STR), build_basic_type(OpenApiTypes.INT)]}
        return build_basic_type(OpenApiTypes.STR)


class PersonSerializer(serializers.ModelSerializer):
    """A person as the API shows and takes them.

    Reads show only masked numbers (``id_number_masked``, ``phone_masked``); the full values
    are returned by the audited ``reveal`` action. ``id_number`` and ``phone`` are write-only;
    on update, leaving them out keeps the stored numbers (an empty ``phone`` clears it).
    Gender and birth date come from the ID number. Status changes go through the ``status``
    action so that each step is kept in the person's history. Validation of the numbers,
    duplicates and the jurisdiction is done by ``people.services``.
    """

    jurisdiction = ScopedPrimaryKeyRelatedField(
        queryset=Node.objects.all(), capability="people.view",
        help_text="Community or grid node id.")
    jurisdiction_name = serializers.CharField(source="jurisdiction.name", read_only=True)
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                      trim_whitespace=True,
                                      help_text="18-character resident ID number; required on create.")
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                  help_text="Mainland mobile or landline; empty clears it.")
    tags = TagField(many=True, required=False,
                    help_text="Tag codes (or ids), see /api/people/tags/.")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "name_initials", "kind", "kind_label", "jurisdiction",
                  "jurisdiction_name", "id_number", "id_number_masked", "phone", "phone_masked",
                  "gender", "birth_date", "address", "household", "status", "status_label",
                  "status_since", "tags", "note", "created_at", "updated_at"]
        read_only_fields = ["name_initials", "id_number_masked", "phone_masked", "gender",
                            "birth_date", "status", "status_since", "created_at", "updated_at"]
        extra_kwargs = {"name": {"allow_blank": True}}


class RevealSerializer(serializers.Serializer):
    id_number = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)


class StatusChangeRequestSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PersonStatus.choices)
    reason = serializers.CharField(max_length=300, allow_blank=True,
                                   help_text="Why, e.g. close contact of a case, 14 days completed.")


class StatusChangeSerializer(serializers.ModelSerializer):
    changed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = StatusChange
        fields = ["id", "from_status", "to_status", "reason", "changed_by", "changed_by_name",
                  "changed_at"]
        read_only_fields = fields

    def get_changed_by_name(self, change) -> str | None:
        return str(change.changed_by) if change.changed_by else None
