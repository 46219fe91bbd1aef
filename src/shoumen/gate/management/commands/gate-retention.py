"""``shoumen gate-retention``: the gate's daily housekeeping, for cron users.

Deletes entries and refusals older than ``RETENTION_DAYS`` and, unless
``--skip-key-rotation``, replaces the pass-signing key when it is due. ``shoumen serve``
schedules the same work itself (``shoumen scheduler``); this command is for installations
that run the web server some other way, e.g. ``15 3 * * * shoumen gate-retention``. Running
it twice does no harm.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from shoumen.core.request_context import acting_as
from shoumen.credentials import keys

from ...entries import retention


class Command(BaseCommand):
    help = (f"Delete gate entries older than the retention period "
            f"(RETENTION_DAYS, now {settings.RETENTION_DAYS}) and rotate the pass key if due.")

    def add_arguments(self, parser):
        parser.add_argument("--skip-key-rotation", action="store_true",
                            help="only delete expired entries")

    def handle(self, *args, skip_key_rotation, **options):
        with acting_as(None):
            deleted = retention.delete_expired_entries()
        self.stdout.write(f"deleted {deleted} entries older than {settings.RETENTION_DAYS} days")
        if not skip_key_rotation:
            key = keys.rotate_if_due()
            self.stdout.write(f"new pass signing key {key.kid}" if key else
                              "pass signing key not due for rotation")
