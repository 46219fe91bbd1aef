"""core.bulk: the one bulk insert (COPY on PostgreSQL, executemany on SQLite)."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shoumen.core import bulk, pii
from shoumen.core.models import AuditEvent
from shoumen.people import fake, services
from shoumen.people.models import Person, PersonStatus, PersonTag, StatusChange
from tests.factories import person


def test_insert_rows_returns_ids_in_row_order_and_stores_every_value(world):
    at = timezone.now() - timedelta(days=3)
    rows = [(at, world.worker_a.pk, "worker_a", "create", f"{i}", "张三", world.community_a.pk,
             None, {"name": "张三", "n": i, "born": "1990-05-17"}, "note", "req", "10.0.0.1")
            for i in range(5)]
    fields = ("at", "actor_id", "actor_name", "action", "object_id", "object_repr",
              "jurisdiction_id", "before", "after", "note", "request_id", "ip")
    ids = bulk.insert_rows(AuditEvent, rows, fields=fields)
    assert len(ids) == 5 and ids == sorted(ids) and len(set(ids)) == 5
    for i, pk in enumerate(ids):
        event = AuditEvent.objects.get(pk=pk)
        assert event.object_id == str(i) and event.at == at and event.actor == world.worker_a
        assert event.after == {"name": "张三", "n": i, "born": "1990-05-17"}
        assert event.before is None and event.ip == "10.0.0.1"
        assert event.jurisdiction == world.community_a
    # SQL NULL, not JSON null, for a None JSON value.
    assert AuditEvent.objects.filter(pk__in=ids, before__isnull=True).count() == 5


def test_later_ordinary_inserts_get_fresh_ids(db):
    ids = bulk.insert_rows(PersonTag, [(f"t{i}", f"标签{i}", True) for i in range(3)],
                           fields=("code", "name", "is_key_person"))
    tag = PersonTag.objects.create(code="after", name="之后")
    assert tag.pk > max(ids)
    more = bulk.insert_rows(PersonTag, [("again", "再来", False)],
                            fields=("code", "name", "is_key_person"))
    assert more[0] > tag.pk
    assert PersonTag.objects.get(pk=more[0]).is_key_person is False


def test_without_ids_and_with_nothing_to_insert(world):
    p = person(world.worker_a, world.community_a, "王五")
    tags = [PersonTag.objects.create(code=f"c{i}", name=f"n{i}") for i in range(2)]
    through = Person.tags.through
    assert bulk.insert_rows(through, [(p.pk, t.pk) for t in tags],
                            fields=("person_id", "persontag_id"), returning_ids=False) == []
    assert sorted(p.tags.values_list("name", flat=True)) == ["n0", "n1"]
    assert bulk.insert_rows(through, [], fields=("person_id", "persontag_id")) == []


def test_dates_and_times_round_trip(world):
    p = person(world.worker_a, world.community_a, "王五")
    when = timezone.now() - timedelta(days=2, minutes=5)
    (pk,) = bulk.insert_rows(StatusChange, [(p.pk, "normal", "home_observation", "返济",
                                             world.worker_a.pk, when)],
                             fields=("person_id", "from_status", "to_status", "reason",
                                     "changed_by_id", "changed_at"))
    change = StatusChange.objects.get(pk=pk)
    assert change.changed_at == when and change.changed_by == world.worker_a


def _unsaved_people(world, n, first=0):
    people = []
    for i in range(first, first + n):
        p = Person(jurisdiction=world.community_a, kind="resident", status=PersonStatus.NORMAL)
        p.set_name(f"张{i}")
        p.set_id_number(pii.validate_id_number(_id(i)))
        p.set_phone("")
        people.append(p)
    return people


def _id(i):
    return fake.id_number("370103", date(1990, 5, 17), i)


def test_insert_objects_sets_pks_state_and_auto_timestamps(world):
    people = _unsaved_people(world, 4)
    before = timezone.now()
    assert bulk.insert_objects(people) is people
    for p in people:
        assert p.pk is not None and not p._state.adding and p._state.db == "default"
        assert p.created_at == people[0].created_at >= before
        assert p.updated_at == people[0].updated_at >= before
        stored = Person.objects.get(pk=p.pk)
        assert (stored.name, stored.id_number, stored.birth_date) == (p.name, p.id_number,
                                                                     date(1990, 5, 17))
        assert stored.created_at == p.created_at
    p = people[0]
    p.address = "泺文路1号"
    p.save()  # an ordinary update of a bulk-inserted object
    assert Person.objects.get(pk=p.pk).address == "泺文路1号"


def test_insert_objects_refuses_objects_it_cannot_number(world):
    with pytest.raises(ValueError, match="auto-incrementing"):
        bulk.insert_objects(_unsaved_people(world, 1), fields=("id", "name"))


def test_a_unique_clash_raises_integrity_error_and_leaves_nothing(world):
    existing = services.create_person(actor=world.worker_a, jurisdiction=world.community_a,
                                      name="抢先", id_number=_id(7))
    clash = _unsaved_people(world, 3, first=5)  # _id(7) is the third
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_objects(clash)
    assert list(Person.objects.values_list("pk", flat=True)) == [existing.pk]


def test_new_objects_are_complete_model_instances(world):
    now = timezone.now()
    (built,) = bulk.new_objects(Person, [(world.community_a.pk, "李四", "resident", now)],
                                ("jurisdiction_id", "name", "kind", "status_since"))
    assert isinstance(built, Person) and built.pk is None and built._state.adding
    reference = Person(jurisdiction_id=world.community_a.pk, name="李四", kind="resident",
                       status_since=now)
    for field in Person._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(reference, field.attname), field.name
    assert built.jurisdiction == world.community_a  # relations load as usual
    assert str(built) == "李四"


def test_streamed_rows_carrying_their_ids(world):
    ids = bulk.allocate_ids(PersonTag, 3)
    assert len(ids) == 3 and len(set(ids)) == 3
    made = []

    def rows():
        for pk in ids:
            made.append(pk)
            yield pk, f"s{pk}", f"流{pk}", True

    assert bulk.insert_rows(PersonTag, rows(), fields=("id", "code", "name",
                                                       "is_key_person")) == []
    assert made == ids
    assert sorted(PersonTag.objects.values_list("pk", flat=True)) == sorted(ids)
    # Reserved ids are not handed out again.
    assert bulk.allocate_ids(PersonTag, 1)[0] > max(ids)
    assert PersonTag.objects.create(code="later", name="后来").pk > max(ids)


def test_a_query_while_producing_rows_fails_instead_of_hanging(world):
    def rows():
        PersonTag.objects.count()  # would wait forever for the COPY on PostgreSQL
        yield "x", "叉", True

    with pytest.raises(RuntimeError, match="while the rows of a bulk insert"), \
            transaction.atomic():
        bulk.insert_rows(PersonTag, rows(), fields=("code", "name", "is_key_person"),
                         returning_ids=False)
    assert not PersonTag.objects.exists()


def test_insert_new_rows_stores_only_keys_not_seen_and_says_which(world):
    PersonTag.objects.create(code="old", name="旧")
    node_code = world.community_a.code  # a key "logged" elsewhere: skipped like a stored one
    rows = [(f"n{i:03d}", f"新{i}", False) for i in range(150)]  # > one SQLite chunk
    rows += [("old", "又来", True), (node_code, "别处", True)]
    inserted = bulk.insert_new_rows(PersonTag, rows, fields=("code", "name", "is_key_person"),
                                    key="code", skip_keys_of=type(world.community_a))
    assert inserted == {f"n{i:03d}" for i in range(150)}
    assert PersonTag.objects.get(code="old").name == "旧"  # untouched
    assert not PersonTag.objects.filter(code=node_code).exists()
    assert PersonTag.objects.get(code="n007").name == "新7"
    # Again: nothing new, nothing doubled.
    assert bulk.insert_new_rows(PersonTag, rows, fields=("code", "name", "is_key_person"),
                                key="code") == {node_code}
    assert PersonTag.objects.count() == 1 + 150 + 1
    assert bulk.insert_new_rows(PersonTag, [], fields=("code",), key="code") == set()


def test_insert_new_rows_returns_keys_as_python_values(gate_entry_rows):
    rows, first_uuid = gate_entry_rows
    from shoumen.gate.entries.models import ENTRY_ROW_FIELDS, Entry

    inserted = bulk.insert_new_rows(Entry, rows, fields=ENTRY_ROW_FIELDS, key="uuid")
    assert first_uuid in inserted and len(inserted) == len(rows)
    stored = Entry.objects.get(uuid=first_uuid)
    assert stored.temperature == rows[0][5] and stored.at == rows[0][3]


def test_insert_new_rows_runs_in_the_callers_transaction(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk.insert_new_rows(PersonTag, [("x1", "叉", False)], fields=("code", "name",
                                                                      "is_key_person"), key="code")
        raise RuntimeError("the caller fails later")
    assert not PersonTag.objects.filter(code="x1").exists()


@pytest.fixture
def gate_entry_rows(world):
    from decimal import Decimal

    from shoumen.core.uuids import uuid7
    from tests import factories

    checkpoint = factories.checkpoint(world.community_a)
    resident = person(world.worker_a, world.grid_a1, "王五")
    now = timezone.now().replace(microsecond=0)
    rows = []
    for i in range(3):
        at = now - timedelta(minutes=i)
        rows.append((uuid7(at), checkpoint.pk, checkpoint.site_id, at, "in", Decimal("36.5"),
                     False, resident.pk, "lookup", None, None, None, "", "", now))
    return rows, rows[0][0]


def test_insert_new_rows_twice_in_one_transaction_inserts_each_call_only(world):
    with transaction.atomic():
        first = bulk.insert_new_rows(PersonTag, [("a1", "甲", False)],
                                     fields=("code", "name", "is_key_person"), key="code")
        PersonTag.objects.filter(code="a1").delete()
        second = bulk.insert_new_rows(PersonTag, [("b1", "乙", False)],
                                      fields=("code", "name", "is_key_person"), key="code")
    assert (first, second) == ({"a1"}, {"b1"})
    assert list(PersonTag.objects.values_list("code", flat=True)) == ["b1"]
