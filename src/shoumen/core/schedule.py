"""A small daily scheduler for background tasks (django-tasks has none).

``shoumen scheduler`` (started by ``shoumen serve`` beside the task worker) wakes every
``interval`` seconds and *enqueues* each job whose time of day has come and which has not
been enqueued since; the task worker runs it. So a job runs at most once per day per
scheduler, and a scheduler that starts after a job's time (a restart, a server that was
down at 03:00) enqueues it at once: the jobs are idempotent, so catching up is always right
and an extra run (two web nodes each running a scheduler) does no harm.

The jobs are ``settings.SCHEDULE`` if set, else :data:`DEFAULT_SCHEDULE`: a list of
``(task dotted path, "HH:MM" local time)``, or ``"*/N"`` for every N minutes from local
midnight (the missed-window sweep).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_SCHEDULE = [
    # A backup of the database before the clean-ups (does nothing on PostgreSQL unless
    # BACKUP_SCHEDULED: backups are the DBA's there).
    ("shoumen.core.tasks.backup_database", "02:30"),
    # Movement records past RETENTION_DAYS go in the quietest hour.
    ("shoumen.gate.tasks.delete_expired_entries", "03:00"),
    # Devices whose guard lost the right to register there, if a change bypassed the signals.
    ("shoumen.gate.tasks.retire_unguarded_devices", "03:15"),
    # A new pass-signing key once the current one is PASS_KEY_ROTATION_DAYS old.
    ("shoumen.gate.tasks.rotate_pass_keys", "03:30"),
    # Each day's duty windows (inspections, disinfection, patrols) before anyone starts.
    ("shoumen.duties.tasks.lay_out_today", "00:05"),
    # Windows that passed without a record: missed, one alert each.
    ("shoumen.duties.tasks.sweep_missed_windows", "*/5"),
    # Rectifications past their deadline go to the supervision task force, once each.
    ("shoumen.inspections.tasks.escalate_overdue_rectifications", "00:15"),
    # Evidence files whose upload was rolled back after they were written.
    ("shoumen.evidence.tasks.remove_orphan_evidence_files", "03:45"),
]


@dataclass(frozen=True)
class Job:
    """Enqueue the task at ``task_path`` every day at ``at`` (local time), or every
    ``every_minutes`` minutes counted from local midnight."""

    task_path: str
    at: time | None = None
    every_minutes: int | None = None

    @classmethod
    def parse(cls, task_path: str, at: str) -> Job:
        if at.startswith("*/"):
            minutes = int(at[2:])
            if not 1 <= minutes <= 720:
                raise ValueError(f"{task_path}: every {minutes} minutes is not a schedule")
            return cls(task_path, every_minutes=minutes)
        return cls(task_path, time.fromisoformat(at))

    def slot(self, now: datetime) -> datetime:
        """The latest run time not after ``now``, local, as an aware datetime."""
        local = timezone.localtime(now)
        if self.every_minutes is None:
            return timezone.make_aware(datetime.combine(local.date(), self.at))
        midnight = timezone.make_aware(datetime.combine(local.date(), time.min))
        elapsed = int((local - midnight).total_seconds() // 60)
        return midnight + timedelta(minutes=elapsed - elapsed % self.every_minutes)

    def is_due(self, now: datetime, last_enqueued: datetime | None) -> bool:
        """True once today's time has come, unless enqueued since then."""
        slot = self.slot(now)
        return now >= slot and (last_enqueued is None or last_enqueued < slot)


def configured_jobs() -> list[Job]:
    return [Job.parse(path, at) for path, at in getattr(settings, "SCHEDULE", DEFAULT_SCHEDULE)]


class Scheduler:
    """Keeps, in memory, when each job was last enqueued, and enqueues the due ones."""

    def __init__(self, jobs: list[Job] | None = None):
        self.jobs = configured_jobs() if jobs is None else jobs
        self.last_enqueued: dict[Job, datetime] = {}

    def due(self, now: datetime) -> list[Job]:
        return [job for job in self.jobs if job.is_due(now, self.last_enqueued.get(job))]

    def run_pending(self, now: datetime | None = None) -> list[Job]:
        """Enqueue every due job; returns those enqueued. A job whose enqueueing fails (the
        database is down) stays due and is tried again on the next wake-up."""
        now = now or timezone.now()
        enqueued = []
        for job in self.due(now):
            try:
                import_string(job.task_path).enqueue()
            except Exception:  # noqa: BLE001 - keep the scheduler alive; retry next time
                logger.exception("could not enqueue %s", job.task_path)
                continue
            self.last_enqueued[job] = now
            enqueued.append(job)
            logger.info("enqueued %s", job.task_path)
        return enqueued

    def run_forever(self, interval: float = 30.0, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            self.run_pending()
            stop.wait(interval)
