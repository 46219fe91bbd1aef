"""The gate benchmarks' helpers, at tiny sizes: the entry model behind the demo data, the wrk
and pgbench scripts and the parsing of their output, the batch client and the contact cases.
The benchmarks themselves run in `make bench`, never in tests."""

import json
import random
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from shoumen.gate.bench import batch as gate_batch
from shoumen.gate.bench import contacts as gate_contacts
from shoumen.gate.bench import scan as gate_scan
from shoumen.gate.bench.server import (
    RESERVED_PORTS,
    BenchDevice,
    ServerConfig,
    clean_up,
    free_port,
    pass_texts,
    server_command,
)
from shoumen.gate.checkpoints import services
from shoumen.gate.demo import movements
from shoumen.gate.demo.movements import AT, CHECKPOINT, PERSON, SITE, Checkpoints, Walker
from shoumen.gate.entries.models import Entry
from shoumen.gate.entries.services import register_batch
from shoumen.gate.passes import services as passes
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 3, 2, 15, 0, tzinfo=TZ)  # a Monday afternoon
START = END - timedelta(days=14)


def _town(people=300):
    """Two communities with two gates each, the second with a compound (grid 3) of its own
    gate and a market; one office building with two lobbies."""
    where = Checkpoints(gates={1: [11, 12], 2: [21, 22], 3: [31]}, venues={2: [41]},
                        lobbies={100: [101, 102]}, building_district={100: 9},
                        site={11: 11, 12: 12, 21: 21, 22: 22, 31: 31, 41: 41, 101: 100,
                              102: 100},
                        guard={11: 7})
    walkers = [Walker(person=i, home=3 if i % 4 == 3 else 1 + i % 2, community=1 + i % 2,
                      district=9, age=18 + i % 60, pass_id=1000 + i if i % 10 else None)
               for i in range(people)]
    return walkers, where


def _rows(seed=1, **kwargs):
    walkers, where = _town()
    return [r for day in movements.generate_entries(seed, walkers, where, start=START, end=END,
                                                    **kwargs) for r in day]


# --- the movement model ------------------------------------------------------------------------

def test_entries_are_deterministic_and_sorted_and_in_the_period():
    rows = _rows()
    assert rows == _rows()
    assert rows != _rows(seed=2)
    assert all(START < r[AT] <= END for r in rows)
    days = {}
    for r in rows:
        days.setdefault(r[AT].date(), []).append(r[AT])
    assert all(times == sorted(times) for times in days.values())
    assert len({r[0] for r in rows}) == len(rows)  # uuids
    assert all(r[0].version == 7 for r in rows[:100])  # time-ordered, as the page makes them
    assert all(r[0].int >> 80 == int(r[AT].timestamp() * 1000) for r in rows[:100])


def test_people_go_out_and_come_back_through_their_own_gates():
    walkers, where = _town()
    rows = _rows()
    lobbies = {101, 102}
    by_person = {}
    for r in rows:
        by_person.setdefault(r[PERSON], []).append(r)
    habitual = 0
    for person, trace in by_person.items():
        walker = walkers[person]
        mine = set(where.gates[walker.community]) | set(where.gates.get(walker.home, []))
        for r in trace:
            assert r[SITE] == where.site[r[CHECKPOINT]]
            if r[CHECKPOINT] not in lobbies:
                assert r[CHECKPOINT] in mine | set(where.venues.get(walker.community, []))
        if walker.home == 3:  # the compound's own gate is the habitual one
            habitual += sum(r[CHECKPOINT] == 31 for r in trace)
        local = [r for r in trace if r[CHECKPOINT] not in lobbies]
        # Closed loop: out, (market in, out,) in... (the period may cut either end).
        directions = [r[4] for r in local]
        assert all(a != b for a, b in zip(directions, directions[1:], strict=False)), person
    compound = sum(len(t) for p, t in by_person.items() if walkers[p].home == 3)
    assert habitual > 0.5 * compound
    # Community 2's people pass its market now and then; community 1 has none.
    market = {r[PERSON] for r in rows if r[CHECKPOINT] == 41}
    assert market and all(walkers[p].community == 2 for p in market)


