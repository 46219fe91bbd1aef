"""Filters of the inspection and rectification lists (page, API and export alike)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.filters import day_filter
from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter

from .models import Inspection, InspectionPlan, PlanSubject, Rectification, RectificationState


class InspectionFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "inspections.view"

    day = day_filter("inspected_at")
    node = jurisdiction_filter()
    plan = django_filters.ModelChoiceFilter(label=_("Plan"), field_name="subject__plan",
                                            queryset=InspectionPlan.objects.all())
    passed = django_filters.BooleanFilter(label=_("Passed"))
    enterprise = django_filters.NumberFilter(label=_("Enterprise"), field_name="enterprise_id",
                                             widget=forms.HiddenInput)

    class Meta:
        model = Inspection
        fields = ["day", "node", "plan", "passed", "enterprise"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            self.filters["plan"].queryset = InspectionPlan.objects.visible_to(user)


class RectificationFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "inspections.view"

    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Party or problem"))
    state = django_filters.ChoiceFilter(label=_("State"), choices=RectificationState.choices)
    node = jurisdiction_filter()
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="only_overdue")
    escalated = django_filters.BooleanFilter(label=_("Escalated"), method="only_escalated")
    enterprise = django_filters.NumberFilter(label=_("Enterprise"), field_name="enterprise_id",
                                             widget=forms.HiddenInput)

    class Meta:
        model = Rectification
        fields = ["q", "state", "node", "overdue", "escalated", "enterprise"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(party__icontains=value) | Q(item_text__icontains=value))

    def only_overdue(self, queryset, name, value):
        late = Q(deadline__lt=timezone.localdate()) & ~Q(state=RectificationState.CLOSED)
        return queryset.filter(late) if value else queryset.exclude(late)

    def only_escalated(self, queryset, name, value):
        return queryset.filter(escalated_at__isnull=not value)


class SubjectFilter(django_filters.FilterSet):
    """The API's subjects by plan or duty; the plans offered are those the user sees."""

    plan = django_filters.ModelChoiceFilter(queryset=InspectionPlan.objects.all())
    duty = django_filters.NumberFilter(field_name="duty_id")

    class Meta:
        model = PlanSubject
        fields = ["plan", "duty"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            self.filters["plan"].queryset = InspectionPlan.objects.visible_to(user)


class PlanFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "inspections.view"

    node = jurisdiction_filter()
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = InspectionPlan
        fields = ["node", "active"]
