import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import subtree_q
from shoumen.core.widgets import FastSelect

from .models import Node, NodeKind, Place, PlaceKind


class NodeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Level"), choices=NodeKind.choices)
    parent = django_filters.ModelChoiceFilter(label=_("Parent"), queryset=Node.objects.all())

    class Meta:
        model = Node
        fields = ["q", "kind", "parent"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class PlaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PlaceKind.choices)
    node = django_filters.ModelChoiceFilter(label=_("Jurisdiction"), method="in_subtree",
                                            widget=FastSelect,
                                            field_name="jurisdiction",
                                            queryset=Node.objects.all())
    ordering = django_filters.OrderingFilter(label=_("Sort by"),
                                             fields=(("name", "name"), ("kind", "kind")))

    class Meta:
        model = Place
        fields = ["q", "kind", "node"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value)
                               | Q(property_company__icontains=value))

    def in_subtree(self, queryset, name, node):
        return queryset.filter(subtree_q(node.path, "jurisdiction__"))
