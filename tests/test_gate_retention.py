"""Retention: entries and refusals older than RETENTION_DAYS are deleted (alerts stay, their
entry link cleared), by a task the scheduler enqueues daily, or by a command from cron."""

import uuid
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from shoumen.core.models import AuditEvent
from shoumen.core.schedule import DEFAULT_SCHEDULE, Job, Scheduler, configured_jobs
from shoumen.credentials import keys
from shoumen.credentials.models import SigningKey
from shoumen.gate import tasks
from shoumen.gate.alerts.models import FeverAlert
from shoumen.gate.entries import retention
from shoumen.gate.entries.models import Entry, Refusal
from tests.helpers_gate_manage import enter, gate_world, old_entry

DAY = timedelta(days=1)
RETENTION = "shoumen.gate.tasks.delete_expired_entries"


@pytest.fixture
def gate(world):
    return gate_world(world)


def old_refusal(gate, days_ago):
    return Refusal.objects.create(uuid=uuid.uuid4(), checkpoint=gate.gate_a, direction="in",
                                  at=timezone.now() - timedelta(days=days_ago),
                                  reason="revoked", pass_number="1234567890")


def test_deletes_only_what_is_older_than_the_retention_period(gate):
    expired = [old_entry(gate, 28.01), old_entry(gate, 40)]
    kept = [old_entry(gate, 27.99), enter(gate).entry]
    refusals = [old_refusal(gate, 29), old_refusal(gate, 1)]
    assert retention.delete_expired_entries() == 2
    assert set(Entry.objects.values_list("pk", flat=True)) == {e.pk for e in kept}
    assert not Entry.objects.filter(pk__in=[e.pk for e in expired]).exists()
    assert list(Refusal.objects.values_list("pk", flat=True)) == [refusals[1].pk]


def test_follows_the_setting(gate, settings):
    settings.RETENTION_DAYS = 7
    old_entry(gate, 8)
    recent = old_entry(gate, 6)
    assert retention.delete_expired_entries() == 1
    assert list(Entry.objects.values_list("pk", flat=True)) == [recent.pk]


def test_keeps_fever_alerts_and_clears_their_entry(gate):
    out = enter(gate, "38.4")
    alert = FeverAlert.objects.get()
    Entry.objects.filter(pk=out.entry.pk).update(at=timezone.now() - 30 * DAY)
    retention.delete_expired_entries()
    alert.refresh_from_db()
    assert alert.entry is None and not Entry.objects.exists()
    assert (alert.person, alert.temperature, alert.checkpoint) == (
        gate.resident, out.entry.temperature, gate.gate_a)


def test_is_idempotent_and_audited(gate):
    old_entry(gate, 30)
    kept = old_entry(gate, 2)
    assert retention.delete_expired_entries() == 1
    assert retention.delete_expired_entries() == 0
    assert list(Entry.objects.values_list("pk", flat=True)) == [kept.pk]
    notes = list(AuditEvent.objects.filter(note__startswith="retention").order_by("id")
                 .values_list("note", flat=True))
    assert len(notes) == 2 and "1 entries" in notes[0] and "0 entries" in notes[1]


def test_large_backlog_goes_in_slices(gate, monkeypatch):
    monkeypatch.setattr(retention, "RETENTION_SLICE", 2)
    for days in (29, 30, 31, 32, 33):
        old_entry(gate, days)
    kept = old_entry(gate, 1)
    assert retention.delete_expired_entries() == 5
    assert list(Entry.objects.values_list("pk", flat=True)) == [kept.pk]


def test_now_argument_moves_the_cutoff(gate):
    entry = old_entry(gate, 1)
    assert retention.delete_expired_entries(now=timezone.now() + 26 * DAY) == 0
    assert retention.delete_expired_entries(now=timezone.now() + 28 * DAY) == 1
    assert not Entry.objects.filter(pk=entry.pk).exists()


# --- the tasks ---------------------------------------------------------------------------------

