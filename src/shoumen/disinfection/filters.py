"""Filters of the site list and the register (page, API and export alike)."""

from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.filters import date_filter
from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter
from shoumen.geo.models import Place

from .models import Operation, Record, Site, SiteKind


def _place_choices(filterset, user):
    filterset.filters["place"].queryset = (Place.objects.visible_to(user)
                                           .filter(disinfection_sites__isnull=False).distinct())


class SiteFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "disinfection.view"

    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Site, place or party"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=SiteKind.choices)
    node = jurisdiction_filter()
    place = django_filters.ModelChoiceFilter(label=_("At"), queryset=Place.objects.all())

    class Meta:
        model = Site
        fields = ["q", "kind", "node", "place"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if getattr(request, "user", None) is not None:
            _place_choices(self, request.user)

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(place__name__icontains=value)
                               | Q(party__icontains=value))


class RecordFilter(ScopedNodeChoices, django_filters.FilterSet):
    """The register: a place's or a site's operations over a period (local days, both ends
    included; the last 7 days unless given)."""

    node_capability = "disinfection.view"

    since = date_filter(label=_("From"), method="noop")
    until = date_filter(label=_("Until"), method="noop")
    node = jurisdiction_filter()
    place = django_filters.ModelChoiceFilter(label=_("At"), queryset=Place.objects.all())
    site = django_filters.ModelChoiceFilter(label=_("Site"), queryset=Site.objects.all())
    operation = django_filters.ChoiceFilter(label=_("Operation"), choices=Operation.choices)

    class Meta:
        model = Record
        fields = ["since", "until", "node", "place", "site", "operation"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            _place_choices(self, user)
            self.filters["site"].queryset = Site.objects.visible_to(user).select_related("place")

    def noop(self, queryset, name, value):
        return queryset  # the period is applied in qs, with its default

    def period(self) -> tuple:
        data = self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}
        until = data.get("until") or timezone.localdate()
        since = data.get("since") or until - timedelta(days=6)
        return since, until

    @property
    def qs(self):
        if self.form.is_bound and not self.form.is_valid():
            return self.queryset.none()
        since, until = self.period()
        start = timezone.make_aware(datetime.combine(since, time.min))
        end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
        return super().qs.filter(done_at__gte=start, done_at__lt=end)
