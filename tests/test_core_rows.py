"""core.rows (the hot path's plain SQL) and core.uuids (time-ordered uuids)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from shoumen.core.rows import hot_cursor
from shoumen.core.uuids import uuid7
from shoumen.people.models import PersonTag

SQL = "SELECT code, name FROM people_persontag WHERE code = %s"


def test_hot_cursor_reads_like_any_cursor_and_is_in_the_query_log(db):
    PersonTag.objects.create(code="hot", name="热")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            with hot_cursor() as cursor:
                cursor.execute(SQL, ["hot"])
                assert cursor.fetchall() == [("hot", "热")]
    assert len(queries) == 3
    assert all(q["sql"] and "people_persontag" in q["sql"] for q in queries)


def test_hot_cursor_prepares_its_statements_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(2):
        with hot_cursor() as cursor:
            cursor.execute(SQL, ["x"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("people_persontag" in s for s in prepared)
    # Django's own queries stay unprepared (client-side binding, poolers unaffected).
    PersonTag.objects.filter(code="y").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == len(prepared)


def test_hot_cursor_errors_are_djangos(db):
    PersonTag.objects.create(code="dup", name="一")
    with pytest.raises(IntegrityError), transaction.atomic(), hot_cursor() as cursor:
        cursor.execute("INSERT INTO people_persontag (code, name, is_key_person) "
                       "VALUES (%s, %s, %s)", ["dup", "二", False])


def test_uuid7_carries_the_time_and_sorts_by_it():
    at = datetime(2026, 3, 1, 8, 30, 0, 123000, tzinfo=UTC)
    made = uuid7(at)
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert made.int >> 80 == int(at.timestamp() * 1000)
    assert uuid.UUID(str(made)) == made and hash(uuid.UUID(str(made))) == hash(made)
    later = [uuid7(at + timedelta(milliseconds=i)) for i in range(1, 50)]
    assert sorted(later) == later and all(u > made for u in later)
    assert len({uuid7(at) for _ in range(1000)}) == 1000  # random in the same millisecond
    assert uuid7(at, 5) == uuid7(at, 5) and uuid7(at, 5) != uuid7(at, 6)
    assert abs((uuid7().int >> 80) / 1000 - datetime.now(UTC).timestamp()) < 5
