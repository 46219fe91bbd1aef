"""Fever alerts: raised by a hot entry for the person's community, followed up forward only
(re-measured, sent to a fever clinic, cleared) until closed, by that community's staff only."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import translation

from shoumen.core.authz import NotAllowed
from shoumen.core.models import AuditEvent
from shoumen.gate.alerts import services
from shoumen.gate.alerts.models import FeverAlert, FeverFollowUp, FeverStage
from tests.helpers_gate_manage import enter, gate_world

REMEASURED, CLINIC, CLEARED = FeverStage.REMEASURED, FeverStage.SENT_TO_CLINIC, FeverStage.CLEARED


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); the default language is zh-hans."""
    with translation.override("en"):
        yield


@pytest.fixture
def gate(world):
    return gate_world(world)


@pytest.fixture
def alert(gate):
    enter(gate, "38.1")
    return FeverAlert.objects.get()


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


# --- raising ---------------------------------------------------------------------------------

def test_threshold_entry_raises_one_alert_for_the_persons_community(gate):
    enter(gate, "37.2")
    assert not FeverAlert.objects.exists()
    out = enter(gate, "37.3")
    alert = FeverAlert.objects.get()
    assert alert.entry == out.entry and alert.person == gate.resident
    assert alert.temperature == Decimal("37.3") and alert.stage == FeverStage.OPEN
    assert alert.is_open and alert.closed_at is None
    # Filed under the person's own grid, which is in 甲社区: its staff see it, 乙社区's do not.
    assert gate.community_a.contains(alert.jurisdiction)
    assert FeverAlert.objects.visible_to(gate.worker_a).filter(pk=alert.pk).exists()
    assert FeverAlert.objects.visible_to(gate.grid_worker).filter(pk=alert.pk).exists()
    assert not FeverAlert.objects.visible_to(gate.worker_b).exists()


def test_visitor_of_another_community_alerts_their_own_community(gate):
    enter(gate, "38.0", person=gate.resident_b)
    alert = FeverAlert.objects.get()
    assert alert.jurisdiction == gate.community_b and alert.checkpoint == gate.gate_a
    assert not FeverAlert.objects.visible_to(gate.worker_a).exists()


# --- the steps -------------------------------------------------------------------------------

def test_full_lifecycle_remeasure_clinic_clear(gate, alert):
    step = services.follow_up(alert, actor=gate.worker_a, stage=REMEASURED, temperature="37.9")
    assert step.temperature == Decimal("37.9") and step.by == gate.worker_a
    services.follow_up(alert, actor=gate.worker_a, stage=CLINIC, clinic="市中区人民医院发热门诊")
    services.follow_up(alert, actor=gate.grid_worker, stage=CLEARED, note="核酸阴性")
    alert.refresh_from_db()
    assert alert.stage == CLEARED and not alert.is_open and alert.closed_at is not None
    assert list(alert.follow_ups.values_list("stage", "note")) == [
        (REMEASURED, ""), (CLINIC, "市中区人民医院发热门诊"), (CLEARED, "核酸阴性")]
    assert services.next_steps(alert) == []


def test_remeasure_needs_a_temperature(gate, alert):
    with pytest.raises(ValidationError) as exc:
        services.follow_up(alert, actor=gate.worker_a, stage=REMEASURED)
    assert "temperature" in errors_of(exc)
    assert not FeverFollowUp.objects.exists()


@pytest.mark.parametrize("bad", ["33.9", "43.1", "abc", "37,5°"])
def test_remeasure_temperature_must_be_between_34_and_43(gate, alert, bad):
    with pytest.raises(ValidationError) as exc:
        services.follow_up(alert, actor=gate.worker_a, stage=REMEASURED, temperature=bad)
    assert "temperature" in errors_of(exc)
    alert.refresh_from_db()
    assert alert.stage == FeverStage.OPEN and not FeverFollowUp.objects.exists()


