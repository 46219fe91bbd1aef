from django.contrib.contenttypes.models import ContentType

from shoumen.core import request_context
from shoumen.core.models import AuditEvent
from shoumen.geo.models import Place
from shoumen.people import services
from shoumen.people.models import Person, PersonTag
from tests.factories import person, place


def events_for(obj):
    return AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)),
                                     object_id=str(obj.pk)).order_by("id")


def test_create_update_delete_are_audited_with_before_after(world):
    with request_context.acting_as(world.commander, request_id="req123"):
        p = place(world.community_a, "绿地中心", property_company="绿地物业")
        p.property_company = "新物业"
        p.save()
        p.save()  # nothing changed: no row
        pk = p.pk
        p.delete()
    p.pk = pk
    rows = list(events_for(p))
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(r.actor == world.commander and r.request_id == "req123" for r in rows)
    assert rows[0].after["name"] == "绿地中心"
    assert rows[1].before == {"property_company": "绿地物业"}
    assert rows[1].after == {"property_company": "新物业"}
    assert rows[2].before["name"] == "绿地中心"
    assert rows[0].jurisdiction == world.community_a
    assert not Place.objects.filter(pk=pk).exists()


def test_person_update_audit_never_contains_plain_numbers(world):
    p = person(world.worker_a, world.community_a, "王五", phone="13812345678")
    with request_context.acting_as(world.worker_a):
        services.update_person(p, actor=world.worker_a, phone="13900001111", address="泺文路1号")
    update = events_for(p).filter(action="update").get()
    dumped = str(update.before) + str(update.after)
    assert "13900001111" not in dumped and "13812345678" not in dumped
    assert update.after == {"phone_masked": "139****1111", "address": "泺文路1号"}
    assert update.before["phone_masked"] == "138****5678"


def test_tags_change_is_audited(world):
    p = person(world.worker_a, world.community_a, "王五")
    tag = PersonTag.objects.create(code="returned", name="外地返济")
    with request_context.acting_as(world.worker_a):
        services.update_person(p, actor=world.worker_a, tags=[tag])
    row = events_for(p).filter(action="update", note__contains="tags").get()
    assert row.after == {"tags": ["外地返济"]}


def test_reveal_is_audited(world):
    p = person(world.worker_a, world.community_a, "王五", phone="13812345678")
    with request_context.acting_as(world.worker_a):
        shown = services.reveal_person(p, actor=world.worker_a)
    assert shown["phone"] == "13812345678"
    assert events_for(p).filter(action="view_pii", actor=world.worker_a).count() == 1


def test_status_change_history_and_audit(world):
    p = person(world.worker_a, world.community_a, "王五")
    with request_context.acting_as(world.worker_a):
        change = services.change_status(p, actor=world.worker_a, status="home_observation",
                                        reason="密切接触者")
        assert services.change_status(p, actor=world.worker_a, status="home_observation",
                                      reason="again") is None
    p.refresh_from_db()
    assert p.status == "home_observation" and p.status_since == change.changed_at
    assert list(p.status_changes.values_list("from_status", "to_status")) == [("normal", "home_observation")]
    row = events_for(p).filter(action="update").get()
    assert row.after["status"] == "home_observation"


def test_request_id_header_round_trip(world, client):
    client.force_login(world.worker_a)
    r = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert r["X-Request-ID"] == "abc123"
    r = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; drop")
    assert r["X-Request-ID"] != "bad id; drop" and len(r["X-Request-ID"]) == 32


def test_audit_visible_to_commanders_with_audit_capability_only(world):
    person(world.worker_a, world.community_a, "王五")
    assert not AuditEvent.objects.visible_to(world.worker_a).exists()
    assert AuditEvent.objects.visible_to(world.admin).exists()


