"""The entry log's and the refusal list's filters (pages and API alike)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from shoumen.core.filters import day_filter
from shoumen.core.ids import IdFilter
from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter

from .models import Entry, Refusal, RefusalReason


class EntryFilter(django_filters.FilterSet):
    """Entries by checkpoint, person, time and fever. Checkpoint and person are ids (a
    number outside the user's scope simply matches nothing)."""

    checkpoint = IdFilter(label=_("Checkpoint"), field_name="checkpoint_id")
    person = IdFilter(label=_("Person"), field_name="person_id")
    since = django_filters.IsoDateTimeFilter(label=_("From"), field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(label=_("Before"), field_name="at", lookup_expr="lt")
    date = day_filter("at")
    fever = django_filters.BooleanFilter(label=_("Fever"))
    direction = django_filters.ChoiceFilter(label=_("Direction"),
                                            choices=Entry._meta.get_field("direction").choices)

    class Meta:
        model = Entry
        fields = ["checkpoint", "person", "since", "until", "date", "fever", "direction"]


class RefusalFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "gate.view"

    checkpoint = IdFilter(label=_("Checkpoint"), field_name="checkpoint_id")
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=RefusalReason.choices)
    node = jurisdiction_filter(_("Jurisdiction"), "checkpoint__place__jurisdiction")
    date = day_filter("at")

    class Meta:
        model = Refusal
        fields = ["checkpoint", "reason", "node", "date"]
