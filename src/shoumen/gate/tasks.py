"""The gate's scheduled housekeeping, run by the task worker (``shoumen db_worker``) when
``shoumen scheduler`` (started by ``shoumen serve``) enqueues it, or directly by
``shoumen gate-retention`` from cron. Both are safe to run again: a second run the same day
changes nothing.
"""

from django_tasks import task

from shoumen.core.request_context import acting_as


@task()
def delete_expired_entries() -> int:
    """Delete entries and refusals past ``settings.RETENTION_DAYS``; returns how many entries
    went (see :func:`shoumen.gate.entries.retention.delete_expired_entries`)."""
    from .entries.retention import delete_expired_entries as delete

    with acting_as(None):  # the audit row names "system"
        return delete()


@task()
def rotate_pass_keys() -> str | None:
    """Replace the pass-signing key once it is ``settings.PASS_KEY_ROTATION_DAYS`` old;
    returns the new key's id, or None when the current key is not due yet."""
    from shoumen.credentials.keys import rotate_if_due

    key = rotate_if_due()
    return key.kid if key is not None else None


@task()
def retire_unguarded_devices() -> int:
    """Revoke every device whose guard may no longer register at its checkpoint, for changes
    the signal handlers could not see (see
    :func:`shoumen.gate.checkpoints.services.retire_unguarded_devices`); returns how many were
    revoked."""
    from .checkpoints.services import retire_unguarded_devices as retire

    with acting_as(None):  # the audit rows name "system"
        return len(retire())