def test_bad_input_writes_nothing(world):
    import pytest
    from django.core.exceptions import ValidationError

    before = (Person.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.create_person(actor=world.worker_a, jurisdiction=world.community_a, name="错",
                               id_number="370102199001011230", phone="123")
    assert set(exc.value.message_dict) == {"id_number", "phone"}
    with pytest.raises(ValidationError):
        services.create_person(actor=world.worker_b, jurisdiction=world.community_a, name="越权",
                               id_number="")
    assert (Person.objects.count(), AuditEvent.objects.count()) == before


def test_bulk_created_objects_are_audited_as_a_save_would(world):
    """record_bulk_create writes, per object, the row the save signal writes: same snapshot
    (masked numbers only), actor, request id, object and jurisdiction (also when the model
    names its own, like a node)."""
    from shoumen.core import audit

    with request_context.acting_as(world.worker_a, request_id="req-bulk"):
        p = person(world.worker_a, world.community_a, "王五", phone="13812345678")
        p.tags.set([PersonTag.objects.create(code="t", name="独居老人")])
        spot = place(world.community_a, "绿地中心", property_company="绿地物业")
        node = world.grid_a1
        saved = {obj: events_for(obj).filter(action="create").last() for obj in (p, spot)}
        count = AuditEvent.objects.count()
        audit.record_bulk_create([p, spot, node], note="bulk test")
    rows = list(AuditEvent.objects.order_by("id")[count:])
    assert len(rows) == 3
    for obj, row in zip((p, spot), rows[:2], strict=True):
        signal_row = saved[obj]
        for field in ("action", "actor", "actor_name", "content_type", "object_id",
                      "object_repr", "jurisdiction", "before", "after"):
            assert getattr(row, field) == getattr(signal_row, field), field
        assert row.note == "bulk test" and row.request_id == "req-bulk"
    assert rows[0].after["id_number_masked"] == p.id_number_masked
    assert rows[0].after["phone_masked"] == "138****5678"
    assert rows[0].after["birth_date"] == p.birth_date.isoformat()
    dumped = str(rows[0].after)
    assert "13812345678" not in dumped and p.id_number not in dumped
    assert not {"id_number_encrypted", "id_number_index", "phone_encrypted",
                "phone_index"} & set(rows[0].after)
    assert rows[2].jurisdiction == node and rows[2].after == audit.snapshot(node)
    assert rows[2].object_repr == str(node) and "path" not in rows[2].after


def test_changed_labels_are_field_names_users_know(world):
    p = person(world.worker_a, world.community_a, "王五")
    with request_context.acting_as(world.worker_a):
        services.update_person(p, actor=world.worker_a, address="泺文路1号", jurisdiction=world.grid_a1)
    from django.utils import translation

    with translation.override("en"):
        labels = events_for(p).get(action="update").changed_labels()
    assert sorted(labels) == ["address", "community / grid"]


def test_loading_a_fixture_writes_no_audit_rows(world, tmp_path):
    """loaddata restores rows (the move from SQLite to PostgreSQL): their many-to-many fields
    are set without a raw flag, and must not be recorded as changes made now."""
    from django.core import serializers
    from django.core.management import call_command

    tag = PersonTag.objects.create(code="returned", name="返济人员")
    p = person(world.worker_a, world.grid_a1, "赵钱")
    p.tags.set([tag])
    fixture = tmp_path / "people.json"
    fixture.write_text(serializers.serialize("json", [p]))
    Person.objects.filter(pk=p.pk).delete()
    before = AuditEvent.objects.count()
    call_command("loaddata", str(fixture), verbosity=0)
    assert Person.objects.get(pk=p.pk).tags.get() == tag
    assert AuditEvent.objects.count() == before


def test_a_bulk_update_of_audited_fields_is_refused_and_update_rows_audits_each_row(world):
    import pytest

    from shoumen.core import audit

    towers = [place(world.community_a, name) for name in ("甲楼", "乙楼")]
    with pytest.raises(TypeError, match="update_rows"):
        Place.objects.filter(pk__in=[t.pk for t in towers]).update(property_company="新物业")
    with request_context.acting_as(world.commander):
        changed = audit.update_rows(Place.objects.filter(pk__in=[t.pk for t in towers]),
                                    property_company="新物业", note="物业更换")
    assert changed == 2
    for tower in towers:
        tower.refresh_from_db()
        assert tower.property_company == "新物业"
        row = events_for(tower).last()
        assert (row.action, row.actor, row.note) == ("update", world.commander, "物业更换")
        assert row.before == {"property_company": ""} and row.after == {"property_company": "新物业"}
    assert audit.update_rows(Place.objects.filter(pk=towers[0].pk), property_company="新物业",
                             note="again") == 0  # nothing changed: no row
