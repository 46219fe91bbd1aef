"""Background tasks of evidence, run by the task worker; the scheduler enqueues them."""

from django_tasks import task

from .cleanup import remove_orphan_files


@task()
def remove_orphan_evidence_files() -> int:
    """Each night: files left by uploads whose transaction rolled back (a day old or more)."""
    return remove_orphan_files()
