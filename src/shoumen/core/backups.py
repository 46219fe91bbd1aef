"""Backups of the whole database and their restore: ``shoumen backup``, ``shoumen restore``
and the daily task (:mod:`shoumen.core.tasks`) all go through this module.

What it guarantees:

* **Complete or absent.** A backup is written under a hidden temporary name beside its final
  one, checked, and only then renamed to ``shoumen-YYYYMMDD-HHMM.sqlite3`` (SQLite) or
  ``.dump`` (PostgreSQL), local time. A file with that name is a whole, verified backup; an
  interrupted one leaves at most a ``.*.partial`` file, never a complete-looking backup.
* **Online.** SQLite is copied with its online backup API in one step: a consistent snapshot
  taken while the platform keeps writing (WAL). PostgreSQL is dumped by ``pg_dump
  --format=custom`` in an exported snapshot, so the manifest's counts are the dump's.
  SQLite copies pass ``PRAGMA integrity_check``; dumps must be readable to the end by
  ``pg_restore``.
* **A manifest beside each backup** (``<backup>.json``): engine, time, the latest applied
  migration per app, row counts of key tables, the file's SHA-256 and a *fingerprint* of the
  personal-data key. Neither the backup nor the manifest contains ``PII_KEY`` or
  ``SECRET_KEY``: those are kept apart, and restore uses the fingerprint to say "made with
  another key" before anyone meets unreadable ID numbers.
* **Retention.** After each backup only the ``BACKUP_KEEP`` newest files with our name in
  ``BACKUP_DIR`` stay (with their manifests); nothing else there is touched.
* **Restore checks before it writes.** A missing, foreign, corrupt or other-engine file, or
  one made with another key (unless forced), is refused before the database is touched; the
  restore itself is all or nothing (one backup-API step; ``pg_restore --single-transaction``).

Backups are files with everything in the database (encrypted personal data, password hashes,
sessions): they are written with mode 0600, in a directory made 0700 if it did not exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import pathname2url

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

SQLITE, POSTGRESQL = "sqlite", "postgresql"
SUFFIX = {SQLITE: ".sqlite3", POSTGRESQL: ".dump"}
# shoumen-20261207-0300.sqlite3, or shoumen-20261207-0300-2.sqlite3 for a second one that minute.
NAME_RE = re.compile(r"^shoumen-(\d{8})-(\d{4})(?:-(\d+))?\.(sqlite3|dump)$")
MANIFEST_FORMAT = 1
# Tables whose row counts the manifest records (and restore shows).
KEY_MODELS = ("people.Person", "accounts.User", "geo.Node", "geo.Place",
              "resumption.Enterprise", "gate.Entry", "core.AuditEvent")
DOCS_SQLITE_TO_POSTGRESQL = "docs/running.md, “Moving from SQLite to PostgreSQL”"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass
class Backup:
    path: Path
    manifest: dict
    deleted: list[Path] = field(default_factory=list)  # older backups removed by retention

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.path)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def key_fingerprint(pii_key: str | None = None) -> str:
    """16 hex digits identifying a personal-data key without revealing it: SHA-256 of a value
    derived from the key under a label of its own (never used to encrypt anything)."""
    key = settings.PII_KEY if pii_key is None else pii_key
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"shoumen/backup/key-fingerprint/v1").derive(key.encode())
    return hashlib.sha256(derived).hexdigest()[:16]


def current_engine() -> str:
    vendor = connection.vendor
    if vendor not in SUFFIX:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


# --- Making a backup -------------------------------------------------------------------------

def make_backup(output: Path | None = None, keep: int | None = None) -> Backup:
    """Back up the default database to ``output`` (else a new timestamped file in
    ``BACKUP_DIR``), write its manifest, then apply retention (``keep`` or ``BACKUP_KEEP``)."""
    if keep is not None and keep < 0:
        raise BackupError("the number of backups to keep cannot be negative")
    engine = current_engine()
    path = Path(output) if output else _new_backup_path(engine)
    if path.exists():
        raise BackupError(f"{path} exists already: choose another --output or remove it")
    _private_dir(path.parent)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        facts = _sqlite_backup(partial) if engine == SQLITE else _postgresql_backup(partial)
        manifest = {
            "format": MANIFEST_FORMAT,
            "engine": engine,
            "file": path.name,
            "created_at": timezone.localtime().isoformat(timespec="seconds"),
            "database": database_label(),
            "size": partial.stat().st_size,
            "sha256": _sha256(partial),
            "pii_key_fingerprint": key_fingerprint(),
            **facts,
        }
        _write_private(manifest_path(path), json.dumps(manifest, indent=2, ensure_ascii=False))
        partial.rename(path)  # last: a backup under its own name always has its manifest
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    backup = Backup(path, manifest)
    backup.deleted = prune(settings.BACKUP_KEEP if keep is None else keep)
    return backup


def _new_backup_path(engine: str) -> Path:
    stem = f"shoumen-{timezone.localtime():%Y%m%d-%H%M}"
    directory = Path(settings.BACKUP_DIR)
    path, n = directory / f"{stem}{SUFFIX[engine]}", 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}{SUFFIX[engine]}"
    return path


def _private_dir(directory: Path) -> None:
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700)


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    _create_private(partial)
    partial.write_text(text + "\n", encoding="utf-8")
    partial.rename(path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def database_label() -> str:
    s = connection.settings_dict
    if connection.vendor == SQLITE:
        return str(s["NAME"])
    return f"{s['NAME']} on {s['HOST'] or 'local socket'}:{s['PORT'] or 5432}"


def _facts(cursor, quote) -> dict:
    """The latest applied migration per app and the key tables' row counts, as seen by
    ``cursor`` (the backup's own snapshot)."""
    from django.apps import apps

    cursor.execute("SELECT app, name FROM django_migrations WHERE id IN "
                   "(SELECT MAX(id) FROM django_migrations GROUP BY app) ORDER BY app")
    migrations = dict(cursor.fetchall())
    rows = {}
    for label in KEY_MODELS:
        model = apps.get_model(label)
        cursor.execute(f"SELECT COUNT(*) FROM {quote(model._meta.db_table)}")  # noqa: S608
        rows[label] = cursor.fetchone()[0]
    return {"migrations": migrations, "rows": rows}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _busy_limit(what: str, seconds: float = 60.0):
    """A progress callback for ``sqlite3.Connection.backup`` that gives up (instead of
    retrying for ever) when the database stays locked for ``seconds``."""
    since = None

    def progress(status, remaining, total):
        nonlocal since
        if status not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            since = None
            return
        since = since or time.monotonic()
        if time.monotonic() - since > seconds:
            raise BackupError(f"{what}: the database stayed locked for {seconds:.0f} s by "
                              f"another writer; try again when it is quieter")

    return progress


def _sqlite_backup(partial: Path) -> dict:
    if connection.in_atomic_block:  # its uncommitted writes would lock the copy out for ever
        raise BackupError("a SQLite backup cannot be made inside a database transaction")
    connection.ensure_connection()
    _create_private(partial)
    copy = sqlite3.connect(partial)
    try:
        # One step (pages=-1): a consistent snapshot; in WAL mode writers go on meanwhile.
        connection.connection.backup(copy, progress=_busy_limit("backup"))
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
        _check_sqlite(copy, partial, "the live database may be damaged; run `sqlite3 "
                      f"{connection.settings_dict['NAME']} 'PRAGMA integrity_check'` and keep "
                      "the previous backups")
        return _facts(copy.cursor(), _quote)
    finally:
        copy.close()


def _check_sqlite(db: sqlite3.Connection, path: Path, advice: str) -> None:
    try:
        result = [row[0] for row in db.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is corrupt or not a SQLite database ({exc}): {advice}") from exc
    if result != ["ok"]:
        raise BackupError(f"{path} fails SQLite's integrity check "
                          f"({'; '.join(result[:3])}): {advice}")


def _postgresql_backup(partial: Path) -> dict:
    _create_private(partial)
    dump = ["pg_dump", "--format=custom", "--no-password", "--file", str(partial),
            *_pg_connection_args(), "--dbname", connection.settings_dict["NAME"]]
    if connection.in_atomic_block:  # cannot start a snapshot here: counts are approximate
        with connection.cursor() as cursor:
            facts = _facts(cursor, connection.ops.quote_name)
        _run(dump)
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            facts = _facts(cursor, connection.ops.quote_name)
            _run([*dump, f"--snapshot={snapshot}"])
    _check_dump(partial, "the dump is incomplete: check pg_dump's version and the disk")
    return facts


def _check_dump(path: Path, advice: str) -> None:
    """Read the whole dump (every data block, not just its table of contents)."""
    try:
        _run(["pg_restore", "--file", os.devnull, str(path)])
    except BackupError as exc:
        raise BackupError(f"{path} is corrupt or not a complete dump ({exc}): {advice}") from exc


def _pg_connection_args() -> list[str]:
    s = connection.settings_dict
    args = []
    for option, value in (("--host", s["HOST"]), ("--port", s["PORT"]), ("--username", s["USER"])):
        if value:
            args += [option, str(value)]
    return args


def _pg_env() -> dict:
    """The environment of pg_dump / pg_restore: the password travels here, never in argv."""
    s = connection.settings_dict
    env = dict(os.environ)
    if s["PASSWORD"]:
        env["PGPASSWORD"] = s["PASSWORD"]
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "service"):
        if option in s.get("OPTIONS", {}):
            env[f"PG{option.upper()}"] = str(s["OPTIONS"][option])
    return env


def _run(command: list[str], what: str = "") -> None:
    try:
        result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed: install the PostgreSQL client tools "
                          f"(Debian: apt-get install postgresql-client) of the server's "
                          f"major version") from exc
    if result.returncode != 0:
        raise BackupError(f"{what or command[0]} failed: {result.stderr.strip()}")


