import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import subtree_q
from shoumen.core.widgets import FastSelect
from shoumen.geo.models import Node

from .models import Enterprise, EnterpriseStatus


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EnterpriseStatus.choices)
    node = django_filters.ModelChoiceFilter(label=_("Jurisdiction"), method="in_subtree",
                                            widget=FastSelect,
                                            field_name="jurisdiction",
                                            queryset=Node.objects.all())
    ordering = django_filters.OrderingFilter(label=_("Sort by"),
                                             fields=(("name", "name"), ("status", "status")))

    class Meta:
        model = Enterprise
        fields = ["q", "status", "node", "building"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__startswith=value.upper()))

    def in_subtree(self, queryset, name, node):
        return queryset.filter(subtree_q(node.path, "jurisdiction__"))
