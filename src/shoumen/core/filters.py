import django_filters
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, AuditEvent


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
