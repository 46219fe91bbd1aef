"""An offline phone's batch of 5,000 entries survives the server's workers being killed in the
middle of it: the real server (granian, as ``shoumen serve`` runs it), its worker SIGKILLed
a quarter, half and three quarters of the way through the request (as long as an uncut batch
takes on this machine: a fixed delay lands after the commit on a fast one), stores all of the
batch or none of it; the workers
are back within seconds; the same batch sent again stores every entry once, and a third
time stores nothing. On the suite's own database engine (a scratch database on PostgreSQL).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

import pytest

from shoumen.core.management.commands.serve import web_command

# The entries' times are checked by the server against its own (the machine's) clock.
pytestmark = pytest.mark.own_clock

BATCH = 5000
SETUP = """
import json, django
django.setup()
from datetime import date
from django.core.management import call_command
call_command("migrate", verbosity=0)
from shoumen.gate.checkpoints import services
from shoumen.people import fake
from tests import factories
world = factories.World()
guard = factories.user("guard_k", "checkpoint_guard", world.community_a)
gate = factories.checkpoint(world.community_a, guards=[guard])
people = [factories.person(world.worker_a, world.grid_a1, f"居民{i}") for i in range(50)]
device, token = services.register_device(gate, actor=guard, name="phone")
print(json.dumps({"token": token, "checkpoint": gate.pk, "people": [p.pk for p in people]}))
"""
COUNT = """
import django
django.setup()
from shoumen.gate.entries.models import Entry
print(Entry.objects.count())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_env(tmp_path):
    env = {**os.environ, "SHOUMEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE":
           "shoumen.settings", "SHOUMEN_PLAIN_STATIC": "1", "PYTHONPATH": os.getcwd()}
    url = os.environ.get("DATABASE_URL", "")
    scratch = None
    if url.startswith("postgres"):
        scratch = f"shoumen_killed_{os.getpid()}"
        base = url.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{scratch}"
        _psql(base, f"DROP DATABASE IF EXISTS {scratch}")
        _psql(base, f"CREATE DATABASE {scratch}")
    else:
        env.pop("DATABASE_URL", None)
    yield env
    if scratch:
        _psql(url.rsplit("/", 1)[0], f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


def _psql(base_url: str, sql: str) -> None:
    subprocess.run(["psql", f"{base_url}/postgres", "-qc", sql], check=True, capture_output=True)


def _python(env, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _healthy(port: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def _post_batch(port: int, token: str, body: bytes, result: dict) -> None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/api/gate/entries/batch/", body=body, headers={
            "Authorization": f"Device {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        result["status"], result["body"] = response.status, json.loads(response.read())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        result["error"] = exc  # the worker died under it: the phone keeps the batch


def _workers(server_pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(server_pid)], capture_output=True, text=True)
    return [int(pid) for pid in children.stdout.split()]


def test_a_batch_is_all_or_nothing_when_workers_are_killed_under_it(server_env):
    from django.utils import timezone

    setup = json.loads(_python(server_env, SETUP))
    now = timezone.now()

    def batch() -> bytes:
        return json.dumps({"entries": [
            {"uuid": str(uuid.uuid4()), "checkpoint": setup["checkpoint"],
             "direction": "in" if i % 2 else "out", "temperature": "36.5",
             "person": setup["people"][i % len(setup["people"])],
             "at": (now - timedelta(minutes=BATCH - i)).isoformat()} for i in range(BATCH)]}).encode()

    body = batch()
    port = _free_port()
    server = subprocess.Popen(web_command(host="127.0.0.1", port=port, workers=1, threads=1,
                                          access_log=False), env=server_env)
    try:
        assert _healthy(port, within=60), "the server did not start"
        timed = {}
        started = time.monotonic()
        _post_batch(port, setup["token"], batch(), timed)  # an uncut batch: how long it takes
        took = time.monotonic() - started
        assert timed["body"]["counts"]["stored"] == BATCH
        base = BATCH  # its entries; the batch under test comes on top
        cut_short = 0  # kills that landed before the batch was stored
        for delay in (took / 4, took / 2, took * 3 / 4):
            result = {}
            sender = threading.Thread(target=_post_batch, args=(port, setup["token"], body, result))
            sender.start()
            time.sleep(delay)
            for pid in _workers(server.pid):
                os.kill(pid, signal.SIGKILL)
            sender.join(timeout=120)
            stored = int(_python(server_env, COUNT)) - base
            assert stored in (0, BATCH), f"{stored} of {BATCH} entries after a kill at {delay} s"
            cut_short += stored == 0 and "error" in result
            assert _healthy(port, within=10), "the worker did not come back"
            # granian takes a second death of a worker within 5.5 s of its respawn for a crash
            # loop and exits (a supervisor restarts it then): kills further apart than that.
            time.sleep(6)
        assert cut_short, "every batch was stored before its kill: the test proved nothing"
        first = {}
        _post_batch(port, setup["token"], body, first)
        counts = first["body"]["counts"]
        assert counts["stored"] + counts["duplicate"] == BATCH and counts["invalid"] == 0
        assert int(_python(server_env, COUNT)) == base + BATCH  # every entry once
        again = {}
        _post_batch(port, setup["token"], body, again)
        assert again["body"]["counts"] == {"stored": 0, "duplicate": BATCH, "refused": 0,
                                           "invalid": 0}
        assert int(_python(server_env, COUNT)) == base + BATCH
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