def test_retention_task_deletes(gate):
    old_entry(gate, 30)
    result = tasks.delete_expired_entries.enqueue()  # the tests' backend runs it at once
    assert result.return_value == 1 and not Entry.objects.exists()


def test_rotation_task_rotates_only_when_due(db, settings):
    key = keys.signing_key()
    assert tasks.rotate_pass_keys.enqueue().return_value is None
    SigningKey.objects.filter(pk=key.pk).update(
        created_at=timezone.now() - timedelta(days=settings.PASS_KEY_ROTATION_DAYS + 1))
    new_kid = tasks.rotate_pass_keys.enqueue().return_value
    assert new_kid and new_kid != key.kid and keys.signing_key().kid == new_kid
    assert SigningKey.objects.get(pk=key.pk).retired_at is not None


# --- the scheduler -----------------------------------------------------------------------------

def local(day_offset: int, hh: int, mm: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def test_job_is_due_once_a_day_after_its_time():
    job = Job.parse(RETENTION, "03:00")
    assert not job.is_due(local(0, 2, 59), None)
    assert job.is_due(local(0, 3, 0), None)
    assert job.is_due(local(0, 23, 0), None)  # started late: catch up at once
    assert not job.is_due(local(0, 3, 30), local(0, 3, 0))  # already enqueued today
    assert job.is_due(local(0, 3, 30), local(-1, 3, 0))  # enqueued yesterday
    assert not job.is_due(local(1, 2, 0), local(0, 3, 0))
    assert job.is_due(local(1, 3, 0), local(0, 3, 0))


def test_scheduler_enqueues_retention_when_due(gate):
    old_entry(gate, 30)
    scheduler = Scheduler([Job.parse(RETENTION, "03:00")])
    assert scheduler.run_pending(local(0, 2, 59)) == []
    assert Entry.objects.count() == 1
    assert [j.task_path for j in scheduler.run_pending(local(0, 3, 0))] == [RETENTION]
    assert not Entry.objects.exists()
    assert scheduler.run_pending(local(0, 3, 1)) == []
    assert scheduler.run_pending(local(0, 23, 59)) == []
    assert len(scheduler.run_pending(local(1, 3, 0))) == 1


def test_a_job_that_cannot_be_enqueued_stays_due(db):
    scheduler = Scheduler([Job.parse("shoumen.gate.tasks.no_such_task", "00:00")])
    assert scheduler.run_pending(local(0, 1)) == []
    assert scheduler.due(local(0, 2)) == scheduler.jobs


def test_default_schedule_runs_retention_and_rotation_daily():
    paths = {job.task_path for job in configured_jobs()}
    assert paths == {RETENTION, "shoumen.gate.tasks.rotate_pass_keys",
                     "shoumen.gate.tasks.retire_unguarded_devices",
                     "shoumen.core.tasks.backup_database", "shoumen.duties.tasks.lay_out_today",
                     "shoumen.duties.tasks.sweep_missed_windows",
                     "shoumen.inspections.tasks.escalate_overdue_rectifications",
                     "shoumen.evidence.tasks.remove_orphan_evidence_files",
                     } == {p for p, _ in DEFAULT_SCHEDULE}
    for job in configured_jobs():
        import_string(job.task_path)  # every scheduled task exists


def test_scheduler_command_once(gate, settings):
    settings.SCHEDULE = [(RETENTION, "00:00")]
    old_entry(gate, 30)
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert f"enqueued {RETENTION}" in out.getvalue() and not Entry.objects.exists()


# --- the command for cron, and what users are told -------------------------------------------

def test_gate_retention_command(gate):
    old_entry(gate, 30)
    out = StringIO()
    call_command("gate-retention", stdout=out)
    text = out.getvalue()
    assert "deleted 1 entries older than 28 days" in text and "signing key" in text
    assert not Entry.objects.exists()


def test_retention_note_tells_the_period(settings):
    with translation.override("en"):
        assert "kept for 28 days and then deleted" in render_to_string(
            "gate/includes/retention_note.html")
        settings.RETENTION_DAYS = 1
        assert "kept for 1 day and then" in render_to_string("gate/includes/retention_note.html")
