"""Single-scan registration over HTTP with concurrent clients, against pgbench's single-row
insert into the same table in the same run.

The figure: ``wrk`` drives ``POST /api/gate/entries/`` on the project's WSGI app under granian
(as ``shoumen serve`` runs it), each request a new uuid and a real pass's QR text, as a
registered checkpoint device (``Authorization: Device smd_…``): entries stored per second and
wrk's latency percentiles. The ceiling: ``pgbench`` with the same number of clients for the
same time, each transaction one ``INSERT`` of an entry row (same columns,
``gen_random_uuid()``), i.e. what PostgreSQL itself can take one row per transaction on this
machine. Rows are counted before and after both, and deleted after."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shoumen.core.benchmarks import Result

from ..entries.models import Entry
from .server import (
    BenchDevice,
    CpuMeter,
    ServerConfig,
    backend_cpu,
    clean_up,
    database_uri,
    entries_of,
    pass_texts,
    register_bench_device,
    web_server,
)

TARGET_RATE = 1500  # entries/s
TARGET_P99 = 0.050  # s
# Configurations tried by --sweep on a small machine (workers, threads).
SWEEP = ((2, 1), (2, 2), (2, 4), (3, 1), (3, 2), (4, 1), (4, 2), (6, 1))

# wrk's Lua: every request the next pass text and a new version-7 uuid as the checkpoint page
# makes them (time first: wrk's Lua has whole seconds, so a counter stands in for the
# milliseconds); done() prints one JSON line.
WRK_SCRIPT = r"""
local texts_file, checkpoint, token = %(texts)s, %(checkpoint)d, %(token)s
local texts, n, counter = {}, 0, 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  for line in io.lines(texts_file) do texts[#texts + 1] = line end
  math.randomseed(os.time() * 1000 + tid * 7919 + math.floor(os.clock() * 1e6))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Device " .. token
end

local function r16() return math.random(0, 65535) end

local function uuid7()
  local ms = os.time() * 1000 + n %% 1000
  local t = string.format("%%06x%%06x", math.floor(ms / 16777216), ms %% 16777216)
  return string.format("%%s-%%s-7%%03x-%%04x-%%04x%%04x%%04x", t:sub(1, 8), t:sub(9, 12),
    math.random(0, 4095), math.random(32768, 49151), r16(), r16(), r16())
end

function request()
  n = n + 1
  local text = texts[((n + tid * 104729) %% #texts) + 1]
  local body = '{"uuid":"' .. uuid7() .. '","checkpoint":' .. checkpoint ..
    ',"direction":"in","temperature":"36.5","qr_text":"' .. text .. '"}'
  return wrk.format(nil, "/api/gate/entries/", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%%d,"duration_us":%%d,"non2xx":%%d,"errors":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

PGBENCH_SCRIPT = """\\set person random(%(first)d, %(last)d)
INSERT INTO gate_entry (uuid, checkpoint_id, site_id, "at", direction, temperature, fever,
  person_id, method, resident_pass_id, guard_id, device_id, visit_reason, visiting, recorded_at)
VALUES (gen_random_uuid(), %(checkpoint)d, %(site)d, now(), 'in', 36.5, false,
  :person, 'pass', NULL, %(guard)d, %(device)d, '', '', now());
"""


@dataclass
class LoadResult:
    """Requests (or transactions) per second and latency percentiles, in seconds."""

    rate: float
    p50: float
    p99: float
    count: int
    errors: int = 0
    config: str = ""
    cpu: dict | None = None  # CPU seconds by "app", "db", "client" during the run

    def text(self) -> str:
        return (f"{self.rate:,.0f}/s, p50 {self.p50 * 1000:.1f} ms, p99 {self.p99 * 1000:.1f} ms")

    def cpu_text(self) -> str:
        """CPU milliseconds per request, by who spent them."""
        if not self.cpu or not self.count:
            return ""
        names = {"app": "app", "db": "PostgreSQL", "client": "client"}
        return "CPU per entry: " + ", ".join(
            f"{names[k]} {v / self.count * 1000:.2f} ms" for k, v in self.cpu.items())


def wrk_script(*, texts_path: str, checkpoint: int, token: str) -> str:
    return WRK_SCRIPT % {"texts": json.dumps(texts_path), "checkpoint": checkpoint,
                         "token": json.dumps(token)}


def parse_wrk(output: str) -> LoadResult:
    """The JSON line the script's done() prints."""
    match = re.search(r"^WRK_JSON (\{.*\})$", output, re.M)
    if match is None:
        raise SystemExit(f"wrk printed no summary:\n{output[-2000:]}")
    data = json.loads(match.group(1))
    return LoadResult(rate=data["requests"] / (data["duration_us"] / 1e6), p50=data["p50_us"] / 1e6,
                      p99=data["p99_us"] / 1e6, count=data["requests"],
                      errors=data["non2xx"] + data["errors"])


def pgbench_script(bench: BenchDevice, person_range: tuple[int, int]) -> str:
    checkpoint = bench.checkpoint
    return PGBENCH_SCRIPT % {"first": person_range[0], "last": person_range[1],
                             "checkpoint": checkpoint.pk, "site": checkpoint.site_id,
                             "guard": bench.device.registered_by_id, "device": bench.device.pk}


def parse_pgbench(output: str, log_lines) -> LoadResult:
    """pgbench's tps line, and latency percentiles from its per-transaction log (``-l``:
    client, transaction, latency µs, ...)."""
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if match is None:
        raise SystemExit(f"pgbench printed no tps:\n{output[-2000:]}")
    latencies = sorted(int(line.split()[2]) for line in log_lines if line.strip())
    failed = re.search(r"number of failed transactions: (\d+)", output)
    return LoadResult(rate=float(match.group(1)), p50=_pct(latencies, 50) / 1e6,
                      p99=_pct(latencies, 99) / 1e6, count=len(latencies),
                      errors=int(failed.group(1)) if failed else 0)


def _pct(values: list[int], pct: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, round(pct / 100 * (len(values) - 1)))]


def _require(tool: str, hint: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise SystemExit(f"{tool} is not installed: {hint}")
    return found


def run_wrk(url: str, script: Path, *, clients: int, seconds: int, threads: int = 2) -> LoadResult:
    """Drive ``url`` with wrk; the result's ``cpu["client"]`` is wrk's own CPU time."""
    wrk = _require("wrk", "apt-get install -y wrk (make bench installs it)")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([wrk, f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s",
                           "-s", str(script), url], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = parse_wrk(done.stdout)
    result.cpu = {"client": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)}
    return result


def run_pgbench(script: Path, *, clients: int, seconds: int, workdir: Path) -> LoadResult:
    """Run pgbench; the result's ``cpu`` has its backends' ("db") and its own ("client")
    CPU seconds, the backends' read just before the end and scaled to the whole run."""
    pgbench = _require("pgbench", "apt-get install -y postgresql-client")
    prefix = workdir / "pgbench_log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen([pgbench, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
                                "-f", str(script), "-l", "--log-prefix", str(prefix),
                                database_uri()], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=workdir)
    time.sleep(max(1.0, seconds - 1.0))
    db_cpu = backend_cpu(application_name="pgbench") * seconds / max(1.0, seconds - 1.0)
    stdout, stderr = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{stdout}\n{stderr}")
    lines = []
    for log in workdir.glob("pgbench_log*"):
        lines += log.read_text().splitlines()
        log.unlink()
    result = parse_pgbench(stdout, lines)
    result.cpu = {"db": db_cpu, "client": (after.ru_utime - before.ru_utime)
                  + (after.ru_stime - before.ru_stime)}
    return result


def _person_range() -> tuple[int, int]:
    """A range of person ids that all exist (pgbench picks one at random per insert)."""
    from django.db.models import Max, Min

    from shoumen.people.models import Person

    span = Person.objects.aggregate(first=Min("pk"), last=Max("pk"))
    if Person.objects.count() == span["last"] - span["first"] + 1:
        return span["first"], span["last"]
    return span["first"], span["first"]


def write_wrk_files(workdir: Path, bench: BenchDevice, texts: list[str]) -> Path:
    """The pass texts (one a line) and the wrk script reading them; returns the script."""
    texts_path = workdir / "texts.txt"
    texts_path.write_text("\n".join(texts) + "\n")
    script = workdir / "register.lua"
    script.write_text(wrk_script(texts_path=str(texts_path), checkpoint=bench.checkpoint_id,
                                 token=bench.token))
    return script


def measure_http(bench: BenchDevice, config: ServerConfig, *, clients: int, seconds: int,
                 texts: list[str], workdir: Path, warmup: int = 5) -> LoadResult:
    """Serve with ``config``, warm up, then drive ``clients`` connections for ``seconds``."""
    script = write_wrk_files(workdir, bench, texts)
    with web_server(config) as server:
        if warmup:
            run_wrk(server.url, script, clients=clients, seconds=warmup)
        meter = CpuMeter(server.pid)
        meter.start()
        result = run_wrk(server.url, script, clients=clients, seconds=seconds)
        result.cpu = meter.stop() | result.cpu
    result.config = str(config)
    return result


def sweep(*, clients: int, seconds: int = 10) -> list[tuple[ServerConfig, LoadResult]]:
    """Try each SWEEP configuration briefly; returns them best first (throughput among those
    whose p99 meets the target, then the others)."""
    bench = register_bench_device()
    results = []
    try:
        texts = pass_texts(20_000)
        with tempfile.TemporaryDirectory() as tmp:
            for workers, threads in SWEEP:
                config = ServerConfig(workers, threads)
                result = measure_http(bench, config, clients=clients, seconds=seconds,
                                      texts=texts, workdir=Path(tmp), warmup=3)
                print(f"  {config}: {result.text()}, {result.errors} errors; {result.cpu_text()}",
                      flush=True)
                results.append((config, result))
    finally:
        clean_up(bench)
    return sorted(results, key=lambda r: (r[1].p99 >= TARGET_P99, -r[1].rate))


def run(*, config: ServerConfig, clients: int = 32, seconds: int = 30) -> Result:
    bench = register_bench_device()
    try:
        texts = pass_texts(20_000)
        before = Entry.objects.count()
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            http = measure_http(bench, config, clients=clients, seconds=seconds, texts=texts,
                                workdir=workdir)
            stored = entries_of(bench).count()
            script = workdir / "insert.sql"
            script.write_text(pgbench_script(bench, _person_range()))
            sql = run_pgbench(script, clients=clients, seconds=seconds, workdir=workdir)
            inserted = entries_of(bench).count() - stored
    finally:
        deleted = clean_up(bench)
    # Rows are counted by the run's device (pgbench writes its id too), so that another
    # process writing to the table meanwhile does not confuse the check. wrk counts the
    # requests answered in the measured window; the warm-up stored more.
    if http.errors or stored < http.count:
        raise SystemExit(f"HTTP run lost rows or failed: {http.errors} errors, {http.count} "
                         f"answered, {stored} stored")
    if inserted != sql.count:
        raise SystemExit(f"pgbench: {sql.count} transactions but {inserted} new rows")
    ratio = sql.rate / http.rate
    return Result(
        name=(f"Single-scan registration over HTTP, {clients} clients × {seconds} s, "
              f"{before:,} entries in the table ({config}; wrk; rows checked and "
              f"{deleted:,} deleted after; machine load {os.getloadavg()[0]:.1f})"),
        figure=f"{http.text()}; {http.cpu_text()}",
        ceiling=(f"pgbench single-row INSERT, same clients and time: {sql.text()}; "
                 f"{sql.cpu_text()}"),
        ratio=ratio,
        target=f"≥ {TARGET_RATE:,}/s, p99 < {TARGET_P99 * 1000:.0f} ms",
        met=http.rate >= TARGET_RATE and http.p99 < TARGET_P99,
    )
