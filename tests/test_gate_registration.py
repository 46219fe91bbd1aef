import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shoumen.gate.alerts.models import FeverAlert
from shoumen.gate.checkpoints.models import Checkpoint
from shoumen.gate.entries.models import Entry, Refusal
from shoumen.gate.entries.services import register, register_batch
from shoumen.gate.passes import services as passes
from shoumen.people.models import PersonStatus
from shoumen.people.services import change_status
from tests import factories
from tests.factories import force_update


@pytest.fixture
def gate(world):
    world.guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    world.gate_a = factories.checkpoint(world.community_a, guards=[world.guard])
    world.resident = factories.person(world.worker_a, world.grid_a1, "李四")
    world.pass_ = passes.issue_pass(world.resident, actor=world.worker_a)
    return world


def test_scan_registers_entry_with_site_and_pass(gate):
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
                   qr_text=gate.pass_.qr_text)
    assert out.admitted and not out.fever
    e = out.entry
    assert (e.person, e.method, e.resident_pass, e.site_id) == (
        gate.resident, "pass", gate.pass_, gate.gate_a.place_id)
    assert e.temperature == Decimal("36.5")


def test_a_good_scan_is_one_statement_on_postgresql(gate):
    """The hot path: pass lookup and insert together on PostgreSQL (on SQLite: the lookup,
    whether the uuid was refused before, the insert), and the entry comes back whole. The
    guard's right costs nothing more when the caller found the checkpoint through it, as the
    views and the device's token do."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    checkpoint = (Checkpoint.objects.visible_to(gate.guard, "gate.register")
                  .select_related("place__jurisdiction").get(pk=gate.gate_a.pk))
    with CaptureQueriesContext(connection) as queries:
        out = register(checkpoint=checkpoint, actor=gate.guard, direction="out",
                       temperature="36.4", qr_text=gate.pass_.qr_text)
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == (1 if connection.vendor == "postgresql" else 3)
    stored = Entry.objects.get(pk=out.entry.pk)
    for name in ("uuid", "checkpoint_id", "site_id", "at", "direction", "temperature", "fever",
                 "person_id", "method", "resident_pass_id", "guard_id", "recorded_at"):
        assert getattr(out.entry, name) == getattr(stored, name), name
    assert out.person.name == "李四" and out.entry.person.jurisdiction == gate.grid_a1


@pytest.mark.parametrize("case", ["expired", "revoked", "confined"])
def test_a_refused_scan_stores_no_entry_on_any_database(gate, case):
    if case == "expired":
        force_update(type(gate.pass_).objects.filter(pk=gate.pass_.pk),
            valid_until=timezone.now() - timedelta(minutes=1))
    elif case == "revoked":
        passes.revoke_pass(gate.pass_, actor=gate.worker_a, reason="遗失")
    else:
        change_status(gate.resident, actor=gate.worker_a, status=PersonStatus.HOME_OBSERVATION,
                      reason="密接")
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="out",
                   temperature="36.5", qr_text=gate.pass_.qr_text)
    assert out.refusal is not None and not Entry.objects.exists()
    assert out.refusal.reason == {"expired": "expired", "revoked": "revoked",
                                  "confined": "status"}[case]


def test_fever_raises_alert_for_home_community(gate):
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature=37.3,
                   qr_text=gate.pass_.qr_text)
    assert out.fever
    alert = FeverAlert.objects.get()
    assert alert.jurisdiction == gate.grid_a1 and alert.entry == out.entry


@pytest.mark.parametrize("bad", ["33.9", "43.1", "abc", ""])
def test_temperature_out_of_range_is_refused_before_writing(gate, bad):
    with pytest.raises(ValidationError) as exc:
        register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature=bad,
                 qr_text=gate.pass_.qr_text)
    assert "temperature" in exc.value.message_dict
    assert not Entry.objects.exists()


def test_confined_person_cannot_leave_but_may_come_home(gate):
    change_status(gate.resident, actor=gate.worker_a, status=PersonStatus.HOME_OBSERVATION,
                  reason="密接")
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="out", temperature="36.5",
                   qr_text=gate.pass_.qr_text)
    assert not out.admitted and out.refusal.reason == "status"
    back = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
                    qr_text=gate.pass_.qr_text)
    assert back.admitted


def test_revoked_pass_refused_and_logged(gate):
    passes.revoke_pass(gate.pass_, actor=gate.worker_a, reason="遗失")
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
                   qr_text=gate.pass_.qr_text)
    assert out.refusal.reason == "revoked" and Refusal.objects.count() == 1


def test_same_uuid_twice_stores_once(gate):
    uid = uuid.uuid4()
    for _ in range(3):
        out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in",
                       temperature="36.5", qr_text=gate.pass_.qr_text, uuid=uid)
    assert out.duplicate and Entry.objects.count() == 1


def test_batch_retried_three_times_stores_each_once_and_reports_bad_items(gate):
    now = timezone.now()
    good = [{"uuid": str(uuid.uuid4()), "checkpoint": gate.gate_a.pk, "direction": "in",
             "temperature": "36.6", "qr_text": gate.pass_.qr_text,
             "at": (now - timedelta(minutes=i)).isoformat()} for i in range(5)]
    fever = {**good[0], "uuid": str(uuid.uuid4()), "temperature": "38.2"}
    bad = [{"uuid": str(uuid.uuid4()), "checkpoint": gate.gate_a.pk, "direction": "in",
            "temperature": "50", "qr_text": gate.pass_.qr_text},
           {"uuid": str(uuid.uuid4()), "checkpoint": 999999, "direction": "in",
            "temperature": "36.5", "qr_text": gate.pass_.qr_text},
           {"uuid": str(uuid.uuid4()), "checkpoint": gate.gate_a.pk, "direction": "in",
            "temperature": "36.5", "qr_text": "SM1:garbage"}]
    items = good + [fever] + bad
    first = register_batch(items, actor=gate.guard,
                           allowed_checkpoints=Checkpoint.objects.filter(pk=gate.gate_a.pk))
    assert [r.status for r in first] == ["stored"] * 6 + ["invalid", "invalid", "refused"]
    assert first[5].fever and "temperature" in first[6].errors and "checkpoint" in first[7].errors
    assert first[8].refusal == "malformed"
    for _ in range(2):
        again = register_batch(items, actor=gate.guard, allowed_checkpoints=Checkpoint.objects.all())
        assert [r.status for r in again[:6]] == ["duplicate"] * 6
    assert Entry.objects.count() == 6 and FeverAlert.objects.count() == 1
    assert Refusal.objects.count() == 1


def _item(gate, **extra):
    return {"uuid": str(uuid.uuid4()), "checkpoint": gate.gate_a.pk, "direction": "in",
            "temperature": "36.5", "qr_text": gate.pass_.qr_text, **extra}


def test_batch_stores_a_uuid_repeated_inside_it_once(gate):
    item = _item(gate)
    other = _item(gate)
    results = register_batch([item, other, dict(item)], actor=gate.guard,
                             allowed_checkpoints=Checkpoint.objects.all())
    assert [r.status for r in results] == ["stored", "stored", "duplicate"]
    assert Entry.objects.count() == 2


def test_batch_never_turns_a_logged_refusal_into_an_entry(gate):
    """A uuid first refused (say, the pass was unknown offline) and sent again with a good
    pass is the same registration: it stays a refusal."""
    refused = _item(gate, qr_text="SM1:garbage")
    assert register_batch([refused], actor=gate.guard,
                          allowed_checkpoints=Checkpoint.objects.all())[0].status == "refused"
    again = {**refused, "qr_text": gate.pass_.qr_text}
    assert register_batch([again], actor=gate.guard,
                          allowed_checkpoints=Checkpoint.objects.all())[0].status == "duplicate"
    assert not Entry.objects.exists() and Refusal.objects.count() == 1


def test_batch_judges_each_item_at_its_own_time(gate):
    revoked = passes.revoke_pass(gate.pass_, actor=gate.worker_a, reason="遗失").revoked_at
    before = _item(gate, at=(revoked - timedelta(hours=2)).isoformat())
    after = _item(gate, at=(revoked + timedelta(seconds=1)).isoformat())
    results = register_batch([before, after], actor=gate.guard,
                             allowed_checkpoints=Checkpoint.objects.all())
    assert [r.status for r in results] == ["stored", "refused"]
    assert results[1].refusal == "revoked"


def test_a_large_batch_is_stored_whole_with_its_times_and_holder(gate):
    now = timezone.now().replace(microsecond=0)
    items = [_item(gate, at=(now - timedelta(seconds=i)).isoformat(), direction="out")
             for i in range(300)]
    results = register_batch(items, actor=gate.guard,
                             allowed_checkpoints=Checkpoint.objects.all())
    assert {r.status for r in results} == {"stored"}
    stored = Entry.objects.get(uuid=items[123]["uuid"])
    assert stored.at == now - timedelta(seconds=123) and stored.direction == "out"
    assert stored.person == gate.resident and stored.resident_pass_id == gate.pass_.pk
    assert stored.guard == gate.guard and stored.method == "pass"
    assert stored.site_id == gate.gate_a.site_id and stored.temperature == Decimal("36.5")


def test_visitor_registered_once_and_reused_by_id_number(gate):
    visitor = {"name": "王五", "phone": "13912345678", "id_number": "11010519491231002X",
               "reason": "探亲", "visiting": "3号楼2单元 李四"}
    first = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in",
                     temperature="36.4", visitor=visitor)
    again = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in",
                     temperature="36.4", visitor={**visitor, "name": "王 五"})
    assert first.person == again.person and first.person.kind == "visitor"
    assert first.person.jurisdiction == gate.community_a
    assert first.entry.method == "visitor" and first.entry.visiting == "3号楼2单元 李四"


def test_visitor_errors_name_every_bad_field_and_store_nothing(gate):
    with pytest.raises(ValidationError) as exc:
        register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.4",
                 visitor={"name": "", "phone": "123", "id_number": "110105194912310021",
                          "reason": ""})
    assert set(exc.value.message_dict) == {"name", "phone", "id_number", "reason"}
    assert not Entry.objects.exists()


def test_every_bad_field_is_reported_at_once(gate):
    with pytest.raises(ValidationError) as exc:
        register(checkpoint=gate.gate_a, actor=gate.guard, direction="sideways",
                 temperature="99", uuid="not-a-uuid", at="yesterday",
                 qr_text=gate.pass_.qr_text)
    assert {"direction", "temperature", "uuid", "at"} <= set(exc.value.message_dict)


def test_time_in_the_future_or_past_retention_is_refused(gate, settings):
    for at in (timezone.now() + timedelta(hours=1),
               timezone.now() - timedelta(days=settings.RETENTION_DAYS + 1)):
        with pytest.raises(ValidationError) as exc:
            register(checkpoint=gate.gate_a, actor=gate.guard, direction="in",
                     temperature="36.5", qr_text=gate.pass_.qr_text, at=at)
        assert "at" in exc.value.message_dict


def test_offline_entry_is_judged_at_its_own_time(gate):
    """A pass revoked after the guard let the person through offline still stores the entry."""
    earlier = timezone.now() - timedelta(hours=2)
    passes.revoke_pass(gate.pass_, actor=gate.worker_a, reason="遗失")
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
                   qr_text=gate.pass_.qr_text, at=earlier)
    assert out.admitted


def test_lookup_by_pass_number_phone_and_id_suffix(gate):
    from shoumen.gate.entries.services import lookup

    phone_person = factories.person(gate.worker_a, gate.grid_a1, "赵六", phone="13800001111")
    assert lookup(gate.pass_.number, checkpoint=gate.gate_a) == [gate.resident]
    assert lookup("138 0000 1111", checkpoint=gate.gate_a) == [phone_person]
    suffix = gate.resident.id_number_masked[-4:]
    assert gate.resident in lookup(suffix, checkpoint=gate.gate_a)
    assert lookup("nobody", checkpoint=gate.gate_a) == []


def test_lookup_by_suffix_stays_in_the_checkpoint_community(gate):
    from shoumen.gate.entries.services import lookup

    far = factories.checkpoint(gate.lixia_community, "丙社区东门")
    assert lookup(gate.resident.id_number_masked[-4:], checkpoint=far) == []


def test_batch_items_of_the_wrong_shape_are_invalid_not_errors(gate):
    items = ["text", {"uuid": str(uuid.uuid4()), "checkpoint": gate.gate_a.pk,
                      "direction": "in", "temperature": "36.5",
                      "visitor": "not an object"}]
    results = register_batch(items, actor=gate.guard, allowed_checkpoints=Checkpoint.objects.all())
    assert [r.status for r in results] == ["invalid", "invalid"]
    assert not Entry.objects.exists()


def test_a_refused_uuid_stays_refused_on_every_path(gate):
    """Refused first (an unknown pass), then sent again with a good pass: as one scan, in a
    batch, and with a fever (the path that writes an alert too): nothing is stored."""
    refused = _item(gate, qr_text="SM1:garbage")
    register_batch([refused], actor=gate.guard, allowed_checkpoints=Checkpoint.objects.all())
    again = {**refused, "qr_text": gate.pass_.qr_text}
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
                   qr_text=again["qr_text"], uuid=again["uuid"])
    assert out.duplicate and out.refusal is not None
    hot = {**again, "temperature": "38.5"}
    assert [r.status for r in register_batch([hot], actor=gate.guard,
                                             allowed_checkpoints=Checkpoint.objects.all())
            ] == ["duplicate"]
    assert not Entry.objects.exists() and not FeverAlert.objects.exists()


@pytest.mark.parametrize("direction", [["in"], {"in": 1}, 7, None])
def test_a_direction_of_the_wrong_type_is_a_field_error(gate, direction):
    with pytest.raises(ValidationError) as caught:
        register(checkpoint=gate.gate_a, actor=gate.guard, direction=direction,
                 temperature="36.5", qr_text=gate.pass_.qr_text)
    assert "direction" in caught.value.message_dict
    (result,) = register_batch([_item(gate, direction=direction)], actor=gate.guard,
                               allowed_checkpoints=Checkpoint.objects.all())
    assert result.status == "invalid" and "direction" in result.errors


@pytest.mark.parametrize("way", ["single", "batch"])
@pytest.mark.parametrize("case,admitted", [
    ("expires_at_the_entry", False), ("expires_just_after", True),
    ("revoked_at_the_entry", False), ("revoked_just_after", True),
    ("confined_going_out", False), ("confined_coming_in", True)])
def test_the_admission_rule_is_the_same_on_every_path(gate, way, case, admitted):
    """passes.refusal_reason, the one-statement SQL (PostgreSQL, single) and the batch's
    holders agree, edges included (a pass expiring or revoked at the entry's very time)."""
    from shoumen.gate.passes.models import ResidentPass

    at = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
    direction = "in" if case == "confined_coming_in" else "out"
    change = {"expires_at_the_entry": {"valid_until": at},
              "expires_just_after": {"valid_until": at + timedelta(seconds=1)},
              "revoked_at_the_entry": {"revoked_at": at},
              "revoked_just_after": {"revoked_at": at + timedelta(seconds=1)}}.get(case)
    if change:
        force_update(ResidentPass.objects.filter(pk=gate.pass_.pk), **change)
    else:
        change_status(gate.resident, actor=gate.worker_a, status=PersonStatus.HOME_OBSERVATION,
                      reason="密接")
    if way == "single":
        out = register(checkpoint=gate.gate_a, actor=gate.guard, direction=direction,
                       temperature="36.5", qr_text=gate.pass_.qr_text, at=at)
        assert out.admitted is admitted
    else:
        (result,) = register_batch([_item(gate, direction=direction, at=at.isoformat())],
                                   actor=gate.guard, allowed_checkpoints=Checkpoint.objects.all())
        assert result.status == ("stored" if admitted else "refused")
    assert Entry.objects.exists() is admitted


def test_a_refusals_detail_is_stored_in_the_guards_language(gate):
    from django.utils import translation

    with translation.override("zh-hans"):
        out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in",
                       temperature="36.5", qr_text="SM1:garbage")
    assert (out.refusal.reason, out.refusal.detail) == ("malformed", "不是Base45编码")
    with translation.override("en"):
        out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in",
                       temperature="36.5", qr_text="SM1:garbage")
    assert out.refusal.detail == "not Base45"
