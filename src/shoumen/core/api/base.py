"""Shared API pieces: error format and the scoped viewset base."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Turn a service's Django ValidationError into a 400 with field messages (never a 500)."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


class ScopedViewSetMixin:
    """Every queryset starts from ``visible_to(request.user)``: out of scope is a 404."""

    scope_capability: str | None = None

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user, self.scope_capability)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