@pytest.mark.parametrize("good", ["34.0", "43.0", "36.8"])
def test_remeasure_accepts_the_range_ends(gate, alert, good):
    step = services.follow_up(alert, actor=gate.worker_a, stage=REMEASURED, temperature=good)
    assert step.temperature == Decimal(good)


def test_remeasure_may_repeat(gate, alert):
    for temp in ("37.8", "37.0"):
        services.follow_up(alert, actor=gate.worker_a, stage=REMEASURED, temperature=temp)
    assert alert.follow_ups.count() == 2


def test_clinic_needs_its_name(gate, alert):
    with pytest.raises(ValidationError) as exc:
        services.follow_up(alert, actor=gate.worker_a, stage=CLINIC, clinic="  ")
    assert "clinic" in errors_of(exc) and not FeverFollowUp.objects.exists()
    # A caller with only a note names the clinic there.
    step = services.follow_up(alert, actor=gate.worker_a, stage=CLINIC, note="省立医院")
    assert step.note == "省立医院"


def test_clinic_name_and_note_are_kept_together(gate, alert):
    step = services.follow_up(alert, actor=gate.worker_a, stage=CLINIC, clinic="省立医院",
                              note="120 送达")
    assert step.note == "省立医院 — 120 送达"


def test_too_long_note_is_refused(gate, alert):
    with pytest.raises(ValidationError) as exc:
        services.follow_up(alert, actor=gate.worker_a, stage=CLEARED, note="x" * 301)
    assert "note" in errors_of(exc) and alert.follow_ups.count() == 0


def test_clear_closes_and_nothing_follows(gate, alert):
    services.follow_up(alert, actor=gate.worker_a, stage=CLEARED)
    for stage in (REMEASURED, CLINIC, CLEARED, FeverStage.OPEN):
        with pytest.raises(ValidationError) as exc:
            services.follow_up(alert, actor=gate.worker_a, stage=stage, temperature="36.5",
                               clinic="x")
        assert "closed" in " ".join(errors_of(exc)["stage"])
    assert alert.follow_ups.count() == 1


@pytest.mark.parametrize("backwards", [REMEASURED, FeverStage.OPEN])
def test_steps_cannot_go_backwards(gate, alert, backwards):
    services.follow_up(alert, actor=gate.worker_a, stage=CLINIC, clinic="省立医院")
    with pytest.raises(ValidationError) as exc:
        services.follow_up(alert, actor=gate.worker_a, stage=backwards, temperature="36.5")
    message = " ".join(errors_of(exc)["stage"])
    assert "forward only" in message and "Cleared" in message
    alert.refresh_from_db()
    assert alert.stage == CLINIC and alert.follow_ups.count() == 1


def test_unknown_stage_is_refused_with_the_choices(gate, alert):
    with pytest.raises(ValidationError) as exc:
        services.follow_up(alert, actor=gate.worker_a, stage="healed")
    assert "Re-measured" in " ".join(errors_of(exc)["stage"])


def test_all_problems_reported_at_once(gate, alert):
    services.follow_up(alert, actor=gate.worker_a, stage=CLINIC, clinic="省立医院")
    with pytest.raises(ValidationError) as exc:
        services.follow_up(alert, actor=gate.worker_a, stage=REMEASURED, temperature="50")
    assert {"stage", "temperature"} <= set(errors_of(exc))


# --- who may ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["worker_b", "guard", "volunteer"])
def test_outsiders_may_not_follow_up(gate, alert, who):
    with pytest.raises(NotAllowed):
        services.follow_up(alert, actor=getattr(gate, who), stage=CLEARED)
    alert.refresh_from_db()
    assert alert.is_open and not alert.follow_ups.exists()


def test_follow_up_is_audited(gate, alert):
    services.follow_up(alert, actor=gate.worker_a, stage=CLEARED)
    event = AuditEvent.objects.get(content_type=ContentType.objects.get_for_model(FeverAlert),
                                   object_id=str(alert.pk), action="update")
    assert event.after["stage"] == CLEARED and event.before["stage"] == FeverStage.OPEN
    assert event.jurisdiction == alert.jurisdiction
