"""Background tasks of inspections, run by the task worker; the scheduler enqueues them."""

from django_tasks import task

from .services import escalate_overdue


@task()
def escalate_overdue_rectifications() -> int:
    """Each morning: rectifications not closed by their deadline go to the task force."""
    return len(escalate_overdue())
