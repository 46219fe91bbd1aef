"""The one filter set for people: the list page, the API and exports all use it."""

import django_filters
from django.utils.translation import gettext_lazy as _

from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter

from .models import Person, PersonKind, PersonStatus, PersonTag
from .search import person_search_q


class PersonFilter(ScopedNodeChoices, django_filters.FilterSet):
    node_capability = "people.view"

    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Name, pinyin initials, address, or the last "
                                              "digits of the ID or phone number"))
    node = jurisdiction_filter(_("Community / grid"))
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=PersonStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PersonKind.choices)
    tag = django_filters.ModelChoiceFilter(label=_("Tag"), field_name="tags",
                                           queryset=PersonTag.objects.all())
    key_person = django_filters.BooleanFilter(label=_("Key persons only"), method="key_persons")
    household = django_filters.CharFilter(label=_("Household no."))
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("name_pinyin", "name"), ("status", "status"), ("birth_date", "birth_date"),
                ("updated_at", "updated_at"), ("jurisdiction__path", "community")),
    )

    class Meta:
        model = Person
        fields = ["q", "node", "status", "kind", "tag", "key_person", "household"]

    def search(self, queryset, name, value):
        return queryset.filter(person_search_q(value))

    def key_persons(self, queryset, name, value):
        if value is None:
            return queryset
        key = queryset.filter(tags__is_key_person=True).values("pk")
        return queryset.filter(pk__in=key) if value else queryset.exclude(pk__in=key)