def test_commuters_enter_lobbies_in_the_morning_and_leave_in_the_evening():
    rows = _rows()
    lobby = [r for r in rows if r[CHECKPOINT] in (101, 102)]
    assert lobby
    ins = [r[AT].hour for r in lobby if r[4] == "in"]
    outs = [r[AT].hour for r in lobby if r[4] == "out"]
    assert sum(7 <= h <= 9 for h in ins) > 0.6 * len(ins)
    assert sum(17 <= h <= 21 for h in outs) > 0.5 * len(outs)
    # The main lobby carries most of them.
    assert sum(r[CHECKPOINT] == 101 for r in lobby) > 0.7 * len(lobby)


def test_temperatures_fevers_methods_and_guards():
    rows = _rows(fever_rate=0.01)
    temps = [r[5] for r in rows]
    normal = [t for t, r in zip(temps, rows, strict=True) if not r[6]]
    assert min(normal) >= 36 and max(normal) <= 37
    fevers = [r for r in rows if r[6]]
    assert 0.005 * len(rows) < len(fevers) < 0.02 * len(rows)
    assert all(r[5] >= movements.Decimal("37.3") for r in fevers)
    methods = {r[8] for r in rows}
    assert methods == {"pass", "lookup"}
    assert all((r[8] == "pass") == (r[9] is not None) for r in rows)
    assert all(r[9] is None for r in rows if r[PERSON] % 10 == 0)  # no pass: looked up
    assert {r[10] for r in rows if r[CHECKPOINT] == 11} == {7}


def test_a_target_sets_the_volume():
    walkers, where = _town(600)
    for target in (3_000, 20_000):
        rows = [r for day in movements.generate_entries(3, walkers, where, start=START, end=END,
                                                        target=target) for r in day]
        assert 0.8 * target < len(rows) < 1.2 * target


def test_passages_first_degree_matches_brute_force():
    rows = _rows()
    window = timedelta(minutes=30)
    index = movements.Passages(rows)
    for person in random.Random(5).sample(sorted(index.by_person), 15):
        expected = {b[PERSON] for a in rows if a[PERSON] == person for b in rows
                    if b[SITE] == a[SITE] and abs(b[AT] - a[AT]) <= window} - {person}
        assert index.first_degree(person, window) == expected


# --- scripts and their output ------------------------------------------------------------------

WRK_OUTPUT = """Running 30s test @ http://127.0.0.1:1234
  2 threads and 32 connections
WRK_JSON {"requests":60000,"duration_us":30000000,"non2xx":0,"errors":3,"p50_us":12000,\
"p90_us":20000,"p99_us":41000,"max_us":90000}
"""


def test_parse_wrk_reads_the_summary_line():
    result = gate_scan.parse_wrk(WRK_OUTPUT)
    assert (result.rate, result.p50, result.p99, result.count, result.errors) == (
        2000, 0.012, 0.041, 60000, 3)
    with pytest.raises(SystemExit):
        gate_scan.parse_wrk("no summary")


def test_parse_pgbench_reads_tps_and_latencies_from_the_log():
    output = ("number of transactions actually processed: 100\n"
              "number of failed transactions: 0 (0.000%)\n"
              "tps = 3333.5 (without initial connection time)\n")
    log = [f"0 {i} {1000 * (i + 1)} 0 1700000000 0" for i in range(100)]
    result = gate_scan.parse_pgbench(output, log)
    assert result.rate == 3333.5 and result.count == 100 and result.errors == 0
    assert result.p50 == pytest.approx(0.0505, abs=0.001) and result.p99 == pytest.approx(0.099, abs=0.001)


def test_wrk_script_carries_token_checkpoint_and_texts_path():
    script = gate_scan.wrk_script(texts_path="/tmp/t x.txt", checkpoint=42, token="smd_abc")
    assert '"/tmp/t x.txt", 42, "smd_abc"' in script
    assert "/api/gate/entries/" in script and "WRK_JSON" in script


def test_free_port_and_server_command():
    for _ in range(20):
        assert free_port() not in RESERVED_PORTS
    command = server_command(ServerConfig(3, 2), 5555)
    assert "shoumen.wsgi:application" in command and "granian" in command
    assert command[command.index("--port") + 1] == "5555"
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--blocking-threads") + 1] == "2"
    assert "--no-access-log" in command


# --- against a real server and database --------------------------------------------------------

@pytest.fixture
def gate_site(world):
    """A gate with a guard, a registered device and passes for a few residents."""
    guard = factories.user("guard_b", "checkpoint_guard", world.community_a)
    checkpoint = factories.checkpoint(world.community_a, guards=[guard])
    people = [factories.person(world.worker_a, world.grid_a1, f"王{n}",
                               birth=datetime(1980, 1, 1 + n).date()) for n in range(4)]
    for person in people:
        passes.issue_pass(person, actor=world.worker_a)
    device, token = services.register_device(checkpoint, actor=guard, name="bench")
    world.bench = BenchDevice(device=device, token=token, checkpoint=checkpoint,
                              started=timezone.now())
    world.people = people
    return world


