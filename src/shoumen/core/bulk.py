"""Inserting many rows at once: the one way the project bulk-loads a table.

:func:`insert_rows` takes rows of values, :func:`insert_objects` model instances (and sets their
primary keys); :func:`new_objects` builds instances cheaply from known values. Used by the
ledger imports and the demo-data generator.

What the inserts guarantee, on every database:

* they run inside the caller's transaction (or one of their own), so they are all or nothing;
* every constraint is enforced as for an ``INSERT``: a duplicate on a unique column raises
  Django's :class:`~django.db.IntegrityError`;
* the new primary keys come back in row order (and are set on the instances);
* like ``bulk_create``, no model ``save()`` and no signals: callers audit themselves (see
  :func:`shoumen.core.audit.record_bulk_create`).

On PostgreSQL the ids are taken from the table's sequence first and the rows then streamed with
``COPY ... FROM STDIN``: Django's ``bulk_create`` adapts every value to SQL text in Python
(``INSERT ... UNNEST`` of client-side bound arrays), which cost ~10 times the client time of
COPY for 100,000 people. On SQLite one prepared ``INSERT`` runs for all rows (``executemany``),
whose rowids are consecutive because the writer holds the database lock throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models.base import ModelState

# Field classes whose Python value is already what the database driver takes (for values of
# the field's own type): no per-value conversion needed on any backend.
_PLAIN = (
    models.CharField, models.SlugField, models.TextField, models.BooleanField,
    models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
    models.PositiveIntegerField, models.PositiveBigIntegerField, models.PositiveSmallIntegerField,
    models.AutoField, models.BigAutoField, models.SmallAutoField,
)
# psycopg takes dates and aware datetimes as they are; SQLite needs them as text.
_PLAIN_ON_POSTGRESQL = (models.DateField, models.DateTimeField)


def _is_plain(field, vendor: str) -> bool:
    target = field.target_field if field.is_relation else field
    kinds = _PLAIN + _PLAIN_ON_POSTGRESQL if vendor == "postgresql" else _PLAIN
    # Exact classes only: a subclass may convert its values (e.g. an encrypted field).
    return type(target) in kinds


def _converters(fields, connection) -> list | None:
    """Per field, the function turning a model value into a database value (None: as is)."""
    converters = [
        None if _is_plain(f, connection.vendor)
        else (lambda value, f=f: f.get_db_prep_save(value, connection))
        for f in fields
    ]
    return converters if any(converters) else None


def _fields(model, names: Sequence[str] | None) -> list:
    meta = model._meta
    if names is None:
        return [f for f in meta.concrete_fields if not f.primary_key]
    by_name = {f.attname: f for f in meta.concrete_fields} | {
        f.name: f for f in meta.concrete_fields}
    return [by_name[name] for name in names]


def insert_rows(model, rows: Iterable[Sequence[Any]], *, fields: Sequence[str] | None = None,
                returning_ids: bool = True, using: str | None = None) -> list[int]:
    """Insert ``rows`` (sequences of model values in the order of ``fields``) into ``model``'s
    table and return the new primary keys in row order (``[]`` with ``returning_ids=False``).

    ``fields`` are attnames or names of concrete fields, by default every concrete field but
    the primary key. Values are what one would assign to the model attributes (``jurisdiction_id``
    ints, dates, dicts for JSON fields); fields left out get their database default, so give
    every field without one. The primary key must be an auto-incrementing integer unless it is
    among ``fields``.
    """
    using = using or router.db_for_write(model)
    connection = connections[using]
    field_list = _fields(model, fields)
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return []
    pk = model._meta.pk
    auto_pk = pk not in field_list
    converters = _converters(field_list, connection)
    if converters is not None:
        rows = [tuple(value if convert is None else convert(value)
                      for convert, value in zip(converters, row, strict=True)) for row in rows]
    with transaction.atomic(using=using, savepoint=False):
        if connection.vendor == "postgresql":
            return _copy(connection, model, field_list, rows, auto_pk and returning_ids)
        if connection.vendor == "sqlite":
            return _executemany(connection, model, field_list, rows, auto_pk and returning_ids)
        return _bulk_create(model, field_list, rows, using)


def _copy(connection, model, fields, rows, with_ids: bool) -> list[int]:
    meta = model._meta
    qn = connection.ops.quote_name
    columns = [f.column for f in fields]
    ids: list[int] = []
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [qn(meta.db_table), meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            columns.insert(0, meta.pk.column)
        sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
        # The raw psycopg cursor: Django's wrapper has no copy(). Errors (a unique violation
        # reported when the COPY ends) become Django's own, as for any query.
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            write = copy.write_row
            if with_ids:
                for pk, row in zip(ids, rows, strict=True):
                    write((pk, *row))
            else:
                for row in rows:
                    write(row)
    return ids


def _executemany(connection, model, fields, rows, with_ids: bool) -> list[int]:
    meta = model._meta
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        if not with_ids:
            return []
        # This connection holds SQLite's write lock from the first row to the end of the
        # transaction, so the rowids it was given are the last n, consecutively.
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
    return list(range(last - len(rows) + 1, last + 1))


def _bulk_create(model, fields, rows, using) -> list[int]:
    names = [f.attname for f in fields]
    objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
    model._base_manager.using(using).bulk_create(objs)
    return [obj.pk for obj in objs]


def insert_objects(objs: Sequence[models.Model], *, fields: Sequence[str] | None = None,
                   using: str | None = None) -> Sequence[models.Model]:
    """Insert unsaved instances of one model (auto primary key unset) and set their pks.

    Fields with ``auto_now``/``auto_now_add`` get the current time, the same for all. Foreign
    keys must be set (``jurisdiction=node`` or ``jurisdiction_id=...``); other values are
    taken as they are, without ``full_clean``. Returns ``objs``.
    """
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    field_list = _fields(model, fields)
    if meta.pk in field_list or not isinstance(meta.pk, models.AutoField):
        raise ValueError(f"insert_objects needs {meta.label}'s auto-incrementing primary key")
    for field in field_list:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = field.pre_save(objs[0], True)
            for obj in objs:
                setattr(obj, field.attname, value)
    getter = attrgetter(*(f.attname for f in field_list))
    rows = [getter(obj) for obj in objs] if len(field_list) > 1 else [
        (getter(obj),) for obj in objs]
    using = using or router.db_for_write(model)
    ids = insert_rows(model, rows, fields=[f.attname for f in field_list], using=using)
    pk_name = meta.pk.attname
    for obj, pk in zip(objs, ids, strict=True):
        setattr(obj, pk_name, pk)
        obj._state.adding = False
        obj._state.db = using
    return objs


def new_objects(model, rows: Iterable[Sequence[Any]], fields: Sequence[str]) -> list:
    """Unsaved instances of ``model`` from rows of attribute values, ~10 times faster than
    calling the model: no ``__init__`` (so no per-field defaults and no init signals).

    ``fields`` are attnames; every concrete field not among them is set to its default, so the
    instances are complete. For objects about to be inserted in bulk, not for general use.
    """
    meta = model._meta
    given = set(fields)
    missing = [f for f in meta.concrete_fields if f.attname not in given]
    objs = []
    new = model.__new__
    for row in rows:
        obj = new(model)
        values = dict(zip(fields, row, strict=True))
        for field in missing:
            values[field.attname] = field.get_default()
        values["_state"] = ModelState()
        obj.__dict__ = values
        objs.append(obj)
    return objs
