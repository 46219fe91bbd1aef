"""The gate's filter sets: each serves its page and its API list, so both behave the same.

Jurisdiction choices are narrowed to what the requesting user can see; a jurisdiction filter
takes the whole subtree (a community includes its grids).
"""

from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.ids import IdFilter
from shoumen.core.scoping import subtree_q
from shoumen.core.widgets import FastSelect
from shoumen.geo.models import Node

from .models import Checkpoint, Entry, FeverAlert, FeverStage, Refusal, RefusalReason

# Fever alerts still open sort before closed ones.
OPEN_FIRST = Case(When(closed_at=None, then=Value(0)), default=Value(1), output_field=IntegerField())



class SiteKind:
    GATE = "gate"
    LOBBY = "lobby"
    CHOICES = [(GATE, _("Community gate")), (LOBBY, _("Building lobby"))]


def _in_subtree(field: str):
    """A filter method: rows whose ``field`` node lies in the chosen node's subtree."""

    def method(queryset, name, node):
        return queryset.filter(subtree_q(node.path, f"{field}__"))

    return method


def _on_day(field: str):
    """A filter method: rows whose ``field`` falls on the chosen local day."""

    def method(queryset, name, day):
        start = timezone.make_aware(datetime.combine(day, time.min))
        return queryset.filter(**{f"{field}__gte": start,
                                  f"{field}__lt": start + timedelta(days=1)})

    return method


def _node_filter(label, field: str):
    return django_filters.ModelChoiceFilter(label=label, method=_in_subtree(field),
                                            field_name=field, widget=FastSelect,
                                            queryset=Node.objects.all())


def _day_filter(field: str):
    return django_filters.DateFilter(label=_("Date"), method=_on_day(field),
                                     help_text=_("One day, e.g. 2026-03-01"))


class _ScopedNodeChoices:
    """Narrows the ``node`` filter's choices to the nodes the user sees under
    ``node_capability``."""

    node_capability = "gate.view"

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None and "node" in self.filters:
            self.filters["node"].queryset = (Node.objects.visible_to(user, self.node_capability)
                                             .order_by("path"))


class CheckpointFilter(_ScopedNodeChoices, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Checkpoint or building name"))
    node = _node_filter(_("Jurisdiction"), "place__jurisdiction")
    site = django_filters.ChoiceFilter(label=_("Kind of site"), choices=SiteKind.CHOICES,
                                       method="site_kind")
    active = django_filters.BooleanFilter(label=_("In use"))

    class Meta:
        model = Checkpoint
        fields = ["q", "node", "site", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(place__name__icontains=value)
                               | Q(place__building__name__icontains=value))

    def site_kind(self, queryset, name, value):
        return queryset.filter(place__building__isnull=value == SiteKind.GATE)


class FeverAlertFilter(_ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "gate.alerts"

    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=FeverStage.choices)
    is_open = django_filters.BooleanFilter(label=_("Open"), field_name="closed_at",
                                           lookup_expr="isnull")
    node = _node_filter(_("Community / grid"), "jurisdiction")
    date = _day_filter("measured_at")

    class Meta:
        model = FeverAlert
        fields = ["stage", "is_open", "node", "date"]


class EntryFilter(django_filters.FilterSet):
    """Entries by checkpoint, person, time and fever. Checkpoint and person are ids (a
    number outside the user's scope simply matches nothing)."""

    checkpoint = IdFilter(label=_("Checkpoint"), field_name="checkpoint_id")
    person = IdFilter(label=_("Person"), field_name="person_id")
    since = django_filters.IsoDateTimeFilter(label=_("From"), field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(label=_("Before"), field_name="at", lookup_expr="lt")
    date = _day_filter("at")
    fever = django_filters.BooleanFilter(label=_("Fever"))
    direction = django_filters.ChoiceFilter(label=_("Direction"),
                                            choices=Entry._meta.get_field("direction").choices)

    class Meta:
        model = Entry
        fields = ["checkpoint", "person", "since", "until", "date", "fever", "direction"]


class RefusalFilter(_ScopedNodeChoices, django_filters.FilterSet):
    checkpoint = IdFilter(label=_("Checkpoint"), field_name="checkpoint_id")
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=RefusalReason.choices)
    node = _node_filter(_("Jurisdiction"), "checkpoint__place__jurisdiction")
    date = _day_filter("at")

    class Meta:
        model = Refusal
        fields = ["checkpoint", "reason", "node", "date"]
