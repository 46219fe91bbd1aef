"""The one filter set for people: the list page, the API and exports all use it."""

import django_filters
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import subtree_q
from shoumen.core.widgets import FastSelect
from shoumen.geo.models import Node

from .models import Person, PersonKind, PersonStatus, PersonTag
from .search import person_search_q


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Name, pinyin initials, address, or the last "
                                              "digits of the ID or phone number"))
    node = django_filters.ModelChoiceFilter(label=_("Community / grid"), method="in_subtree",
                                            widget=FastSelect,
                                            field_name="jurisdiction",
                                            queryset=Node.objects.all())
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

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            self.filters["node"].queryset = Node.objects.visible_to(user, "people.view")

    def search(self, queryset, name, value):
        return queryset.filter(person_search_q(value))

    def in_subtree(self, queryset, name, node):
        return queryset.filter(subtree_q(node.path, "jurisdiction__"))

    def key_persons(self, queryset, name, value):
        if value is None:
            return queryset
        key = queryset.filter(tags__is_key_person=True).values("pk")
        return queryset.filter(pk__in=key) if value else queryset.exclude(pk__in=key)
