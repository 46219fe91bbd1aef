"""Plain SQL for the few hot paths that skip the ORM's query compiler: statements prepared
once per connection, model instances from their rows, one-row inserts (see
docs/decisions/0007)."""

import functools

from django.db import connection


def partial_instance(model, values: dict):
    """An instance of ``model`` as the ORM would load it with ``only(*values)``: the given
    fields set, the others deferred (read from the database if touched), ``save()`` limited
    to what was loaded. Values must already be Python values (see :func:`aware`)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    if len(names) != len(values):
        unknown = sorted(set(values) - set(names))
        raise TypeError(f"{model.__name__} has no fields {unknown}")
    return model.from_db(connection.alias, names, [values[n] for n in names])


def hot_cursor():
    """A cursor whose statements PostgreSQL parses and plans once per connection.

    Django binds parameters in the client, so the server parses and plans every statement
    again: on the gate's hot path that cost more than the work itself. This cursor binds on
    the server and prepares each statement at its first use. It is still Django's cursor
    wrapper (errors become ``django.db`` errors, queries are logged when Django logs them).
    Statements run here must be plain enough for server-side binding (no ``%s`` where SQL
    needs a literal). On other databases it is the ordinary cursor.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = _preparing_cursor_class()(connection.connection)
        _time_zone_as_django_does(cursor)
        return connection._prepare_cursor(cursor)


def _time_zone_as_django_does(cursor) -> None:
    """Django's own cursors read timestamps in the connection's time zone (its create_cursor):
    the same here."""
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, cursor)


@functools.cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

        def _send_query_prepared(self, name, pgq, *, binary=None):
            # psycopg notes the statement sent only when it is not prepared; Django's query
            # log (assertNumQueries, the debug toolbar) reads that note.
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)

    return PreparingCursor


_insert_sql: dict[tuple, tuple[str, list, bool]] = {}


def insert_row(obj) -> None:
    """INSERT one new instance with a statement built once per model and database, setting
    its primary key. Like ``save(force_insert=True)`` without the query compiler and without
    signals, so only for models that have none (e.g. gate entries, which are not audited).
    A unique violation raises IntegrityError as usual."""
    model = type(obj)
    key = (model, connection.vendor)
    if key not in _insert_sql:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        qn = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert
        sql = (f"INSERT INTO {qn(model._meta.db_table)} "
               f"({', '.join(qn(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})"
               + (f" RETURNING {qn(model._meta.pk.column)}" if returning else ""))
        _insert_sql[key] = (sql, fields, returning)
    sql, fields, returning = _insert_sql[key]
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj._state.adding = False
    obj._state.db = connection.alias
