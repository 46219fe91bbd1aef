"""Background tasks of duties, run by the task worker; the scheduler enqueues them."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .services import lay_out, sweep


@task()
def lay_out_today() -> int:
    """Each morning: every duty's windows for today and tomorrow (so that a window starting
    just after midnight is there before the next morning's run). Idempotent."""
    today = timezone.localdate()
    return lay_out(today) + lay_out(today + timedelta(days=1))


@task()
def sweep_missed_windows() -> int:
    """Every few minutes: windows that ended without a record become missed (one alert each)."""
    return len(sweep())
