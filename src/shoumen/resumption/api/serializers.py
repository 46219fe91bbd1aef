from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from shoumen.accounts.models import User
from shoumen.core import pii
from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node, Place, PlaceKind
from shoumen.resumption import declaring
from shoumen.resumption.models import (
    Contact,
    Declaration,
    Enterprise,
    Material,
    MaterialRequirement,
    Problem,
    ProblemNote,
    ResumptionStep,
)


class EnterpriseSerializer(serializers.ModelSerializer):
    """An enterprise under a community. ``credit_code`` is the 18-character unified social
    credit code (checked); ``venue_category`` is one of the nine kinds of small venues or
    empty; ``status`` is read-only here: it moves through the declaration endpoints.
    ``jurisdiction`` and ``key_enterprise`` are changed only by staff, not by the
    enterprise's own liaison."""

    jurisdiction = ScopedPrimaryKeyRelatedField(
        queryset=Node.objects.all(), capability="enterprises.view",
        help_text="Community node id.")
    jurisdiction_name = serializers.CharField(source="jurisdiction.name", read_only=True)
    building = ScopedPrimaryKeyRelatedField(
        queryset=Place.objects.filter(kind=PlaceKind.BUILDING), required=False, allow_null=True,
        help_text="The building (place id) the enterprise is in.")
    property_company = serializers.CharField(source="building.property_company", read_only=True,
                                             default="", help_text="The building's property "
                                             "management company.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    risk_class = serializers.CharField(read_only=True, help_text="The class that stands: "
                                       "staff's override, else the computed one.")
    contact_phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True,
        help_text="The contact's mainland number (held encrypted); empty removes it.")
    contact_phone_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "legal_representative", "jurisdiction",
                  "jurisdiction_name", "building", "property_company", "floor_room", "category",
                  "industry", "venue_category", "employees", "public_facing", "key_enterprise",
                  "contact_name", "contact_phone", "contact_phone_masked", "status",
                  "status_label", "risk_class", "computed_class", "class_reasons",
                  "class_override", "class_note", "staff_liaison"]
        read_only_fields = ["status", "computed_class", "class_reasons", "class_override",
                            "class_note", "staff_liaison"]

    def validate(self, attrs):
        status = self.initial_data.get("status") if hasattr(self.initial_data, "get") else None
        if status is not None and status != getattr(self.instance, "status", None):
            raise serializers.ValidationError({"status": [
                "The status moves only through the declaration's steps: "
                "/api/enterprises/{id}/steps/submit/ (or return, accept, approve, reject, suspend)."]})
        return attrs

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


class DeclarationSerializer(serializers.ModelSerializer):
    """The papers of the enterprise's current declaration: what it holds, what its category
    requires, and what is still missing before it can be submitted."""

    required = serializers.SerializerMethodField(help_text="Materials this enterprise's "
                                                 "category requires (Material values).")
    missing = serializers.SerializerMethodField(help_text="Required materials not held yet.")
    documents = serializers.SerializerMethodField(help_text="Material → evidence id of the "
                                                  "file now standing for it "
                                                  "(GET /evidence/<id>/ downloads it).")

    class Meta:
        model = Declaration
        fields = ["id", "enterprise", "created_at", "submitted_at", "accepted_at", "resumed_at",
                  "employees_returning", "disinfectant_litres", "masks_on_hand", "thermometers",
                  "commitment_signed_by", "roster_rows", "roster_fevers", "roster_file_name",
                  "required", "missing", "documents"]
        read_only_fields = fields

    def get_required(self, declaration) -> list[str]:
        return declaring.required_materials(declaration.enterprise)

    def get_missing(self, declaration) -> list[str]:
        return declaring.missing_materials(declaration)

    def get_documents(self, declaration) -> dict[str, int]:
        return {m: d.evidence_id for m, d in declaring.documents(declaration).items()}


class DeclarationWriteSerializer(serializers.Serializer):
    """Multipart (or JSON without files): the numbers, ``file_<material>`` for a document
    material (a PDF or a photo), ``roster`` for the health roster workbook (.xlsx; replaces
    the one before). A bad file or a bad roster row refuses everything, saying which."""

    employees_returning = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    disinfectant_litres = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=0,
                                                   required=False, allow_null=True)
    masks_on_hand = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False,
                                             allow_null=True)
    thermometers = serializers.IntegerField(min_value=0, max_value=10_000, required=False,
                                            allow_null=True)
    commitment_signed_by = serializers.CharField(max_length=50, required=False, allow_blank=True)
    roster = serializers.FileField(required=False)


class StepSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                 help_text="Reasons (required to return, reject or suspend); "
                                           "an answer to them when resubmitting.")
    to_fix = serializers.ListField(child=serializers.ChoiceField(choices=Material.choices),
                                   required=False, default=list,
                                   help_text="Materials to fix, on a return or a rejection.")


class ResumptionStepSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.__str__", read_only=True)
    to_state_label = serializers.CharField(source="get_to_state_display", read_only=True)

    class Meta:
        model = ResumptionStep
        fields = ["id", "declaration", "from_state", "to_state", "to_state_label", "actor", "at",
                  "note", "to_fix"]
        read_only_fields = fields


class RequirementSerializer(serializers.ModelSerializer):
    """A material a jurisdiction asks of one category besides the baseline."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                capability="resumption.configure")

    class Meta:
        model = MaterialRequirement
        fields = ["id", "jurisdiction", "category", "material", "note"]


class ProblemNoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.__str__", read_only=True)

    class Meta:
        model = ProblemNote
        fields = ["id", "author", "at", "text", "to_state"]
        read_only_fields = fields


class ProblemSerializer(serializers.ModelSerializer):
    """A problem of the work ledger. ``owner``, ``owner_unit`` and ``due_on`` are set by the
    subdistrict's staff (on creation or with ``assign/``); it closes only through
    ``solve/`` with a resolution."""

    enterprise = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.all(),
                                              capability="problems.raise")
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True),
                                               required=False, allow_null=True)
    overdue = serializers.BooleanField(read_only=True)
    notes = ProblemNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "enterprise", "enterprise_name", "kind", "description", "owner",
                  "owner_unit", "due_on", "state", "overdue", "raised_at", "resolution",
                  "solved_at", "notes"]
        read_only_fields = ["state", "raised_at", "resolution", "solved_at"]


class AssignSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    owner_unit = serializers.CharField(max_length=50, required=False, allow_blank=True,
                                       default="")
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, allow_blank=True,
                                 help_text="The note, the resolution, or why it is reopened.")


class ClassSerializer(serializers.Serializer):
    risk_class = serializers.ChoiceField(choices=["", "A", "B", "C"], allow_blank=True,
                                         help_text="Empty: back to the computed class.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LiaisonSerializer(serializers.Serializer):
    liaison = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True),
                                                 allow_null=True,
                                                 help_text="A staff user; null: nobody.")


class ContactSerializer(serializers.ModelSerializer):
    """A symposium (several enterprises) or a field visit (one)."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                capability="resumption.supervise")
    enterprises = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.all(), many=True,
                                               capability="resumption.supervise")

    class Meta:
        model = Contact
        fields = ["id", "kind", "jurisdiction", "enterprises", "held_on", "attendees", "topics",
                  "follow_ups"]
