import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter
from shoumen.geo.models import Place, PlaceKind

from .models import (
    Enterprise,
    EnterpriseCategory,
    EnterpriseStatus,
    Problem,
    ProblemKind,
    ProblemState,
)


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


class ProblemFilter(ScopedNodeChoices, django_filters.FilterSet):
    """The work ledger's filters, on the page, in the API and in its export."""

    node_capability = "enterprises.view"

    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Enterprise or problem"))
    state = django_filters.ChoiceFilter(label=_("State"), choices=ProblemState.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProblemKind.choices)
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="only_overdue")
    mine = django_filters.BooleanFilter(label=_("Mine"), method="only_mine",
                                        help_text=_("Problems I am responsible for"))
    node = jurisdiction_filter()
    enterprise = django_filters.NumberFilter(label=_("Enterprise"), field_name="enterprise_id",
                                             widget=forms.HiddenInput)

    class Meta:
        model = Problem
        fields = ["q", "state", "kind", "overdue", "mine", "node", "enterprise"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self.user = getattr(request, "user", None)

    def search(self, queryset, name, value):
        return queryset.filter(Q(description__icontains=value)
                               | Q(enterprise__name__icontains=value))

    def only_overdue(self, queryset, name, value):
        late = Q(state=ProblemState.OPEN, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def only_mine(self, queryset, name, value):
        if self.user is None or not value:
            return queryset
        return queryset.filter(owner=self.user)
