"""The windows list's filters (page and API alike): a day (today unless chosen), a
jurisdiction's subtree, a state, a kind of record, the user's own duties."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.filters import date_filter
from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter

from .models import Window, WindowState


class WindowFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "duties.view"

    day = date_filter(label=_("Day"), method="noop",
                                    help_text=_("Empty: today."))
    week = django_filters.BooleanFilter(label=_("The week to that day"), method="noop",
                                        widget=forms.CheckboxInput)
    node = jurisdiction_filter()
    state = django_filters.ChoiceFilter(label=_("State"), method="in_state",
                                        choices=WindowState.choices)
    kind = django_filters.CharFilter(label=_("Kind of record"), field_name="duty__kind")
    place = django_filters.NumberFilter(label=_("Place"), method="at_place",
                                        widget=forms.HiddenInput)
    mine = django_filters.BooleanFilter(label=_("My duties only"), method="only_mine")

    class Meta:
        model = Window
        fields = ["day", "week", "node", "state", "kind", "place", "mine"]

    @property
    def qs(self):
        """Today's windows unless a day is chosen; none while a filter is wrong (its error is
        on the form), rather than another day's under the wrong date."""
        if self.form.is_bound and not self.form.is_valid():
            return self.queryset.none()
        first, last = self.period()
        return super().qs.filter(day__gte=first, day__lte=last)

    def period(self) -> tuple:
        """(first day, last day): the chosen day (today), or the week ending on it."""
        data = self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}
        last = data.get("day") or timezone.localdate()
        return (last - timedelta(days=6) if data.get("week") else last), last

    def noop(self, queryset, name, value):
        return queryset  # the period (day, week) is applied in qs, with its default

    def in_state(self, queryset, name, state):
        """A window past its end without a record is missed, swept or not."""
        passed = Q(state=WindowState.DUE, ends_at__lte=timezone.now())
        if state == WindowState.MISSED:
            return queryset.filter(Q(state=WindowState.MISSED) | passed)
        if state == WindowState.DUE:
            return queryset.filter(state=WindowState.DUE).exclude(passed)
        return queryset.filter(state=state)

    def at_place(self, queryset, name, place_id):
        """Duties at the place, or at a place in it (a building's sites and venues)."""
        return queryset.filter(Q(duty__place_id=place_id) | Q(duty__place__building_id=place_id))

    def only_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(Q(duty__owner=user) | Q(duty__leader=user))
