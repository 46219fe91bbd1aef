import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shoumen.gate import passes
from shoumen.gate.models import Checkpoint, Entry, FeverAlert, Refusal
from shoumen.gate.registration import register, register_batch
from shoumen.people.models import PersonStatus
from shoumen.people.services import change_status
from tests import factories


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
