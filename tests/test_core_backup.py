"""Backups: ``shoumen backup`` writes one complete, verified file and a manifest (never the
personal-data key), retention keeps the newest ``BACKUP_KEEP``, ``shoumen restore`` brings the
database back to the backup's moment with readable ID numbers, and refuses what it cannot
restore safely (missing, corrupt, other engine, other key). The daily task is scheduled."""

import json
import logging
import os
import sqlite3
import time
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from shoumen.core import backups, pii
from shoumen.core.request_context import acting_as
from shoumen.core.schedule import DEFAULT_SCHEDULE, configured_jobs
from shoumen.core.tasks import backup_database
from shoumen.people.models import Person
from tests import factories
from tests.factories import World

ON_SQLITE = connection.vendor == "sqlite"
ON_POSTGRESQL = connection.vendor == "postgresql"
SUFFIX = ".sqlite3" if ON_SQLITE else ".dump"
# SQLite's backup API cannot copy from a connection with uncommitted writes (a test's
# transaction), and pg_dump does not see them: every test here commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEEP = 14
    return settings.BACKUP_DIR


def people() -> set[tuple]:
    return set(Person.objects.values_list("pk", "name", "id_number_index"))


def backup(*args) -> tuple[Path, str]:
    out = StringIO()
    call_command("backup", *args, stdout=out)
    path = Path(out.getvalue().split("backup written to ", 1)[1].split(" (", 1)[0])
    return path, out.getvalue()


