"""The fever alert list's filters (page and API alike)."""

import django_filters
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from shoumen.core.filters import day_filter
from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter

from .models import FeverAlert, FeverStage

# Fever alerts still open sort before closed ones.
OPEN_FIRST = Case(When(closed_at=None, then=Value(0)), default=Value(1), output_field=IntegerField())


class FeverAlertFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "gate.alerts"

    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=FeverStage.choices)
    is_open = django_filters.BooleanFilter(label=_("Open"), field_name="closed_at",
                                           lookup_expr="isnull")
    node = jurisdiction_filter(_("Community / grid"), "jurisdiction")
    date = day_filter("measured_at")

    class Meta:
        model = FeverAlert
        fields = ["stage", "is_open", "node", "date"]