@pytest.mark.django_db
def test_batch_items_are_valid_registrations(gate_site):
    texts = pass_texts(10)
    assert len(texts) == 4
    items = gate_batch.batch_items(texts, checkpoint=gate_site.bench.checkpoint_id, count=30)
    assert len({i["uuid"] for i in items}) == 30
    results = register_batch(items, actor=gate_site.bench.device.registered_by,
                             device=gate_site.bench.device,
                             allowed_checkpoints=type(gate_site.bench.checkpoint).objects.all())
    assert [r.status for r in results] == ["stored"] * 30
    # The ceiling's rows are what the server stored, with new uuids.
    rows = gate_batch.copy_rows(gate_site.bench, items)
    stored = {(e.person_id, e.resident_pass_id, e.direction) for e in Entry.objects.all()}
    assert {(r[PERSON], r[9], r[4]) for r in rows} == stored
    gate_batch.copy_in_batches(rows, 7)
    assert Entry.objects.count() == 60
    assert clean_up(gate_site.bench) == 60
    assert not Entry.objects.exists()
    gate_site.bench.device.refresh_from_db()
    assert gate_site.bench.device.revoked_at is not None


@pytest.mark.django_db(transaction=True)
def test_batch_client_uploads_through_http(gate_site, live_server):
    texts = pass_texts(10)
    items = gate_batch.batch_items(texts, checkpoint=gate_site.bench.checkpoint_id, count=25)
    bodies = [json.dumps({"entries": items[i:i + 10]}).encode() for i in range(0, 25, 10)]
    # SQLite's in-memory test database is one connection shared by the server's threads.
    clients = 2 if connection.vendor == "postgresql" else 1
    seconds, answers = gate_batch.upload(live_server.url, gate_site.bench.token, bodies, clients)
    assert sum(a["counts"]["stored"] for a in answers) == 25
    assert Entry.objects.count() == 25


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_script_registers_distinct_entries(gate_site, live_server, tmp_path):
    script = gate_scan.write_wrk_files(tmp_path, gate_site.bench, pass_texts(10))
    clients = 2 if connection.vendor == "postgresql" else 1  # see the batch test
    result = gate_scan.run_wrk(live_server.url, script, clients=clients, seconds=1, threads=1)
    assert result.count > 0 and result.errors == 0
    entries = Entry.objects.filter(device=gate_site.bench.device)
    assert entries.count() >= result.count
    assert entries.values("uuid").distinct().count() == entries.count()
    assert set(entries.values_list("person_id", flat=True)) <= {p.pk for p in gate_site.people}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("pgbench") is None, reason="pgbench is not installed")
def test_pgbench_script_inserts_one_entry_per_transaction(gate_site, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pgbench is PostgreSQL's")
    person = gate_site.people[0].pk
    script = tmp_path / "insert.sql"
    script.write_text(gate_scan.pgbench_script(gate_site.bench, (person, person)))
    result = gate_scan.run_pgbench(script, clients=2, seconds=1, workdir=tmp_path)
    assert result.count > 0 and result.errors == 0
    rows = Entry.objects.filter(device=gate_site.bench.device)
    assert rows.count() == result.count
    assert set(rows.values_list("person_id", "checkpoint_id", "site_id").distinct()) == {
        (person, gate_site.bench.checkpoint_id, gate_site.bench.checkpoint.site_id)}
    assert not list(Path(tmp_path).glob("pgbench_log*"))


@pytest.mark.django_db
def test_contact_cases_have_exactly_twenty_entries(gate_site):
    now = timezone.now()
    checkpoint = gate_site.bench.checkpoint
    for n, person in zip((20, 20, 19, 21), gate_site.people, strict=True):
        Entry.objects.bulk_create([
            Entry(uuid=uuid.uuid4(), checkpoint=checkpoint, site_id=checkpoint.site_id,
                  at=now - timedelta(hours=i + 1), direction="in", temperature="36.5",
                  person=person, method="lookup") for i in range(n)])
    cases = gate_contacts.pick_cases(5, until=now)
    assert {c.pk for c in cases} == {p.pk for p in gate_site.people[:2]}
