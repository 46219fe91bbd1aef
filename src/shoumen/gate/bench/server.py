"""What the gate benchmarks share: the project's WSGI app under granian on a free port, a
checkpoint device registered for the run (and revoked after), real pass texts, and removing
the rows a run wrote.

The server runs the same settings as this process (its environment, so the same
``DATABASE_URL``), never on port 8000.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

RESERVED_PORTS = {8000}


@dataclass(frozen=True)
class ServerConfig:
    """How the web server runs, as ``shoumen serve`` runs it: worker processes, and threads
    per worker running the app (granian's blocking threads)."""

    workers: int = 2
    threads: int = 2

    def __str__(self) -> str:
        return f"granian {self.workers} workers × {self.threads} threads"


def free_port() -> int:
    """A free TCP port on 127.0.0.1, never one of RESERVED_PORTS."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def server_command(config: ServerConfig, port: int) -> list[str]:
    from shoumen.core.management.commands.serve import web_command

    return web_command(host="127.0.0.1", port=port, workers=config.workers,
                       threads=config.threads, access_log=False)


@dataclass(frozen=True)
class Server:
    url: str
    pid: int  # the server's main process


@contextmanager
def web_server(config: ServerConfig, *, ready_timeout: float = 90.0):
    """Run the app as ``shoumen serve`` does for the block; yields the :class:`Server`."""
    port = free_port()
    env = {"DJANGO_SETTINGS_MODULE": "shoumen.settings", **os.environ,
           "SHOUMEN_PLAIN_STATIC": "1"}
    process = subprocess.Popen(server_command(config, port), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url, ready_timeout)
        yield Server(url, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the web server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/gate/keys/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the web server did not answer on {url} within {timeout:.0f} s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc; 0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def backend_cpu(application_name: str | None = None) -> float:
    """CPU seconds used so far by this database's other client backends (all, or those of
    ``application_name``); 0 off PostgreSQL."""
    if connection.vendor != "postgresql":
        return 0.0
    sql = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
           "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
    params = []
    if application_name:
        sql += " AND application_name = %s"
        params.append(application_name)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sum(_cpu_seconds(pid) for (pid,) in cursor.fetchall())


class CpuMeter:
    """CPU used by the app server (its main process and workers) and by this database's
    client backends (PostgreSQL, same machine) between :meth:`start` and :meth:`stop`: where
    a request's cost goes. Linux only; connections opened during the run are not counted
    (the app keeps its connections, CONN_MAX_AGE)."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.start_values: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        app = [self.server_pid, *_children(self.server_pid)]
        return {"app": sum(map(_cpu_seconds, app)), "db": backend_cpu()}

    def start(self) -> None:
        self.start_values = self._read()

    def stop(self) -> dict[str, float]:
        """CPU seconds used since :meth:`start`, by "app" and "db"."""
        now = self._read()
        return {k: now[k] - self.start_values[k] for k in now}


def database_uri() -> str:
    """The default database as a libpq URI (for pgbench and psql)."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# --- data for a run ---------------------------------------------------------------------------

@dataclass
class BenchDevice:
    """A device registered for one benchmark run at a community gate, and its token."""

    device: object
    token: str
    checkpoint: object
    started: datetime

    @property
    def checkpoint_id(self) -> int:
        return self.checkpoint.pk


def _admin():
    from shoumen.accounts.models import User

    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if admin is None:
        raise SystemExit("no active superuser: run `shoumen demo-data` first")
    return admin


def bench_gate():
    """Where runs register: a gate of 泺文路社区 (the demo guard's), else any checkpoint."""
    from ..checkpoints.models import Checkpoint

    checkpoint = (Checkpoint.objects.filter(active=True, place__building=None,
                                            place__jurisdiction__code="370103001001")
                  .order_by("pk").first()
                  or Checkpoint.objects.filter(active=True).order_by("pk").first())
    if checkpoint is None:
        raise SystemExit("no checkpoint: run `shoumen demo-data` first")
    return checkpoint


def register_bench_device(checkpoint=None) -> BenchDevice:
    """Register a phone for the run through the gate services (as the admin)."""
    from shoumen.core import request_context

    from ..checkpoints import services

    admin = _admin()
    checkpoint = checkpoint or bench_gate()
    with request_context.acting_as(admin), transaction.atomic():
        device, token = services.register_device(checkpoint, actor=admin, name="benchmark")
    return BenchDevice(device=device, token=token, checkpoint=checkpoint, started=timezone.now())


def pass_texts(count: int) -> list[str]:
    """QR texts of ``count`` live, in-date passes of people free to move (spread over the
    table: every k-th pass)."""
    from shoumen.people.models import CONFINED_STATUSES

    from ..passes.models import ResidentPass

    live = (ResidentPass.objects.filter(revoked_at=None, valid_until__gt=timezone.now())
            .exclude(person__status__in=CONFINED_STATUSES))
    ids = list(live.order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise SystemExit("no live passes: run `shoumen demo-data` first")
    step = max(1, len(ids) // count)
    chosen = ids[::step][:count]
    texts = dict(ResidentPass.objects.filter(pk__in=chosen).values_list("pk", "qr_text"))
    return [texts[pk] for pk in chosen]


def entries_of(bench: BenchDevice):
    """The entries a run's device stored (the checkpoint's (checkpoint, at) index, then the
    device). Runs may back-date entries by up to a day (offline batches)."""
    from ..entries.models import Entry

    return Entry.objects.filter(checkpoint_id=bench.checkpoint_id, device=bench.device,
                                at__gte=bench.started - _BACKDATE)


_BACKDATE = timedelta(days=1)


def clean_up(bench: BenchDevice, *, extra_devices: tuple[int, ...] = ()) -> int:
    """Delete what the run wrote (its device's entries, and rows pgbench wrote with
    ``extra_devices`` ids; benchmark temperatures raise no fever alerts), revoke the device,
    VACUUM the entry table. One DELETE through the (checkpoint, at) index, not the ORM's
    row-by-row collector. Returns the rows deleted."""
    from shoumen.core import request_context

    from ..checkpoints import services
    from ..entries.models import Entry

    admin = _admin()
    table = connection.ops.quote_name(Entry._meta.db_table)
    devices = [bench.device.pk, *extra_devices]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM {table} WHERE checkpoint_id = %s AND "at" >= %s AND device_id IN '
                       f"({', '.join(['%s'] * len(devices))})",
                       [bench.checkpoint_id, bench.started - _BACKDATE, *devices])
        deleted = cursor.rowcount
        with request_context.acting_as(admin):
            services.revoke_device(bench.device, actor=admin)
    vacuum(Entry._meta.db_table)
    return deleted


def vacuum(*tables: str) -> None:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
