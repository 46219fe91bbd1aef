import json

from rest_framework import serializers

from shoumen.accounts.models import Team
from shoumen.checklists.models import Checklist
from shoumen.checklists.services import usable_by
from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node, Place

from ..models import Inspection, InspectionPlan, PlanSubject, Rectification, RectificationStep


class PlanSerializer(serializers.ModelSerializer):
    """A plan: ``source`` is ``building_enterprises`` (with ``building``), ``community_venues``
    (with ``area``) or ``building`` (a building's public areas, with ``building``); the
    schedule is a duty's (``frequency``, ``windows``, ``interval_days``)."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                capability="inspections.manage")
    area = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(), required=False,
                                        allow_null=True, capability="inspections.manage")
    building = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), required=False,
                                            allow_null=True)
    checklist = ScopedPrimaryKeyRelatedField(
        queryset=Checklist.objects.all(),
        narrow=lambda actor: usable_by(actor, "inspections.manage"))
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all())
    task_force = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    subjects = serializers.SerializerMethodField(help_text="How many subjects it covers.")

    class Meta:
        model = InspectionPlan
        fields = ["id", "name", "jurisdiction", "source", "building", "area", "checklist",
                  "frequency", "windows", "interval_days", "starts_on", "ends_on", "team",
                  "task_force", "rectify_days", "active", "subjects"]
        read_only_fields = ["active"]

    def get_subjects(self, plan) -> int:
        counted = getattr(plan, "subject_count", None)
        return plan.subjects.count() if counted is None else counted


class SubjectSerializer(serializers.ModelSerializer):
    checklist_version = serializers.IntegerField(
        read_only=True, help_text="The id of the checklist version an inspection is made with now.")

    class Meta:
        model = PlanSubject
        fields = ["id", "plan", "duty", "name", "party", "jurisdiction", "enterprise",
                  "checklist_version"]


class JSONObjectField(serializers.JSONField):
    """A JSON object, also as a string (a multipart form sends its fields as text)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("Send the answers as a JSON object, e.g. "
                                                  '{"ventilated": "yes"}.') from None
        if not isinstance(data, dict):
            raise serializers.ValidationError('Send the answers as a JSON object, item key → '
                                              'answer, e.g. {"ventilated": "yes"}.')
        return data


class InspectionSerializer(serializers.ModelSerializer):
    """An inspection. To record one, POST ``subject``, ``answers`` (item key → answer: "yes",
    "no" or "na"; a number; a choice; a note), ``signed_by``, optional ``remarks`` and
    ``inspected_at``; as multipart, a photo of an item as the file ``photo-<key>`` and other
    photos as ``photos``. Each failed item opens a rectification."""

    subject = ScopedPrimaryKeyRelatedField(queryset=PlanSubject.objects.all(),
                                           capability="inspections.record")
    answers = JSONObjectField()
    rectifications = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "subject", "jurisdiction", "enterprise", "version", "inspector",
                  "inspected_at", "recorded_at", "answers", "failed", "passed", "signed_by",
                  "remarks", "rectifications"]
        read_only_fields = ["jurisdiction", "enterprise", "version", "inspector", "recorded_at",
                            "failed", "passed"]
        extra_kwargs = {"inspected_at": {"required": False}, "signed_by": {"allow_blank": True}}


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = RectificationStep
        fields = ["state", "note", "deadline", "by", "at"]


class RectificationSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True, read_only=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Rectification
        fields = ["id", "inspection", "subject", "jurisdiction", "enterprise", "item_key",
                  "item_text", "party", "deadline", "state", "overdue", "opened_at",
                  "closed_at", "escalated_at", "escalation", "task_force", "steps"]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ReinspectSerializer(AnswerSerializer):
    passed = serializers.BooleanField()
    deadline = serializers.DateField(required=False, allow_null=True, default=None,
                                     help_text="The new deadline when it is not put right yet.")
