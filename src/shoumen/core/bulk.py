"""Inserting many rows at once: the one way the project bulk-loads a table.

:func:`insert_rows` takes rows of values, :func:`insert_new_rows` rows some of which may
already be stored (idempotent uploads), :func:`insert_objects` model instances (and sets their
primary keys), :func:`allocate_ids` reserves primary keys ahead of an insert, and
:func:`object_maker` / :func:`new_objects` build instances cheaply from known values. Used by
the ledger imports, the audit trail of bulk-created objects and the demo-data generator.

What the inserts guarantee, on every database:

* they run inside the caller's transaction (or one of their own), so they are all or nothing;
* every constraint is enforced as for an ``INSERT``: a duplicate on a unique column raises
  Django's :class:`~django.db.IntegrityError`;
* the new primary keys come back in row order (and are set on the instances);
* like ``bulk_create``, no model ``save()`` and no signals: callers audit themselves (see
  :func:`shoumen.core.audit.record_bulk_create`).

On PostgreSQL the ids come from the table's sequence and the rows are streamed with
``COPY ... FROM STDIN``: Django's ``bulk_create`` adapts every value to SQL text in Python
(``INSERT ... UNNEST`` of client-side bound arrays), which cost ~10 times the client time of
COPY for 100,000 people. On SQLite one prepared ``INSERT`` runs for all rows (``executemany``),
2.5 times faster than ``bulk_create``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
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
# psycopg takes dates, aware datetimes, decimals and uuids as they are; SQLite needs text.
_PLAIN_ON_POSTGRESQL = (models.DateField, models.DateTimeField, models.DecimalField,
                        models.UUIDField)


def _is_plain(field, vendor: str) -> bool:
    target = field
    while target.is_relation:  # a key to a model whose primary key is itself a key
        target = target.target_field
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


def allocate_ids(model, count: int, *, using: str | None = None) -> list[int]:
    """Reserve ``count`` new primary keys of ``model`` (an auto-incrementing integer key) for
    rows the caller is about to insert, so that it can link and audit them while they go in.

    PostgreSQL: values of the table's own sequence, as ``INSERT`` would take. SQLite: the next
    ``count`` ids, taken by raising ``sqlite_sequence`` in the statement that also takes the
    write lock, so no other writer can get them. Ids of rows never inserted are simply skipped.
    """
    using = using or router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    if count <= 0:
        return []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [qn(meta.db_table), meta.pk.column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        if connection.vendor == "sqlite":
            highest = f"(SELECT coalesce(max({qn(meta.pk.column)}), 0) FROM {qn(meta.db_table)})"
            with transaction.atomic(using=using, savepoint=False):
                cursor.execute(
                    f"UPDATE sqlite_sequence SET seq = max(seq, {highest}) + %s WHERE name = %s "
                    "RETURNING seq", [count, meta.db_table])
                row = cursor.fetchone()
                if row is None:  # nothing ever inserted into the table
                    cursor.execute(f"INSERT INTO sqlite_sequence (name, seq) "
                                   f"SELECT %s, {highest} + %s RETURNING seq",
                                   [meta.db_table, count])
                    row = cursor.fetchone()
            return list(range(row[0] - count + 1, row[0] + 1))
    raise NotImplementedError(f"allocate_ids on {connection.vendor}")


def insert_rows(model, rows: Iterable[Sequence[Any]], *, fields: Sequence[str] | None = None,
                returning_ids: bool = True, using: str | None = None) -> list[int]:
    """Insert ``rows`` (sequences of model values in the order of ``fields``) into ``model``'s
    table; return the new primary keys in row order (``[]`` with ``returning_ids=False`` or
    when the rows carry their own).

    ``fields`` are attnames or names of concrete fields, by default every concrete field but
    the primary key. Values are what one would assign to the model attributes (``node_id``
    ints, dates, dicts for JSON fields). Fields left out get their database default, so give
    every field that has none (Django declares defaults in Python only).

    Rows that carry their primary key (from :func:`allocate_ids`) may come from a generator:
    on PostgreSQL it is consumed while the rows stream to the server, so the work done to
    produce each row overlaps with the database storing the previous ones.
    """
    if isinstance(rows, list | tuple) and not rows:
        return []
    using = using or router.db_for_write(model)
    connection = connections[using]
    field_list = _fields(model, fields)
    pk = model._meta.pk
    ids: list[int] = []
    if pk not in field_list and returning_ids:
        rows = list(rows)
        if not rows:
            return []
        ids = allocate_ids(model, len(rows), using=using)
        rows = [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)]
        field_list = [pk, *field_list]
    converters = _converters(field_list, connection)
    if converters is not None:
        rows = (tuple(value if convert is None else convert(value)
                      for convert, value in zip(converters, row, strict=True)) for row in rows)
    with transaction.atomic(using=using, savepoint=False):
        if connection.vendor == "postgresql":
            _copy(connection, connection.ops.quote_name(model._meta.db_table), field_list, rows)
        elif connection.vendor == "sqlite":
            _executemany(connection, model, field_list, rows)
        else:
            _bulk_create(model, field_list, rows, using)
    return ids


def _copy(connection, table: str, fields, rows) -> None:
    qn = connection.ops.quote_name
    sql = f"COPY {table} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    # The raw psycopg cursor: Django's wrapper has no copy(). Errors (a unique violation is
    # reported when the COPY ends) become Django's own, as for any query. A query from the
    # code producing the rows would wait forever for the connection the COPY holds: it fails.
    with (connection.cursor() as cursor, connection.wrap_database_errors,
          connection.execute_wrapper(_no_query_during_copy), cursor.cursor.copy(sql) as copy):
        write = copy.write_row
        for row in rows:
            write(row)


def _no_query_during_copy(execute, sql, params, many, context):
    raise RuntimeError("a query ran while the rows of a bulk insert were being produced (on "
                       "PostgreSQL it would wait for the COPY holding the connection); look "
                       f"the data up before inserting: {sql[:200]}")


def _executemany(connection, model, fields, rows) -> None:
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.execute_wrapper(_no_query_during_copy):  # as on PostgreSQL
        rows = list(rows)  # Django's query log counts them
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _bulk_create(model, fields, rows, using) -> None:
    names = [f.attname for f in fields]
    model._base_manager.using(using).bulk_create(
        [model(**dict(zip(names, row, strict=True))) for row in rows])


def insert_new_rows(model, rows: Sequence[Sequence[Any]], *, fields: Sequence[str], key: str,
                    skip_keys_of=None, using: str | None = None) -> set:
    """Insert those of ``rows`` whose ``key`` (a unique field among ``fields``) is not stored
    yet, nor in ``skip_keys_of`` (another model's field of the same name); return the keys
    inserted. Other rows are skipped silently, which makes a retried upload store nothing
    twice, even when two uploads of the same rows race. Rows are as for :func:`insert_rows`;
    their keys must be distinct.

    On PostgreSQL the rows are streamed by COPY into a temporary table of the session (emptied
    after each call), then moved by one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING
    RETURNING``: binding thousands of values as arrays cost the web process twice as much.
    SQLite runs the same ``INSERT`` on multi-row ``VALUES``, in chunks under its parameter
    limit.
    """
    if not rows:
        return set()
    using = using or router.db_for_write(model)
    connection = connections[using]
    field_list = _fields(model, fields)
    key_field = model._meta.get_field(key)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in field_list)
    skip = " WHERE true"  # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
    if skip_keys_of is not None:
        other = skip_keys_of._meta
        skip = (f" WHERE NOT EXISTS (SELECT 1 FROM {qn(other.db_table)} s "
                f"WHERE s.{qn(other.get_field(key).column)} = v.{qn(key_field.column)})")
    insert = (f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT {columns} FROM {{}} v"
              f"{skip} ON CONFLICT ({qn(key_field.column)}) DO NOTHING "
              f"RETURNING {qn(key_field.column)}")
    converters = _converters(field_list, connection)
    if converters is not None:
        rows = [tuple(value if convert is None else convert(value)
                      for convert, value in zip(converters, row, strict=True)) for row in rows]
    inserted = set()
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stage = qn(f"new_{model._meta.db_table}_{zlib.crc32(columns.encode()):08x}")
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                           f"AS SELECT {columns} FROM {qn(model._meta.db_table)} WITH NO DATA")
            _copy(connection, stage, field_list, rows)
            cursor.execute(insert.format(stage))
            inserted.update(row[0] for row in cursor.fetchall())
            cursor.execute(f"DELETE FROM {stage}")  # the next call may share the transaction
        else:
            per = max(1, 999 // len(field_list))  # SQLite's default limit on parameters
            one = f"({', '.join(['%s'] * len(field_list))})"
            for start in range(0, len(rows), per):
                chunk = rows[start:start + per]
                values = ", ".join([one] * len(chunk))
                cursor.execute(f"WITH v ({columns}) AS (VALUES {values}) {insert.format('v')}",
                               [value for row in chunk for value in row])
                inserted.update(key_field.to_python(row[0]) for row in cursor.fetchall())
    return inserted


def insert_objects(objs: Sequence[models.Model], *, fields: Sequence[str] | None = None,
                   using: str | None = None) -> Sequence[models.Model]:
    """Insert unsaved instances of one model (auto primary key unset) and set their pks.

    Fields with ``auto_now``/``auto_now_add`` get the current time, the same for all. Foreign
    keys must be set (``node=node`` or ``node_id=...``); other values are taken as they are,
    without ``full_clean``. Returns ``objs``.
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
    using = using or router.db_for_write(model)
    pk_name = meta.pk.attname
    for obj, pk in zip(objs, allocate_ids(model, len(objs), using=using), strict=True):
        setattr(obj, pk_name, pk)
    getter = attrgetter(pk_name, *(f.attname for f in field_list))
    insert_rows(model, [getter(obj) for obj in objs],
                fields=[pk_name, *(f.attname for f in field_list)], using=using)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def object_maker(model, fields: Sequence[str]):
    """A function making an unsaved ``model`` instance from a row of attribute values in the
    order of ``fields`` (attnames), ~10 times faster than calling the model: no ``__init__``,
    so no init signals. Concrete fields not among ``fields`` get their defaults, so the
    instances are complete. For objects inserted in bulk, not for general use."""
    meta = model._meta
    given = set(fields)
    missing = [f for f in meta.concrete_fields if f.attname not in given]
    new = model.__new__
    fields = tuple(fields)

    def make(row):
        obj = new(model)
        values = dict(zip(fields, row, strict=True))
        for field in missing:
            values[field.attname] = field.get_default()
        values["_state"] = ModelState()
        obj.__dict__ = values
        return obj

    return make


def new_objects(model, rows: Iterable[Sequence[Any]], fields: Sequence[str]) -> list:
    """Unsaved instances of ``model`` from rows of attribute values (see :func:`object_maker`)."""
    return list(map(object_maker(model, fields), rows))


@contextmanager
def indexes_dropped(table: str, *, constraints: bool = False):
    """PostgreSQL: drop the table's plain indexes for a bulk load and rebuild them after.

    Index upkeep cost ~50 µs a row during COPY; building each index once at the end is a
    fraction of that. By default indexes that back a constraint (primary key, unique ID-number
    index) stay, so uniqueness is still enforced row by row. With ``constraints`` the unique
    and foreign-key constraints go too and are added back at the end, which checks them all
    at once (an index built by sorting, one join per foreign key) and fails the load if a row
    breaks one. The primary key always stays. All inside the caller's transaction: on
    failure the drops roll back with everything else.
    """
    from django.db import connection

    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        dropped = []
        if constraints:
            # ALTER TABLE waits for no deferred check: run the ones pending first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # Unique before foreign keys when adding back ("u" sorts after "f": reversed).
            cursor.execute(
                """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                   WHERE conrelid = %s::regclass AND contype IN ('u', 'f')
                   ORDER BY contype DESC, conname""", [table])
            dropped = cursor.fetchall()
            for name, _ in dropped:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        cursor.execute(
            """SELECT i.relname, pg_get_indexdef(i.oid)
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
               WHERE x.indrelid = %s::regclass
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
    yield
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED); PostgreSQL will
        # not build an index over rows with checks pending, so run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in dropped:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        cursor.execute(f"ANALYZE {qn(table)}")
