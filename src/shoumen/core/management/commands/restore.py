"""``shoumen restore PATH``: replace the whole database by a backup made by ``shoumen backup``.

Checks the file before touching anything (exists, is a backup of this database's engine, not
corrupt, made with this installation's personal-data key unless ``--force``), says what will
be overwritten and asks, unless ``--yes``. Then SQLite is restored through the online backup
API, PostgreSQL with ``pg_restore --clean --if-exists --no-owner`` in one transaction: all or
nothing. Stop the platform (``shoumen serve``) first, so that nobody writes meanwhile.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from shoumen.core import backups


def _counts(rows: dict | None) -> str:
    if rows is None:
        return "without Shoumen's tables"
    if not rows:
        return "contents unknown"
    return (f"{rows.get('people.Person', '?')} people, {rows.get('accounts.User', '?')} users, "
            f"{rows.get('core.AuditEvent', '?')} audit events")


class Command(BaseCommand):
    help = ("Replace the database by a backup made by `shoumen backup` (everything written "
            "since is lost). Refuses a backup made with another personal-data key unless "
            "--force.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file (.sqlite3 or .dump)")
        parser.add_argument("--yes", action="store_true",
                            help="do not ask for confirmation")
        parser.add_argument("--force", action="store_true",
                            help="restore even if the backup was made with another (or an "
                                 "unknown) personal-data key")

    def handle(self, *args, path, yes, force, **options):
        try:
            item = backups.check_restorable(path, force=force)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for warning in item.warnings:
            self.stderr.write(f"warning: {warning}")
        manifest = item.manifest or {}
        self.stdout.write(
            f"This replaces the whole database {backups.database_label()} "
            f"(now {_counts(backups.current_rows())}) by the backup {item.path} "
            f"(made {manifest.get('created_at', 'at an unknown time')}, "
            f"{_counts(manifest.get('rows', {}))}). Everything written since is lost.")
        if not yes:
            self._confirm()
        try:
            notes = backups.restore(item)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {item.path} into {connection.settings_dict['NAME']} "
                          f"({_counts(backups.current_rows())})")
        for note in notes:
            self.stdout.write(f"note: {note}")

    def _confirm(self):
        if not sys.stdin.isatty():
            raise CommandError("not restoring without confirmation: run it in a terminal to be "
                               "asked, or pass --yes")
        if input("Type 'yes' to restore: ").strip().lower() != "yes":
            raise CommandError("restore cancelled; the database was not changed")
