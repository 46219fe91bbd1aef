"""The jurisdiction tree's filter sets, and the jurisdiction filter every list uses: a chosen
node takes its whole subtree (a community includes its grids) and the choices are the nodes
the user sees."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import subtree_q
from shoumen.core.widgets import FastSelect

from .models import Node, NodeKind, Place, PlaceKind


def in_subtree(field: str):
    """A filter method: rows whose ``field`` node lies in the chosen node's subtree."""

    def method(queryset, name, node):
        return queryset.filter(subtree_q(node.path, f"{field}__"))

    return method


def jurisdiction_filter(label=None, field: str = "jurisdiction"):
    """The ``node`` filter of a list: rows whose ``field`` lies in the chosen node's subtree."""
    return django_filters.ModelChoiceFilter(label=label or _("Jurisdiction"),
                                            method=in_subtree(field),
                                            field_name=field, widget=FastSelect,
                                            queryset=Node.objects.all())


class ScopedNodeChoices:
    """A filter set's ``node`` and ``parent`` choices narrowed to the nodes the requesting user
    sees under ``node_capability`` (no other jurisdiction's name appears in the list)."""

    node_capability = "geo.view"

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is None:
            return
        visible = Node.objects.visible_to(user, self.node_capability).order_by("path")
        for name in ("node", "parent"):
            if name in self.filters:
                self.filters[name].queryset = visible


class NodeFilter(ScopedNodeChoices, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", help_text=_("Name or code"))
    kind = django_filters.ChoiceFilter(label=_("Level"), choices=NodeKind.choices)
    parent = django_filters.ModelChoiceFilter(label=_("Parent"), queryset=Node.objects.all())

    class Meta:
        model = Node
        fields = ["q", "kind", "parent"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class PlaceFilter(ScopedNodeChoices, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Name, address or property company"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PlaceKind.choices)
    node = jurisdiction_filter()
    ordering = django_filters.OrderingFilter(label=_("Sort by"),
                                             fields=(("name", "name"), ("kind", "kind")))

    class Meta:
        model = Place
        fields = ["q", "kind", "node"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value)
                               | Q(property_company__icontains=value))