def restore(*args) -> str:
    out = StringIO()
    call_command("restore", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


# --- the whole round trip: back up, change, restore, read the numbers -----------------------

def back_up_change_and_restore():
    world = World()
    kept = factories.person(world.worker_a, world.grid_a1, "欧阳小明", phone="13812345678")
    deleted_later = factories.person(world.worker_a, world.grid_a1, "李四")
    number, phone = kept.id_number, kept.phone
    at_backup = people()

    path, out = backup()
    assert path.parent == backups.backups_in()[0].parent and backups.backups_in() == [path]
    assert backups.NAME_RE.match(path.name) and path.suffix == SUFFIX
    manifest = json.loads(backups.manifest_path(path).read_text())
    assert manifest["rows"]["people.Person"] == 2 and manifest["engine"] == connection.vendor
    assert manifest["pii_key_fingerprint"] == backups.key_fingerprint()

    with acting_as(world.worker_a):
        deleted_later.delete()
    factories.person(world.worker_b, world.community_b, "王五")
    assert people() != at_backup and Person.objects.count() == 2

    text = restore(path, "--yes")
    assert "(now 2 people" in text and f"restored {path}" in text
    assert people() == at_backup
    restored = Person.objects.get(pk=kept.pk)
    assert (restored.id_number, restored.phone) == (number, phone)
    assert Person.objects.get(id_number_index=pii.blind_index("id", number)) == restored
    # The restored database keeps working: a new person gets a fresh id.
    newcomer = factories.person(world.worker_a, world.grid_a1, "赵六")
    assert newcomer.pk not in {pk for pk, _, _ in at_backup}


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's backup API round trip; PostgreSQL has its own")
def test_sqlite_backup_change_restore():
    back_up_change_and_restore()


def _maintenance_sql(*statements: str) -> None:
    s = connection.settings_dict
    with psycopg.connect(dbname="postgres", host=s["HOST"] or None, port=s["PORT"] or None,
                         user=s["USER"] or None, password=s["PASSWORD"] or None,
                         autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture
def scratch_postgresql(transactional_db):
    """The default connection pointed at a scratch copy of the (empty, migrated) test
    database, dropped afterwards: pg_restore --clean never runs on the test database."""
    test_name = connection.settings_dict["NAME"]
    scratch = f"{test_name}_backup_scratch"
    connection.close()
    # A template must have no other session: an earlier test's server thread may still hold
    # one (it reconnects when it needs to).
    _maintenance_sql(f'DROP DATABASE IF EXISTS "{scratch}"')
    for attempt in range(20):
        _maintenance_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         f"WHERE datname = '{test_name}' AND pid <> pg_backend_pid()")
        try:
            _maintenance_sql(f'CREATE DATABASE "{scratch}" TEMPLATE "{test_name}"')
            break
        except psycopg.errors.ObjectInUse:  # the session is still on its way out
            if attempt == 19:
                raise
            time.sleep(0.25)
    connection.settings_dict["NAME"] = scratch
    try:
        yield scratch
    finally:
        connection.close()
        connection.settings_dict["NAME"] = test_name
        _maintenance_sql(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump / pg_restore round trip; SQLite has its own")
def test_postgresql_dump_change_restore(scratch_postgresql):
    assert connection.settings_dict["NAME"] == scratch_postgresql
    back_up_change_and_restore()


# --- what a backup is -------------------------------------------------------------------------

def test_manifest_describes_the_backup_and_never_holds_a_key(world, resident, settings):
    path, out = backup()
    manifest_text = backups.manifest_path(path).read_text()
    manifest = json.loads(manifest_text)
    latest = MigrationRecorder.Migration.objects.filter(app="people").order_by("-id").first()
    assert manifest["migrations"]["people"] == latest.name
    assert manifest["rows"]["people.Person"] == 1 and manifest["rows"]["accounts.User"] == 6
    assert manifest["size"] == path.stat().st_size and len(manifest["sha256"]) == 64
    assert manifest["pii_key_fingerprint"] == backups.key_fingerprint()
    assert len(manifest["pii_key_fingerprint"]) == 16
    for secret in (settings.PII_KEY, settings.SECRET_KEY):
        assert secret not in manifest_text and secret.encode() not in path.read_bytes()
    assert "key itself is not in the backup" in out and f"({backups.human_size(path.stat().st_size)}" in out
    assert path.stat().st_mode & 0o077 == 0  # backups hold everything: owner only


def test_key_fingerprint_identifies_the_key_without_revealing_it():
    one, other = backups.key_fingerprint("key-one"), backups.key_fingerprint("key-two")
    assert one != other and one == backups.key_fingerprint("key-one")
    assert one not in "key-one" and len(one) == 16


def test_backups_in_one_minute_get_distinct_names():
    first, _ = backup()
    second, _ = backup()
    assert first != second and second.name == first.name.replace(SUFFIX, f"-2{SUFFIX}")
    assert backups.backups_in() == [first, second]


def test_output_option_writes_there_and_never_overwrites(tmp_path):
    target = tmp_path / "elsewhere" / "before-upgrade.bak"
    path, _ = backup("--output", str(target))
    assert path == target and target.is_file() and backups.manifest_path(target).is_file()
    with pytest.raises(CommandError, match="exists already"):
        backup("--output", str(target))


def test_a_failed_backup_leaves_nothing_that_looks_complete(backup_dir, monkeypatch):
    def broken(path):
        raise OSError("disk full")

    monkeypatch.setattr(backups, "_sha256", broken)
    with pytest.raises(OSError, match="disk full"):
        backups.make_backup()
    assert list(backup_dir.iterdir()) == []  # neither the backup, its manifest nor a partial


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's backup API and transactions")
@pytest.mark.django_db
def test_sqlite_backup_refuses_inside_a_transaction(backup_dir):
    with pytest.raises(backups.BackupError, match="inside a database transaction"):
        backups.make_backup()
    assert list(backup_dir.iterdir()) == []


# --- retention --------------------------------------------------------------------------------

def fake_backups(directory: Path, names) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        (directory / name).write_text("old")
        backups.manifest_path(directory / name).write_text("{}")
        paths.append(directory / name)
    return paths


def test_retention_deletes_the_oldest_beyond_the_count(backup_dir):
    oldest, older, old, newer_same_minute, newest = fake_backups(backup_dir, [
        "shoumen-20250101-0230.sqlite3", "shoumen-20250102-0230.dump",
        "shoumen-20250103-0230.sqlite3", "shoumen-20250103-0230-2.sqlite3",
        "shoumen-20250104-0230.sqlite3"])
    others = [backup_dir / "notes.txt", backup_dir / "shoumen-latest.sqlite3",
              backup_dir / ".shoumen-20240101-0000.sqlite3.partial"]
    for path in others:
        path.write_text("not ours")
    assert backups.prune(3) == [oldest, older]
    assert backups.backups_in() == [old, newer_same_minute, newest]
    assert not backups.manifest_path(oldest).exists() and backups.manifest_path(old).exists()
    assert all(path.exists() for path in others)
    assert backups.prune(0) == [] and len(backups.backups_in()) == 3  # 0 keeps all


def test_each_backup_applies_retention(backup_dir, settings):
    settings.BACKUP_KEEP = 2
    old = fake_backups(backup_dir, ["shoumen-20250101-0230.sqlite3", "shoumen-20250102-0230.dump"])
    path, out = backup()
    assert backups.backups_in() == [old[1], path]
    assert f"deleted old backup {old[0]}" in out
    newest, _ = backup("--keep", "1")
    assert backups.backups_in() == [newest]


# --- restore refuses what it cannot restore safely --------------------------------------------

def test_restore_of_a_missing_file():
    with pytest.raises(CommandError, match=r"no backup at /nowhere/shoumen\.sqlite3: give the path"):
        restore("/nowhere/shoumen.sqlite3", "--yes")


def test_restore_refuses_a_backup_made_with_another_key(world, resident, settings):
    path, _ = backup()
    made_with = backups.key_fingerprint()
    settings.PII_KEY = "another installation's key"
    with pytest.raises(CommandError, match=rf"made with another personal-data key \(fingerprint "
                                           rf"{made_with}.*SHOUMEN_PII_KEY.*--force"):
        restore(path, "--yes")
    assert Person.objects.get() == resident  # nothing touched
    assert backups.check_restorable(path, force=True).warnings  # --force goes on, warned


def test_restore_refuses_when_the_manifest_says_another_key(world, resident):
    path, _ = backup()
    manifest_file = backups.manifest_path(path)
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps({**manifest, "pii_key_fingerprint": "0123456789abcdef"}))
    with pytest.raises(CommandError, match="another personal-data key"):
        restore(path, "--yes")


def test_restore_refuses_a_corrupt_backup(tmp_path):
    path, _ = backup()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match="is corrupt: its size or checksum differs"):
        restore(path, "--yes")
    backups.manifest_path(path).unlink()  # without a manifest, the engine's own check
    with pytest.raises(CommandError, match="corrupt"):
        restore(path, "--yes", "--force")
    garbage = tmp_path / "shoumen-20250101-0230.sqlite3"
    garbage.write_bytes(b"\x00" * 4096)
    with pytest.raises(CommandError, match="neither a SQLite backup nor a pg_dump"):
        restore(garbage, "--yes", "--force")


