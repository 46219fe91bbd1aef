"""Core's scheduled work, run by the task worker when ``shoumen scheduler`` enqueues it.

``backup_database`` is the daily backup of the embedded SQLite database (02:30, see
:mod:`shoumen.core.schedule`). On PostgreSQL it does nothing unless ``BACKUP_SCHEDULED`` is
on: there backups are the database administrator's (pg_dump, WAL archiving). A repeated run
makes one more backup and retention keeps ``BACKUP_KEEP`` of them, so catching up is harmless.
"""

import logging

from django.conf import settings
from django.db import connection
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def backup_database() -> str | None:
    """Back up the database into ``BACKUP_DIR`` (see :func:`shoumen.core.backups.make_backup`)
    when ``BACKUP_SCHEDULED``; returns the backup's path, or None when scheduled backups are
    off."""
    from . import backups

    if not settings.BACKUP_SCHEDULED:
        if connection.vendor == "postgresql":
            logger.info("scheduled backup skipped: on PostgreSQL backups are the DBA's job "
                        "(pg_dump, WAL archiving); set SHOUMEN_BACKUP_SCHEDULED=true to have "
                        "Shoumen run pg_dump daily")
        else:
            logger.info("scheduled backup skipped: SHOUMEN_BACKUP_SCHEDULED is off")
        return None
    backup = backups.make_backup()
    logger.info("scheduled backup written to %s (%s)", backup.path, backups.human_size(backup.size))
    for path in backup.deleted:
        logger.info("retention: deleted backup %s", path)
    return str(backup.path)
