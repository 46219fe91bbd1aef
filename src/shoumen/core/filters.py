from datetime import date, datetime, time, timedelta

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, AuditEvent
from .scoping import scope_for, subtree_q


def on_day(field: str):
    """A filter method: rows whose ``field`` falls on the chosen local day."""

    def method(queryset, name, day):
        start = timezone.make_aware(datetime.combine(day, time.min))
        return queryset.filter(**{f"{field}__gte": start,
                                  f"{field}__lt": start + timedelta(days=1)})

    return method


# Dates a filter accepts: a day far outside them is a typing slip, and date arithmetic at the
# calendar's ends (the week before 0001-01-02) would overflow.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def date_filter(**kwargs):
    """A DateFilter that refuses days before 2000 or after 2099 with a form error."""
    return django_filters.DateFilter(validators=[MinValueValidator(FIRST_DAY),
                                                 MaxValueValidator(LAST_DAY)], **kwargs)


def day_filter(field: str):
    """A ``day`` filter: one local day of the datetime ``field`` (Asia/Shanghai's day, not UTC's)."""
    return date_filter(label=_("Date"), method=on_day(field),
                       help_text=_("One day, e.g. 2026-03-01"))


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(label=_("Actor"), queryset=get_user_model().objects.all())
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditAction.choices)
    content_type = django_filters.ModelChoiceFilter(
        label=_("Object type"),
        queryset=ContentType.objects.filter(app_label__in=["geo", "accounts", "people",
                                                          "resumption"]),
    )
    object_id = django_filters.CharFilter(label=_("Object id"))
    request_id = django_filters.CharFilter(label=_("Request id"))
    since = django_filters.DateTimeFilter(label=_("From"), field_name="at", lookup_expr="gte")
    until = django_filters.DateTimeFilter(label=_("Until"), field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "content_type", "object_id", "request_id", "since", "until"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is None:
            return
        actors = get_user_model().objects.order_by("username")
        scope = scope_for(user)
        if not scope.is_global:  # actors who hold a role within the user's reach
            within = Q()
            for path in scope.paths("audit.view"):
                within |= subtree_q(path, "role_assignments__node__")
            actors = actors.filter(within).distinct()
        self.filters["actor"].queryset = actors
