"""The WSGI fast lane answers the common scan exactly as the API view does, and hands every
other request to Django untouched."""

import io
import json
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client

from shoumen.core.models import AuditEvent
from shoumen.gate.alerts.models import FeverAlert
from shoumen.gate.checkpoints import services
from shoumen.gate.entries.fastlane import GateFastLane
from shoumen.gate.entries.models import Entry
from shoumen.gate.passes import services as passes
from tests import factories


class Recorder:
    """Stands in for Django, counting what the lane passed on (and the body it got)."""

    def __init__(self):
        self.calls = []

    def __call__(self, environ, start_response):
        self.calls.append(environ["wsgi.input"].read())
        start_response("418 I'm a teapot", [])
        return [b"django"]




@pytest.fixture
def lane(world):
    world.guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    world.gate_a = factories.checkpoint(world.community_a, guards=[world.guard])
    world.gate_b = factories.checkpoint(world.community_b, "乙东门")
    world.resident = factories.person(world.worker_a, world.grid_a1, "李四")
    world.pass_ = passes.issue_pass(world.resident, actor=world.worker_a)
    world.device, world.token = services.register_device(world.gate_a, actor=world.guard,
                                                         name="phone")
    world.django = Recorder()
    world.app = GateFastLane(world.django)
    return world


def answer(app, body, *, token, path="/api/gate/entries/", host="testserver", lang="en"):
    """(status, headers, body) of one POST through the WSGI ``app``, as a server sends it.

    The lane sends request_started/finished like a handler; as Django's test client does,
    the connection that holds the test's transaction is kept from being closed by them (on
    PostgreSQL that would break the transaction). The client reconnects its handler after
    each request, so this is done per call."""
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "HTTP_HOST": host,
               "SERVER_NAME": host, "SERVER_PORT": "80", "wsgi.url_scheme": "http",
               "CONTENT_LENGTH": str(len(raw)), "CONTENT_TYPE": "application/json",
               "HTTP_AUTHORIZATION": f"Device {token}", "HTTP_ACCEPT_LANGUAGE": lang,
               "REMOTE_ADDR": "10.0.0.9", "wsgi.input": io.BytesIO(raw), "wsgi.errors": io.StringIO()}
    got = {}

    def start_response(status, headers):
        got["status"], got["headers"] = int(status.split()[0]), dict(headers)

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        payload = b"".join(app(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return got["status"], got["headers"], payload


def call(app, body, **kwargs):
    """(status, body) of :func:`answer`."""
    status, _headers, payload = answer(app, body, **kwargs)
    return status, payload


def scan(lane, **extra):
    return {"uuid": str(uuid.uuid4()), "checkpoint": lane.gate_a.pk, "direction": "in",
            "temperature": "36.5", "qr_text": lane.pass_.qr_text, **extra}


def test_lane_stores_a_scan_and_answers_like_the_view(lane):
    status, payload = call(lane.app, scan(lane), token=lane.token)
    assert status == 201 and not lane.django.calls
    lane_body = json.loads(payload)
    view = Client(HTTP_AUTHORIZATION=f"Device {lane.token}", HTTP_ACCEPT_LANGUAGE="en")
    response = view.post("/api/gate/entries/", scan(lane), content_type="application/json")
    view_body = response.json()
    assert response.status_code == 201
    for body in (lane_body, view_body):
        body["entry"].pop("id"), body["entry"].pop("uuid"), body["entry"].pop("at")
    assert lane_body == view_body
    assert Entry.objects.filter(device=lane.device, guard=lane.guard).count() == 2


def test_lane_answers_retries_and_refusals_itself(lane):
    body = scan(lane)
    call(lane.app, body, token=lane.token)
    status, payload = call(lane.app, body, token=lane.token)
    assert (status, json.loads(payload)["status"]) == (200, "duplicate")
    passes.revoke_pass(lane.pass_, actor=lane.worker_a, reason="遗失")
    status, payload = call(lane.app, scan(lane), token=lane.token, lang="zh-hans")
    refused = json.loads(payload)
    assert status == 200 and refused["reason"] == "revoked" and refused["message"] == "出入证已吊销"
    assert not lane.django.calls and Entry.objects.count() == 1


def test_fever_through_the_lane_is_audited_as_the_guard(lane):
    status, payload = call(lane.app, scan(lane, temperature="38.1"), token=lane.token)
    assert status == 201 and json.loads(payload)["entry"]["fever"]
    alert = FeverAlert.objects.get()
    event = AuditEvent.objects.get(content_type=ContentType.objects.get_for_model(FeverAlert),
                                   object_id=str(alert.pk), action="create")
    assert event.actor == lane.guard and event.ip == "10.0.0.9"


@pytest.mark.parametrize("change", [
    {"temperature": "50"},                      # bad input: the view reports it by field
    {"checkpoint": "not a number"},
    {"person": 1, "qr_text": None},             # a look-up, not a scan
    {"visitor": {"name": "王五"}},
])
def test_anything_unusual_goes_to_django_with_its_body(lane, change):
    body = {**scan(lane), **change}
    body = {k: v for k, v in body.items() if v is not None}
    status, payload = call(lane.app, body, token=lane.token)
    assert (status, payload) == (418, b"django")
    assert json.loads(lane.django.calls[0]) == body
    assert not Entry.objects.exists()


def test_other_checkpoint_revoked_token_and_foreign_host_go_to_django(lane):
    assert call(lane.app, scan(lane, checkpoint=lane.gate_b.pk), token=lane.token)[0] == 418
    assert call(lane.app, scan(lane), token=lane.token, host="evil.example")[0] == 418
    services.revoke_device(lane.device, actor=lane.worker_a)
    assert call(lane.app, scan(lane), token=lane.token)[0] == 418
    assert call(lane.app, scan(lane), token=lane.token, path="/api/gate/entries/batch/")[0] == 418
    assert len(lane.django.calls) == 4 and not Entry.objects.exists()


def test_the_wsgi_application_is_wrapped(lane):
    from shoumen.wsgi import application

    assert isinstance(application, GateFastLane) and isinstance(application.app, WSGIHandler)


def test_the_common_scan_is_one_statement_on_postgresql(lane):
    """Token, pass and insert together; a revoked token in the same statement stores
    nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        status, _ = call(lane.app, scan(lane), token=lane.token)
    assert status == 201
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(statements) == 1 and "gate_checkpointdevice" in statements[0]
    services.revoke_device(lane.device, actor=lane.worker_a)
    assert call(lane.app, scan(lane), token=lane.token)[0] == 418
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("checkpoint", [2**70, 0, -5])
def test_a_checkpoint_id_no_database_could_hold_goes_to_django(lane, checkpoint):
    assert call(lane.app, scan(lane, checkpoint=checkpoint), token=lane.token)[0] == 418
    view = Client(HTTP_AUTHORIZATION=f"Device {lane.token}", HTTP_ACCEPT_LANGUAGE="en")
    response = view.post("/api/gate/entries/", scan(lane, checkpoint=checkpoint),
                         content_type="application/json")
    assert response.status_code in (400, 403) and not Entry.objects.exists()
