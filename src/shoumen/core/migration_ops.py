"""Migration operations for big, busy tables.

On PostgreSQL an index on a table such as ``gate_entry`` (10 M rows at city scale) is built
with ``CREATE INDEX CONCURRENTLY``, so that the gate keeps registering entries while it
builds, and dropped with ``DROP INDEX CONCURRENTLY``. Other databases (SQLite) build and drop
it as usual. A migration using these sets ``atomic = False``.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


class _WhileWriting:
    concurrent: type  # the operation on PostgreSQL
    plain: type  # elsewhere

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._pick(schema_editor).database_forwards(self, app_label, schema_editor, from_state,
                                                    to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._pick(schema_editor).database_backwards(self, app_label, schema_editor, from_state,
                                                     to_state)

    def _pick(self, schema_editor) -> type:
        return self.concurrent if schema_editor.connection.vendor == "postgresql" else self.plain


class AddIndexWhileWriting(_WhileWriting, AddIndexConcurrently):
    concurrent, plain = AddIndexConcurrently, AddIndex


class RemoveIndexWhileWriting(_WhileWriting, RemoveIndexConcurrently):
    concurrent, plain = RemoveIndexConcurrently, RemoveIndex
