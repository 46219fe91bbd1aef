"""The one filter set for resident passes: the pass list page and ``GET /api/gate/passes/``."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import subtree_q
from shoumen.core.widgets import FastSelect
from shoumen.geo.models import Node, NodeKind

from .models import ResidentPass
from .services import PassState, state_q

PASSES_CAPABILITY = "gate.passes"


def in_node_q(node: Node) -> Q:
    """Passes of ``node``: a pass is filed under its holder's community, so a grid selects
    its residents' passes and any higher node the passes of the communities below it."""
    if node.kind == NodeKind.GRID:
        return subtree_q(node.path, "person__jurisdiction__")
    return subtree_q(node.path, "jurisdiction__")


class PassFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Pass number, or the holder's name or pinyin "
                                              "initials"))
    community = django_filters.ModelChoiceFilter(label=_("Community / grid"), method="in_node",
                                                 field_name="jurisdiction", widget=FastSelect,
                                                 queryset=Node.objects.all())
    state = django_filters.ChoiceFilter(label=_("State"), choices=PassState.choices,
                                        method="in_state")
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("number", "number"), ("person__name_pinyin", "holder"),
                ("issued_at", "issued"), ("valid_until", "valid_until")),
    )

    class Meta:
        model = ResidentPass
        fields = ["q", "community", "state"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            self.filters["community"].queryset = Node.objects.visible_to(user, PASSES_CAPABILITY)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(number__startswith=value)
        return queryset.filter(Q(person__name__icontains=value)
                               | Q(person__name_initials__startswith=value.lower()))

    def in_node(self, queryset, name, node):
        return queryset.filter(in_node_q(node))

    def in_state(self, queryset, name, value):
        return queryset.filter(state_q(value)) if value else queryset
