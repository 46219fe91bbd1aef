"""``shoumen backup``: back up the database now (see :mod:`shoumen.core.backups`).

Writes one complete, verified file (SQLite: online backup API; PostgreSQL: ``pg_dump
--format=custom``) and its JSON manifest to ``BACKUP_DIR`` or ``--output``, then keeps only
the newest ``BACKUP_KEEP`` (or ``--keep``) backups there. Safe while the platform runs. The
personal-data key is not in the backup: keep ``var/pii_key`` apart (docs/running.md).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shoumen.core import backups


class Command(BaseCommand):
    help = ("Back up the database (SQLite or PostgreSQL) to BACKUP_DIR, with a manifest, and "
            "delete the oldest backups beyond BACKUP_KEEP. The personal-data key is NOT in "
            "the backup: keep it apart.")

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, metavar="PATH",
                            help=f"write the backup to this file instead of a new timestamped "
                                 f"file in {settings.BACKUP_DIR}")
        parser.add_argument("--keep", type=int, metavar="N",
                            help=f"keep the N newest backups in BACKUP_DIR, 0 keeps all "
                                 f"(default BACKUP_KEEP, now {settings.BACKUP_KEEP})")

    def handle(self, *args, output, keep, **options):
        if keep is not None and keep < 0:
            raise CommandError("--keep must be 0 (keep all) or more")
        try:
            backup = backups.make_backup(output=output, keep=keep)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = backup.manifest["rows"]
        self.stdout.write(
            f"backup written to {backup.path} ({backups.human_size(backup.size)}; "
            f"{rows['people.Person']} people, {rows['accounts.User']} users)")
        self.stdout.write(f"manifest: {backup.manifest_path}")
        for path in backup.deleted:
            self.stdout.write(f"deleted old backup {path}")
        self.stdout.write(f"personal-data key fingerprint {backup.manifest['pii_key_fingerprint']}"
                          f": the key itself is not in the backup; keep a copy of it apart")
