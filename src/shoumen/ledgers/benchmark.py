"""Timing an import against its ceiling: openpyxl alone reading the same file.

On a shared machine an absolute time is noise, so the figure that matters is the ratio
``import_seconds / openpyxl_seconds`` measured in the same run (target: at most 3). Used by the
``ledger-bench`` management command and by any project-wide benchmark.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.files import File
from django.db import connection
from openpyxl import load_workbook

from .models import ImportJob, ImportMode
from .services import process_import


def openpyxl_read_seconds(path: str | Path) -> tuple[float, int]:
    """(seconds, rows) for openpyxl alone to read every value of the first sheet (read-only
    mode, iterating values): the floor under any import of that file."""
    start = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = 0
    for _values in workbook.worksheets[0].iter_rows(values_only=True):
        rows += 1
    workbook.close()
    return time.perf_counter() - start, rows


def time_import(path: str | Path, *, user, jurisdiction, kind: str = "people",
                mode: str = ImportMode.ALL_OR_NOTHING) -> dict:
    """Import ``path`` synchronously (no task queue) and time it beside openpyxl reading it.

    Returns a dict with rows, created, status, message, openpyxl_seconds, import_seconds and
    ratio. The rows are really written: run it in a scratch database or inside a transaction
    that is rolled back afterwards (the checks a commit would run are then timed too).
    """
    path = Path(path)
    first_read, rows = openpyxl_read_seconds(path)
    with path.open("rb") as handle:
        job = ImportJob(kind=kind, mode=mode, jurisdiction=jurisdiction, created_by=user,
                        original_name=path.name)
        job.file.save(f"bench-{path.name}", File(handle), save=False)
        job.save()
    start = time.perf_counter()
    process_import(job.pk)
    _run_deferred_checks()
    import_seconds = time.perf_counter() - start
    # The ceiling is read before and after the import and the faster kept, so a busy moment
    # on a shared machine cannot flatter the ratio.
    read_seconds = min(first_read, openpyxl_read_seconds(path)[0])
    job.refresh_from_db()
    return {
        "rows": rows - 1, "created": job.created_rows, "status": job.status,
        "message": job.message, "openpyxl_seconds": round(read_seconds, 3),
        "import_seconds": round(import_seconds, 3),
        "ratio": round(import_seconds / read_seconds, 2) if read_seconds else None,
        "job": job.pk,
    }


def _run_deferred_checks() -> None:
    """Inside a caller's transaction (a benchmark that rolls back), run now what COMMIT would:
    PostgreSQL checks foreign keys (DEFERRABLE INITIALLY DEFERRED) only at commit, ~4 s for
    the ~400,000 references of 100,000 imported people and their audit rows, and the timing
    must include them. Outside a transaction the import has committed and paid them."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
