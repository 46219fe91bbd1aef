"""Batch upload (an offline checkpoint's queue) over HTTP, against COPY of the same rows.

The figure: a few concurrent clients ``POST /api/gate/entries/batch/`` with batches of real
pass scans (new uuids, times over the last hours) as a registered device, through the web
server as ``shoumen serve`` runs it; entries stored per second from the first request to the
last answer, every answer checked (all ``stored``). The ceiling: the same rows as the server
would write them, inserted with :func:`shoumen.core.bulk.insert_rows` (COPY) in batches of the
same size, one transaction each, on one connection. Both sets of rows are deleted after."""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from shoumen.core import bulk
from shoumen.core.benchmarks import Result
from shoumen.core.uuids import uuid7

from ..entries.models import ENTRY_ROW_FIELDS, Entry
from ..passes.models import ResidentPass
from ..passes.services import qr_digest
from .server import (
    BenchDevice,
    CpuMeter,
    ServerConfig,
    clean_up,
    entries_of,
    pass_texts,
    register_bench_device,
    web_server,
)

TARGET_RATE = 20_000  # entries/s


def batch_items(texts: list[str], *, checkpoint: int, count: int, seed: int = 0) -> list[dict]:
    """``count`` registrations by pass at ``checkpoint``, as the checkpoint page queues them:
    times spread over the last six hours, each with the uuid the page makes when the guard
    confirms (version 7, of that time), normal temperatures."""
    rng = random.Random(seed)
    now = timezone.now()
    items = []
    for i in range(count):
        at = now - timedelta(seconds=rng.randint(60, 6 * 3600))
        items.append({"uuid": str(uuid7(at, rng.getrandbits(74))), "checkpoint": checkpoint,
                      "direction": rng.choice(("in", "out")),
                      "temperature": rng.choice(("36.2", "36.4", "36.5", "36.6", "36.8")),
                      "at": at.isoformat(), "qr_text": texts[i % len(texts)]})
    return items


def upload(url: str, token: str, bodies: list[bytes], clients: int) -> tuple[float, list[dict]]:
    """POST every body to the batch endpoint from ``clients`` threads (one keep-alive
    connection each); returns the wall time and the answers."""
    parts = urlsplit(url)
    answers: list[dict] = []
    failures: list[str] = []
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Authorization": f"Device {token}"}

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        while True:
            with lock:
                if not queue:
                    break
                _, body = queue.pop()
            conn.request("POST", "/api/gate/entries/batch/", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                failures.append(f"{response.status}: {data[:300]!r}")
                continue
            answer = json.loads(data)
            with lock:
                answers.append(answer)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    if failures:
        raise SystemExit(f"batch upload failed: {failures[:3]}")
    return seconds, answers


def copy_rows(bench: BenchDevice, items: list[dict]) -> list[tuple]:
    """The entry rows the server stores for ``items`` (columns: ENTRY_ROW_FIELDS), with new
    uuids of the same kind (version 7 of the entry's time)."""
    found = dict(ResidentPass.objects.filter(qr_digest__in={qr_digest(i["qr_text"]) for i in items})
                 .values_list("qr_digest", "pk"))
    people = dict(ResidentPass.objects.filter(pk__in=found.values()).values_list("pk", "person_id"))
    checkpoint = bench.checkpoint
    now = timezone.now()
    rows = []
    for item in items:
        pass_id = found[qr_digest(item["qr_text"])]
        at = datetime.fromisoformat(item["at"])
        rows.append((uuid7(at), checkpoint.pk, checkpoint.site_id, at, item["direction"],
                     Decimal(item["temperature"]), False, people[pass_id], "pass", pass_id,
                     bench.device.registered_by_id, bench.device.pk, "", "", now))
    return rows


def copy_in_batches(rows: list[tuple], batch_size: int) -> float:
    """Insert ``rows`` by COPY, one transaction per batch; returns the seconds taken."""
    start = time.perf_counter()
    for i in range(0, len(rows), batch_size):
        with transaction.atomic():
            bulk.insert_rows(Entry, rows[i:i + batch_size], fields=ENTRY_ROW_FIELDS,
                             returning_ids=False)
    return time.perf_counter() - start


def run(*, config: ServerConfig, batch_size: int = 2000, total: int = 100_000,
        clients: int = 3) -> Result:
    if not 1 <= batch_size <= 5000:
        raise SystemExit("--batch-size is 1 to 5,000 (the endpoint's limit)")
    bench = register_bench_device()
    try:
        texts = pass_texts(20_000)
        items = batch_items(texts, checkpoint=bench.checkpoint_id, count=total)
        bodies = [json.dumps({"entries": items[i:i + batch_size]}).encode()
                  for i in range(0, total, batch_size)]
        warm = batch_items(texts, checkpoint=bench.checkpoint_id, count=min(batch_size, 500),
                           seed=1)
        with web_server(config) as server:
            upload(server.url, bench.token, [json.dumps({"entries": warm}).encode()], 1)
            meter = CpuMeter(server.pid)
            meter.start()
            seconds, answers = upload(server.url, bench.token, bodies, clients)
            cpu = meter.stop()
        stored = sum(a["counts"]["stored"] for a in answers)
        in_table = entries_of(bench).count()
        if stored != total or in_table != total + len(warm):
            raise SystemExit(f"batch upload: {stored:,} stored of {total:,}; "
                             f"{in_table:,} rows in the table (warm-up {len(warm)})")
        rows = copy_rows(bench, items)
        copy_seconds = copy_in_batches(rows, batch_size)
    finally:
        clean_up(bench)
    rate, copy_rate = total / seconds, total / copy_seconds
    return Result(
        name=(f"Batch upload, {total:,} entries in batches of {batch_size:,} from {clients} "
              f"clients ({config}; machine load {os.getloadavg()[0]:.1f})"),
        figure=(f"{seconds:.1f} s, {rate:,.0f} entries/s; CPU per 1,000 entries: app "
                f"{cpu['app'] / total * 1e6:.0f} ms, PostgreSQL {cpu['db'] / total * 1e6:.0f} ms"),
        ceiling=f"COPY of the same rows, same batches: {copy_seconds:.1f} s, {copy_rate:,.0f}/s",
        ratio=copy_rate / rate,
        target=f"≥ {TARGET_RATE:,}/s",
        met=rate >= TARGET_RATE,
    )