def test_restore_refuses_the_other_engines_backup(tmp_path):
    if ON_SQLITE:
        other = tmp_path / "shoumen-20250101-0230.dump"
        other.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
        expected = "is a PostgreSQL dump and this installation runs on SQLite"
    else:
        other = tmp_path / "shoumen-20250101-0230.sqlite3"
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        expected = "cannot be restored into PostgreSQL.*Moving from SQLite to PostgreSQL"
    with pytest.raises(CommandError, match=expected):
        restore(other, "--yes")


def test_restore_asks_before_overwriting(world, resident):
    path, _ = backup()
    with pytest.raises(CommandError, match="pass --yes"):
        restore(path)  # stdin is not a terminal here
    assert Person.objects.get() == resident


# --- the daily task ---------------------------------------------------------------------------

def test_the_daily_backup_is_scheduled_before_the_clean_ups():
    assert ("shoumen.core.tasks.backup_database", "02:30") in DEFAULT_SCHEDULE
    assert "shoumen.core.tasks.backup_database" in {job.task_path for job in configured_jobs()}


def test_scheduled_backup_writes_a_backup_when_on(settings):
    settings.BACKUP_SCHEDULED = True
    path = backup_database.enqueue().return_value
    assert backups.backups_in() == [Path(path)]


def test_scheduled_backup_does_nothing_when_off(settings, caplog):
    settings.BACKUP_SCHEDULED = False
    with caplog.at_level(logging.INFO, logger="shoumen.core.tasks"):
        assert backup_database.enqueue().return_value is None
    assert backups.backups_in() == []
    expected = "the DBA's job" if ON_POSTGRESQL else "SHOUMEN_BACKUP_SCHEDULED is off"
    assert expected in caplog.text


@pytest.mark.skipif("SHOUMEN_BACKUP_SCHEDULED" in os.environ, reason="set in the environment")
def test_scheduled_backups_default_to_on_only_for_sqlite():
    from django.conf import settings

    assert settings.BACKUP_SCHEDULED is ON_SQLITE
