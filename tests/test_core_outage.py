"""While the database cannot be reached, every API endpoint answers 503 in JSON with a message
and Retry-After, pages answer a 503 page that says to try again shortly, /healthz says
"database unavailable" without the driver's text — and once the database is back, all of it
works again by itself."""

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.test import Client

from shoumen.gate.checkpoints import services
from shoumen.gate.entries.fastlane import GateFastLane
from shoumen.gate.passes import services as passes
from tests import factories
from tests.test_gate_fastlane import call

DRIVER_TEXT = 'connection to server at "10.9.9.9", port 5432 failed: Connection refused'


@contextmanager
def database_down():
    """Every statement fails as with a lost server; the connection itself is left alone."""
    def refuse(execute, sql, params, many, context):
        raise OperationalError(DRIVER_TEXT)

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def clients(world):
    staff = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(world.worker_a)
    return staff


@pytest.mark.parametrize("method, url", [
    ("get", "/api/people/persons/"), ("get", "/api/gate/keys/"), ("post", "/api/gate/entries/"),
    ("get", "/api/ledgers/imports/"), ("post", "/api/auth/token/"),
])
def test_the_api_answers_503_in_json(clients, method, url):
    with database_down():
        response = getattr(clients, method)(url, {}, content_type="application/json")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["code"] == "database_unavailable" and "try again in a minute" in body["detail"]
    assert "10.9.9.9" not in response.content.decode()


def test_a_page_answers_a_503_page_in_the_users_language(world):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.worker_a)
    with database_down():
        response = client.get("/people/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert "<html" in page and "请稍后再试" in page and "10.9.9.9" not in page


def test_healthz_says_unavailable_and_logs_why(db, caplog):
    with database_down():
        response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert DRIVER_TEXT in caplog.text


def test_the_fast_lane_hands_an_outage_to_django_which_answers_503(world):
    guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    gate = factories.checkpoint(world.community_a, guards=[guard])
    pass_ = passes.issue_pass(factories.person(world.worker_a, world.grid_a1), actor=world.worker_a)
    _device, token = services.register_device(gate, actor=guard, name="phone")
    body = {"uuid": str(uuid.uuid4()), "checkpoint": gate.pk, "direction": "in",
            "temperature": "36.5", "qr_text": pass_.qr_text}
    with database_down():
        status, payload = call(GateFastLane(WSGIHandler()), body, token=token)
    assert status == 503 and json.loads(payload)["code"] == "database_unavailable"
    status, payload = call(GateFastLane(WSGIHandler()), body, token=token)  # back: stored
    assert status == 201


def test_everything_works_again_when_the_database_is_back(clients):
    with database_down():
        assert clients.get("/api/people/persons/").status_code == 503
        assert clients.get("/people/").status_code == 503
    assert clients.get("/api/people/persons/").status_code == 200
    assert clients.get("/people/").status_code == 200
    assert Client().get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_other_server_errors_stay_500_and_are_json_under_the_api(clients, monkeypatch):
    from shoumen.people.api import views

    monkeypatch.setattr(views.PersonViewSet, "list", lambda self, request: 1 / 0)
    response = clients.get("/api/people/persons/")
    assert response.status_code == 500 and response.json()["code"] == "server_error"


# A real outage: a server that is not there (PostgreSQL) or a database file that cannot be
# opened (SQLite), in a process of its own, through the whole stack.
REQUESTS = """
import json, django
django.setup()
from django.test import Client
c = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
c.cookies["sessionid"] = "a-signed-in-user"  # the session is looked up
out = {}
for url in ["/api/gate/keys/", "/api/people/persons/", "/people/", "/healthz"]:
    r = c.get(url, HTTP_AUTHORIZATION="Token 0123456789abcdef")  # a token is looked up
    out[url] = [r.status_code, r.get("Content-Type"), r.get("Retry-After"), r.content.decode()]
print(json.dumps(out))
"""


@pytest.mark.parametrize("url", ["postgres://postgres@127.0.0.1:1/shoumen",
                                 "sqlite:////nonexistent-dir/shoumen.sqlite3"])
def test_an_unreachable_database_answers_503_through_the_whole_stack(url, tmp_path):
    env = {**os.environ, "DATABASE_URL": url, "SHOUMEN_VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "shoumen.settings", "SHOUMEN_PLAIN_STATIC": "1"}
    done = subprocess.run([sys.executable, "-c", REQUESTS], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    for url_, (status, content_type, retry, body) in answers.items():
        assert status == 503 and retry == "30", (url_, status, body[:300])
        if url_.startswith("/api/") or url_ == "/healthz":
            assert content_type == "application/json"
        else:
            assert "Try again shortly" in body
        assert "127.0.0.1:1" not in body and "nonexistent" not in body
