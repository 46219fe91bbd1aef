"""What can be imported from and exported to Excel ledgers (台账), declared by each app.

An app describes its ledger in ``<app>/ledger.py`` with an :class:`Importer` and/or an
:class:`Exporter` subclass and registers an instance with :func:`register`; the ledgers app
imports every such module at start-up (see :class:`~shoumen.ledgers.apps.LedgersConfig`).
The generic pipeline (:mod:`shoumen.ledgers.services` lists its modules) reads and writes the
workbooks, keeps the job's progress, writes the error report and the audit rows; a definition
supplies only what is specific to its data:

* an importer: its columns, a per-row validator, an optional per-chunk validator (checks that
  need the database, batched), and a bulk writer that runs inside the import's one transaction;
* an exporter: the queryset for a user and the list page's filter parameters, and its columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shoumen.core import pii
from shoumen.core.views import optional_url


def normalize_header(text: Any) -> str:
    """Header text reduced for matching: case, spaces, ``*`` marks and (notes) ignored.

    "身份证号（必填）", " ID Number* " and "id number" all become the same key.
    """
    if text is None:
        return ""
    value = str(text)
    value = re.sub(r"[（(][^）)]*[）)]", "", value)
    value = re.sub(r"[\s*＊:：_]", "", value)
    return value.casefold()


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def masked_id_cell(text: str) -> str:
    """An ID-number cell for an error message: never the whole number, valid or not."""
    if len(text) >= 10:
        return pii.mask_id_number(text)
    return "*" * max(len(text) - 2, 0) + text[-2:]


def id_number_cell(raw: Any) -> str:
    """The validated ID number in a cell; ValidationError saying what is wrong, and that a
    cell Excel holds as a number has lost its last digits."""
    text = cell_text(raw)
    try:
        return pii.validate_id_number(text)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if isinstance(raw, int | float) and text:
            message += " " + _("The cell holds a number, and Excel keeps only 15 digits of a "
                               "number: format the column as Text and type the ID again.")
        raise ValidationError(message) from None


@dataclass(frozen=True)
class Column:
    """One column of a ledger. A file may head it with the Chinese or the English header or
    any alias; templates and exports use the Chinese header in a Chinese interface and the
    English one otherwise."""

    key: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str | Promise = ""
    width: int = 14
    text: bool = False  # keep as text in templates (long numbers that Excel would mangle)

    def header(self, language: str | None = None) -> str:
        language = language or get_language() or "zh-hans"
        return self.zh if language.lower().startswith("zh") else self.en

    @property
    def bilingual(self) -> str:
        return f"{self.zh}/{self.en}"

    def matches(self) -> set[str]:
        return {normalize_header(n) for n in (self.zh, self.en, *self.aliases)}


@dataclass
class CellError:
    """One problem in an uploaded file: where it is (row as Excel numbers it, column key),
    what the cell held (masked if it is personal data) and how to fix it."""

    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportContext:
    """What an importer needs while one job runs: the job, its user, and the definition's own
    lookups (``data``), filled in by :meth:`Importer.begin`."""

    job: Any
    user: Any
    data: dict = field(default_factory=dict)


class Importer:
    """Base for an app's importer. Subclasses set the class attributes and implement
    :meth:`validate_row` and :meth:`write`."""

    kind: str = ""
    label: str | Promise = ""
    capability: str = ""  # needed at the job's jurisdiction, e.g. "people.import"
    columns: tuple[Column, ...] = ()
    # Rows handed to validate_chunk and written per bulk statement.
    chunk_size: int = 1000

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def begin(self, ctx: ImportContext) -> None:
        """Load lookups once per job (e.g. tags, the nodes the user may write to)."""

    def validate_row(self, ctx: ImportContext, row: int, values: dict[str, Any]
                     ) -> tuple[Any, list[CellError]]:
        """Check one row. ``values`` holds the raw cell values by column key, for the columns
        the file has. Return ``(record, [])`` for a good row, ``(None, errors)`` for a bad one.
        Must not query the database per row (put such checks in :meth:`validate_chunk`)."""
        raise NotImplementedError

    def validate_chunk(self, ctx: ImportContext, rows: list[tuple[int, Any]]) -> list[CellError]:
        """Checks that need the database, for a chunk of good rows at once (a few queries)."""
        return []

    # Overridden by importers whose records carry costly work (e.g. encryption) that write()
    # would otherwise do; the pipeline runs it while it waits for the file to be read.
    def prepare(self, ctx: ImportContext, records: list[Any]) -> None:
        """Optionally do ahead of :meth:`write` per-record work that needs no database, on good
        records, a few at a time; :meth:`write` must still do it for records not prepared."""

    def write(self, ctx: ImportContext, records: list[Any]) -> int:
        """Insert the good records in bulk and audit them; runs inside the import's single
        transaction, so an exception rolls back everything. Returns the number created."""
        raise NotImplementedError

    def example_rows(self) -> list[list[Any]]:
        """Rows shown under the header in the downloadable template."""
        return []


@dataclass
class Sheet:
    """One worksheet of an export: its title, column headers and widths, the rows (lists of
    values; aware datetimes are written in local time) and, for the progress bar, how many."""

    title: str
    headers: list[str]
    widths: list[int]
    rows: Iterable[list[Any]]
    total: int = 0


class Exporter:
    """Base for an app's exporter. A list's export sets the class attributes and implements
    :meth:`queryset` and :meth:`row`: one sheet of its filtered rows. An export of another
    shape (a search with several sheets) overrides :meth:`validate`, :meth:`count` and
    :meth:`sheets` instead."""

    kind: str = ""
    label: str | Promise = ""
    capability: str = ""  # e.g. "people.export"
    columns: tuple[Column, ...] = ()
    chunk_size: int = 2000
    list_url: str = ""  # the list page's URL name (default "<kind>:list")

    def queryset(self, user, params):
        """The rows ``user`` exports for ``params`` (a QueryDict of the list page's filters).
        Raises django ValidationError for filters that are not valid."""
        raise NotImplementedError

    def row(self, obj) -> list[Any]:
        raise NotImplementedError

    def rows(self, queryset) -> Iterator[list[Any]]:
        for obj in queryset.iterator(chunk_size=self.chunk_size):
            yield self.row(obj)

    def resolve(self, params):
        """``params`` with anything relative made fixed as the job is queued (a period "up to
        now" becomes up to today), so the file, its count and its audit note agree."""
        return params

    def validate(self, user, params) -> None:
        """Raise ValidationError if ``params`` are not valid (before a job is queued)."""
        self.queryset(user, params)

    def count(self, user, params) -> int:
        """How many rows the export will hold (shown before it starts)."""
        return self.queryset(user, params).count()

    def sheets(self, user, params) -> list[Sheet]:
        """The workbook's sheets, written in this order."""
        queryset = self.queryset(user, params)
        return [Sheet(str(self.label)[:31], [c.header() for c in self.columns],
                      [c.width for c in self.columns], self.rows(queryset), queryset.count())]

    def audit_subject(self, user, params):
        """The record the export's audit row is about (None: the export job itself)."""
        return None

    def back_url(self, params) -> str | None:
        """The page the export was asked from, with its filters (the confirmation's "cancel")."""
        url = optional_url(self.list_url or f"{self.kind}:list")
        return f"{url}?{params.urlencode()}" if url and params else url

    def describe_filters(self, params) -> str:
        """The filters in words, for the confirmation page and the audit note."""
        return "; ".join(f"{k}={','.join(v)}" for k, v in params.lists() if any(v)) or "-"


class ListExporter(Exporter):
    """The export of a list page: ``filterset_class`` (the page's own filters, read from the
    same query string) over the rows the user may export; :meth:`narrow` adds the joins its
    rows need."""

    filterset_class: type | None = None

    def narrow(self, queryset):
        return queryset

    def queryset(self, user, params):
        model = self.filterset_class._meta.model
        filterset = self.filterset_class(params, queryset=model.objects.visible_to(
            user, self.capability), request=_UserOnly(user))
        if not filterset.is_valid():
            raise ValidationError(
                [f"{filterset.form.fields[f].label if f in filterset.form.fields else f}: {m}"
                 for f, messages in filterset.errors.items() for m in messages])
        return self.narrow(filterset.qs)

    def describe_filters(self, params):
        filterset = self.filterset_class(params, queryset=self.filterset_class._meta.model
                                         .objects.none())
        cleaned = filterset.form.cleaned_data if filterset.is_valid() else {}
        parts = []
        for key, values in params.lists():
            values = [v for v in values if v not in ("", None)]
            if not values or key not in filterset.form.fields:
                continue
            value = cleaned.get(key)
            if isinstance(value, list | tuple):
                shown = ", ".join(str(v) for v in value)
            elif value not in (None, ""):
                shown = str(value)
            else:
                shown = ", ".join(values)
            parts.append(f"{filterset.form.fields[key].label}: {shown}")
        return "; ".join(parts)


class _UserOnly:
    """Enough of a request for a list's filter set outside a request (the export task)."""

    def __init__(self, user):
        self.user = user
        self.GET = {}


_importers: dict[str, Importer] = {}
_exporters: dict[str, Exporter] = {}


def register(definition: Importer | Exporter) -> Importer | Exporter:
    """Make an importer or exporter available under its ``kind``; returns it unchanged."""
    target = _importers if isinstance(definition, Importer) else _exporters
    if not isinstance(definition, Importer | Exporter):
        raise TypeError(f"not an Importer or Exporter: {definition!r}")
    if not definition.kind or not definition.capability:
        raise ValueError(f"{type(definition).__name__} needs a kind and a capability")
    target[definition.kind] = definition
    return definition


def get_importer(kind: str) -> Importer:
    """The importer for ``kind``; LookupError if none is registered."""
    try:
        return _importers[kind]
    except KeyError:
        raise LookupError(kind) from None


def get_exporter(kind: str) -> Exporter:
    try:
        return _exporters[kind]
    except KeyError:
        raise LookupError(kind) from None


def importers() -> Iterable[Importer]:
    return list(_importers.values())


def exporters() -> Iterable[Exporter]:
    return list(_exporters.values())
