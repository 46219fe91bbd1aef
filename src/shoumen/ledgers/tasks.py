"""Background tasks for ledgers, run by the task worker (``shoumen db_worker``).

Tests use the immediate backend, which runs them inside ``enqueue``.
"""

from django_tasks import task

from .exporting import process_export
from .importing import process_import


@task()
def import_ledger(job_id: int) -> None:
    """Check and import one uploaded ledger (see importing.process_import)."""
    process_import(job_id)


@task()
def export_ledger(job_id: int) -> None:
    """Write one export to an .xlsx file (see exporting.process_export)."""
    process_export(job_id)
