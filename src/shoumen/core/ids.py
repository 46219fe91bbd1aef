"""Record ids as the database stores them: whole numbers from 1 to 2⁶³−1 (a bigint).

Anything a client sends as an id — a path segment, a query parameter, a JSON field — is
parsed here, so that ``10000000000000000000`` or ``null,null`` is a 404 or a 400 and never
reaches the database (SQLite raises OverflowError for an integer past 64 bits):

* :class:`IdConverter` is the ``<id:…>`` path converter every URL with an id uses (registered
  on import; the API's router uses it too, :mod:`shoumen.core.api.routers`);
* :func:`parse_id` for ids read by hand from a body or query string;
* :class:`IdFormField`, :class:`IdFilter` and :class:`IdSerializerField` for forms, filters and
  serializers;
* :func:`guard_related_lookups` makes ``fk=<id>`` and ``fk__in=[…]`` lookups treat an
  out-of-range id as matching nothing, as Django already does for integer fields — the net
  under choice fields that query by the raw value (ModelChoiceField, PrimaryKeyRelatedField).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import EmptyResultSet
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    return type(value) is int and 0 < value <= MAX_ID


def parse_id(value) -> int | None:
    """``value`` as an id if it is one (an int, or a string of digits, in range), else None.
    JSON ``true`` is not id 1."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    return value if is_id(value) else None


class IdConverter:
    """``<id:pk>``: 1 to 19 digits within the bigint range, else the URL does not match
    (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValueError(f"not an id: {value}")
        return parsed

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")


class IdFormField(forms.IntegerField):
    """A form or filter field for an id, with the database's range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A filter by id: a whole number in the database's range (else a 400 that says so)."""

    field_class = IdFormField


class IdSerializerField(serializers.IntegerField):
    """A serializer field for an id, with the database's range."""

    default_error_messages = {"invalid": _("Give the id as a whole number, e.g. 12.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def _in_range(value) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -MAX_ID - 1 <= value <= MAX_ID


class _RangeCheckedExact(RelatedExact):
    def process_rhs(self, compiler, connection):
        if not _in_range(self.rhs):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


class _RangeCheckedIn(RelatedIn):
    def process_rhs(self, compiler, connection):
        if isinstance(self.rhs, list | tuple | set | frozenset):
            kept = [value for value in self.rhs if _in_range(value)]
            if not kept:
                raise EmptyResultSet
            self.rhs = kept
        return super().process_rhs(compiler, connection)


def guard_related_lookups() -> None:
    """Install the range-checked ``exact`` and ``in`` lookups on every relation (once, from
    ``CoreConfig.ready``)."""
    ForeignObject.register_lookup(_RangeCheckedExact, "exact")
    ForeignObject.register_lookup(_RangeCheckedIn, "in")
