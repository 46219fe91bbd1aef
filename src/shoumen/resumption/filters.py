import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter
from shoumen.geo.models import Place, PlaceKind

from .models import Enterprise, EnterpriseCategory, EnterpriseStatus


class EnterpriseFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "enterprises.view"

    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Name or credit code"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EnterpriseStatus.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=EnterpriseCategory.choices)
    key_enterprise = django_filters.BooleanFilter(label=_("Key enterprise"))
    node = jurisdiction_filter()
    ordering = django_filters.OrderingFilter(label=_("Sort by"),
                                             fields=(("name", "name"), ("status", "status")))

    class Meta:
        model = Enterprise
        fields = ["q", "status", "category", "key_enterprise", "node", "building"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            self.filters["building"].queryset = (Place.objects.visible_to(user, "geo.view")
                                                 .filter(kind=PlaceKind.BUILDING).order_by("name"))

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__startswith=value.upper()))
