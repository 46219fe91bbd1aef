"""Files under ``evidence/`` that no Evidence row names: written by an upload whose
transaction was rolled back afterwards (the row went, the file stayed). The daily task
removes those older than a day (a younger one may belong to a transaction still open)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from .models import Evidence

ROOT = "evidence"
GRACE = timedelta(days=1)


def _walk(storage, folder: str):
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


def orphan_files(now=None, storage=default_storage) -> list[str]:
    """Stored evidence files no row refers to, last changed more than a day before ``now``."""
    if not storage.exists(ROOT):
        return []
    known = set()
    for file, thumbnail in Evidence.objects.values_list("file", "thumbnail").iterator():
        known.update(n for n in (file, thumbnail) if n)
    cutoff = (now or timezone.now()) - GRACE
    return sorted(name for name in _walk(storage, ROOT)
                  if name not in known and storage.get_modified_time(name) < cutoff)


def remove_orphan_files(now=None, storage=default_storage) -> int:
    orphans = orphan_files(now, storage)
    for name in orphans:
        storage.delete(name)
    return len(orphans)
