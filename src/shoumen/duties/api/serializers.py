from django.contrib.auth import get_user_model
from rest_framework import serializers

from shoumen.accounts.models import Training
from shoumen.accounts.teams import colleagues
from shoumen.core.api.base import ScopedPrimaryKeyRelatedField
from shoumen.geo.models import Node

from ..models import Duty, Window, WindowState


class DutySerializer(serializers.ModelSerializer):
    """A duty: ``frequency`` is ``windows`` (with ``windows`` as local times, e.g.
    ``[["08:00", "10:00"], ["13:00", "15:00"]]``), ``daily``, ``weekly`` or ``every_k_days``
    (with ``interval_days``); ``ends_on`` closes a period such as a 14-day observation."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                capability="duties.manage",
                                                help_text="The node the duty belongs to.")
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False,
        allow_null=True)
    leader = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False,
        allow_null=True)

    class Meta:
        model = Duty
        fields = ["id", "jurisdiction", "title", "kind", "frequency", "windows", "interval_days",
                  "starts_on", "ends_on", "owner", "leader", "active", "created_at"]
        read_only_fields = ["active", "created_at"]


class WindowSerializer(serializers.ModelSerializer):
    duty_title = serializers.CharField(source="duty.title", read_only=True)
    state = serializers.SerializerMethodField(
        help_text="due, done, late or missed; a window past its end without a record is "
                  "missed even before the sweep has run.")

    class Meta:
        model = Window
        fields = ["id", "duty", "duty_title", "jurisdiction", "day", "starts_at", "ends_at",
                  "state", "done_at", "missed_at"]

    def get_state(self, window) -> str:
        passed = window.state == WindowState.DUE and window.ends_at <= self.context["now"]
        return WindowState.MISSED if passed else window.state


class ComplianceSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    due = serializers.IntegerField(help_text="windows whose end has passed, or done early")
    done = serializers.IntegerField()
    late = serializers.IntegerField()
    missed = serializers.IntegerField()
    open = serializers.IntegerField(help_text="not ended yet, no record")
    rate = serializers.FloatField(allow_null=True, help_text="percent of due done (on time or late)")


class TrainingSerializer(serializers.ModelSerializer):
    """A training (topic ``disinfection``) valid from ``trained_on`` to ``valid_until``:
    without a valid one nobody is assigned to disinfection or records it."""

    jurisdiction = ScopedPrimaryKeyRelatedField(queryset=Node.objects.all(),
                                                capability="duties.manage")
    user = ScopedPrimaryKeyRelatedField(queryset=get_user_model().objects.all(),
                                        narrow=lambda actor: colleagues(actor, "duties.manage"))

    class Meta:
        model = Training
        fields = ["id", "user", "jurisdiction", "topic", "trained_on", "valid_until", "trainer"]