# --- Retention -------------------------------------------------------------------------------

def backups_in(directory: Path | None = None) -> list[Path]:
    """Files in ``directory`` (``BACKUP_DIR``) named as our backups, oldest first."""
    directory = Path(settings.BACKUP_DIR if directory is None else directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = NAME_RE.match(path.name)
        if match and path.is_file():
            day, hhmm, n, _ = match.groups()
            found.append(((day, hhmm, int(n or 1)), path))
    return [path for _, path in sorted(found)]


def prune(keep: int, directory: Path | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest backups (and their manifests); ``keep`` 0 keeps all.
    Returns the deleted backups."""
    if keep < 0:
        raise BackupError("the number of backups to keep cannot be negative")
    if keep == 0:
        return []
    old = backups_in(directory)[:-keep]
    for path in old:
        manifest_path(path).unlink(missing_ok=True)
        path.unlink()
    return old


# --- Restore ---------------------------------------------------------------------------------

@dataclass
class Restorable:
    """A backup file checked for restore into the current database."""

    path: Path
    engine: str
    manifest: dict | None
    warnings: list[str] = field(default_factory=list)


def file_engine(path: Path) -> str | None:
    """The engine whose backup ``path`` is, from its first bytes; None if neither."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head == b"SQLite format 3\x00":
        return SQLITE
    if head.startswith(b"PGDMP"):
        return POSTGRESQL
    return None


def read_manifest(path: Path) -> dict | None:
    where = manifest_path(path)
    if not where.exists():
        return None
    try:
        return json.loads(where.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"the manifest {where} is not valid JSON ({exc}): restore the file "
                          f"from where the backup came from, or remove it and use --force") from exc


def check_restorable(path: Path, *, force: bool = False) -> Restorable:
    """Everything restore checks before touching the database; raises BackupError saying what
    is wrong and what to do. ``force`` accepts another (or an unknown) personal-data key."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup at {path}: give the path of a .sqlite3 or .dump file "
                          f"(`ls {settings.BACKUP_DIR}` lists the backups made here)")
    engine, target = file_engine(path), current_engine()
    if engine is None:
        raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format dump "
                          f"(corrupt, or not a Shoumen backup)")
    if engine != target:
        if engine == SQLITE:
            raise BackupError(f"{path} is a SQLite backup and this installation runs on "
                              f"PostgreSQL: a SQLite backup cannot be restored into PostgreSQL. "
                              f"Move the data as described in {DOCS_SQLITE_TO_POSTGRESQL}")
        raise BackupError(f"{path} is a PostgreSQL dump and this installation runs on SQLite: "
                          f"set DATABASE_URL to a PostgreSQL database and restore it there")
    manifest = read_manifest(path)
    item = Restorable(path, engine, manifest)
    if manifest and not _matches_manifest(path, manifest):
        raise BackupError(f"{path} is corrupt: its size or checksum differs from its "
                          f"manifest's. Restore an older backup, or a copy of this one")
    _check_contents(item)
    _check_key(item, force)
    return item


def _matches_manifest(path: Path, manifest: dict) -> bool:
    if "sha256" not in manifest or "size" not in manifest:
        return True
    return path.stat().st_size == manifest["size"] and _sha256(path) == manifest["sha256"]


def _check_contents(item: Restorable) -> None:
    if item.engine == SQLITE:
        db = _open_readonly(item.path)
        try:
            _check_sqlite(db, item.path, "restore another backup, or another copy of this one")
        finally:
            db.close()
    else:
        _check_dump(item.path, "restore another backup, or another copy of this one")


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True)


def _check_key(item: Restorable, force: bool) -> None:
    ours = key_fingerprint()
    theirs = (item.manifest or {}).get("pii_key_fingerprint")
    if theirs == ours:
        return
    if theirs is None and item.engine == SQLITE and _sample_decrypts(item.path) is True:
        item.warnings.append("no manifest beside the backup; a stored ID number decrypts "
                             "with this installation's key")
        return
    if theirs is None:
        missing = (f"there is no manifest ({manifest_path(item.path).name}) beside the backup"
                   if item.manifest is None else "the backup's manifest has no key fingerprint")
        problem = (f"{missing}, so it cannot be checked that it was made with this "
                   f"installation's personal-data key")
    else:
        problem = (f"this backup was made with another personal-data key (fingerprint {theirs}; "
                   f"this installation's key has {ours}). Restored ID and phone numbers "
                   f"would be unreadable and exact search would find nothing. Set "
                   f"SHOUMEN_PII_KEY (or {Path(settings.VAR_DIR) / 'pii_key'}) to the key "
                   f"kept with this backup and try again")
    if not force:
        raise BackupError(f"{problem}; --force restores anyway")
    item.warnings.append(problem)


def _encrypted_column() -> tuple[str, str] | None:
    """(table, column) of the first encrypted personal-data field of any model (by the
    ``*_encrypted`` convention of :mod:`shoumen.core.pii`), or None."""
    from django.apps import apps

    for model in apps.get_models():
        for column in (f.column for f in model._meta.concrete_fields):
            if column.endswith("_encrypted"):
                return model._meta.db_table, column
    return None


def _sample_decrypts(path: Path) -> bool | None:
    """Whether one stored personal-data value of a SQLite backup decrypts with the current
    key (None: no value to try)."""
    from shoumen.core import pii

    found = _encrypted_column()
    if found is None:
        return None
    table, column = found
    db = _open_readonly(path)
    try:
        row = db.execute(f"SELECT {_quote(column)} FROM {_quote(table)} "  # noqa: S608
                         f"WHERE {_quote(column)} != '' LIMIT 1").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        db.close()
    if row is None:
        return None
    try:
        pii.decrypt(row[0])
    except RuntimeError:
        return False
    return True


def current_rows() -> dict | None:
    """Row counts of the key tables in the current database (for "what will be overwritten");
    None when it has no such tables (a new, empty database)."""
    from django.apps import apps

    try:
        return {label: apps.get_model(label)._base_manager.count() for label in KEY_MODELS}
    except Exception:  # noqa: BLE001 - an empty or broken database is what a restore repairs
        return None


def restore(item: Restorable) -> list[str]:
    """Replace the current database by the checked backup ``item``; returns notes for the
    operator (e.g. migrations to run). All or nothing."""
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a database transaction")
    connections.close_all()
    if item.engine == SQLITE:
        _sqlite_restore(item.path)
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--no-password", *_pg_connection_args(), "--dbname", connection.settings_dict["NAME"],
              str(item.path)], what="pg_restore (one transaction: the database was not changed)")
    return _migration_notes()


def _sqlite_restore(path: Path) -> None:
    # Through Django's own connection, the one that also keeps an in-memory database alive.
    # One backup step writes the whole database in one transaction; other processes' open
    # connections see the restored database afterwards.
    connection.ensure_connection()
    source = _open_readonly(path)
    try:
        source.backup(connection.connection, progress=_busy_limit(
            "restore (stop `shoumen serve` and its workers first)"))
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed ({exc}); the database was not changed") from exc
    finally:
        source.close()
    try:
        _check_sqlite(connection.connection, Path(connection.settings_dict["NAME"]),
                      "restore another backup")
    except BackupError as exc:
        raise BackupError(f"the restored database fails its check: {exc}") from exc


def _migration_notes() -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    notes = []
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        notes.append("the backup predates some of this version's migrations: run "
                     "`shoumen migrate` before serving")
    unknown = set(executor.loader.applied_migrations) - set(executor.loader.graph.nodes)
    if unknown:
        notes.append(f"the backup has {len(unknown)} migration(s) this version does not know "
                     f"(made by a newer Shoumen?): run that version")
    return notes
