"""The checkpoint list's filters (page and API alike)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter

from .models import Checkpoint


class SiteKind:
    GATE = "gate"
    LOBBY = "lobby"
    CHOICES = [(GATE, _("Community gate")), (LOBBY, _("Building lobby"))]


class CheckpointFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "gate.view"

    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Checkpoint or building name"))
    node = jurisdiction_filter(_("Jurisdiction"), "place__jurisdiction")
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
