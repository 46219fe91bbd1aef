"""Entries and refusals are kept ``settings.RETENTION_DAYS`` days, then deleted in slices."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shoumen.core import audit
from shoumen.core.models import AuditAction

from ..alerts.models import FeverAlert
from .models import Entry, Refusal

RETENTION_SLICE = 20_000


def retention_cutoff(now=None):
    """Entries and refusals from before this moment are due for deletion."""
    return (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS)


def delete_expired_entries(now=None) -> int:
    """Delete entries and refusals older than ``settings.RETENTION_DAYS`` (counted back from
    ``now``); returns how many entries went.

    Fever alerts stay, with their facts (person, checkpoint, temperature, time); only their
    link to the deleted entry is cleared. Running it again deletes nothing more, so a missed
    or doubled scheduled run does no harm. Entries go in slices of :data:`RETENTION_SLICE`,
    oldest first, each in its own transaction, so a large backlog never holds one huge
    transaction or parameter list. One audit row records each run.
    """
    cutoff = retention_cutoff(now)
    # Registration refuses entries older than the retention period, so no alert can point
    # at an expired entry after this: the links are cleared once, before the slices.
    audit.update_rows(FeverAlert.objects.filter(entry__at__lt=cutoff), entry=None,
                      note="retention: the entry was deleted")
    deleted = 0
    while True:
        oldest = Entry.objects.filter(at__lt=cutoff).order_by("at").values("pk")[:RETENTION_SLICE]
        with transaction.atomic():
            count = Entry.objects.filter(pk__in=oldest)._raw_delete(Entry.objects.db)
        deleted += count
        if count < RETENTION_SLICE:
            break
    refusals, _by_model = Refusal.objects.filter(at__lt=cutoff).delete()
    audit.record(AuditAction.ACTION, note=f"retention: {deleted} entries and {refusals} "
                                          f"refusals older than {settings.RETENTION_DAYS} days "
                                          f"deleted")
    return deleted
