"""The device-facing gate API (/api/gate/…): keys, offline lists, context, scan check, look-up,
single and batch registration, devices — and that a device token opens its own checkpoint
and nothing else."""

import base64
import uuid
import zlib
from datetime import date, timedelta

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoumen.credentials import keys
from shoumen.gate.alerts.models import FeverAlert
from shoumen.gate.checkpoints import auth, services
from shoumen.gate.checkpoints.models import CheckpointDevice
from shoumen.gate.entries.models import Entry, Refusal
from shoumen.gate.passes import cose
from shoumen.gate.passes import services as passes
from shoumen.gate.passes.models import ResidentPass
from shoumen.people import fake
from shoumen.people.models import Person, PersonStatus
from shoumen.people.services import change_status
from tests import factories
from tests.factories import force_update

KEYS = "/api/gate/keys/"
LISTS = "/api/gate/offline-lists/"
SCAN = "/api/gate/scan/"
LOOKUP = "/api/gate/lookup/"
ENTRIES = "/api/gate/entries/"
BATCH = "/api/gate/entries/batch/"
DEVICES = "/api/gate/devices/"


def context_url(checkpoint):
    return f"/api/gate/checkpoints/{checkpoint.pk}/context/"


def api(user=None) -> APIClient:
    """A client asking for English, signed in by token if a user is given."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def device_api(token: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


@pytest.fixture(autouse=True)
def _forget_last_seen():
    auth._last_seen_written.clear()


@pytest.fixture
def gate(world):
    world.guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    world.gate_a = factories.checkpoint(world.community_a, "甲社区东门", guards=[world.guard])
    world.gate_b = factories.checkpoint(world.community_b, "乙社区北门")
    world.resident = factories.person(world.worker_a, world.grid_a1, "李四", phone="13812345678")
    world.pass_ = passes.issue_pass(world.resident, actor=world.worker_a)
    world.device, world.token = services.register_device(world.gate_a, actor=world.guard,
                                                         name="东门手机")
    world.phone = device_api(world.token)
    return world


def body(gate, **fields):
    data = {"uuid": str(uuid.uuid4()), "checkpoint": gate.gate_a.pk, "direction": "in",
            "temperature": "36.5", "qr_text": gate.pass_.qr_text}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def nothing_stored():
    return not Entry.objects.exists() and not Refusal.objects.exists()


# --- Keys and lists --------------------------------------------------------------------------

def test_keys_are_public_and_verify_a_pass(gate):
    # A broken credential does not matter on a public endpoint.
    for client in (api(), device_api("smd_not-a-token")):
        r = client.get(KEYS)
        assert r.status_code == 200
    [key] = r.json()
    der = base64.b64decode(key["public_key"])
    public = serialization.load_der_public_key(der)
    assert key["alg"] == "ES256" and key["retired_at"] is None
    assert key["kid"] == cose.kid_text(cose.kid_of(der)) == keys.signing_key().kid
    claims = cose.verify(gate.pass_.qr_text, {key["kid"]: public})
    assert claims.number == gate.pass_.number


def test_keys_keep_a_recently_retired_key(gate):
    old = keys.signing_key()
    keys.rotate()
    listed = {k["kid"]: k for k in api().get(KEYS).json()}
    assert old.kid in listed and listed[old.kid]["retired_at"] is not None
    assert len(listed) == 2


def test_offline_lists_name_revoked_and_confined_passes(gate):
    confined = factories.person(gate.worker_a, gate.community_a, "王五")
    confined_pass = passes.issue_pass(confined, actor=gate.worker_a)
    change_status(confined, actor=gate.worker_a, status=PersonStatus.HOME_OBSERVATION,
                  reason="密接")
    passes.revoke_pass(gate.pass_, actor=gate.worker_a, reason="遗失")
    r = gate.phone.get(LISTS)
    assert r.status_code == 200
    data = r.json()
    assert data["revoked"] == [gate.pass_.number]
    assert data["confined"] == [confined_pass.number]
    assert data["generated_at"]
    assert api(gate.guard).get(LISTS).status_code == 200


def test_offline_lists_need_a_device_or_gate_register(gate):
    assert api().get(LISTS).status_code == 401
    assert api(gate.volunteer).get(LISTS).status_code == 403


# --- Checkpoint context ----------------------------------------------------------------------

def test_context_for_own_checkpoint(gate):
    r = gate.phone.get(context_url(gate.gate_a))
    assert r.status_code == 200
    data = r.json()
    assert data["checkpoint"] == {
        "id": gate.gate_a.pk, "name": "甲社区东门", "site_id": gate.gate_a.place_id,
        "jurisdiction": {"id": gate.community_a.pk, "name": "甲社区", "code": "370103001001"}}
    assert data["fever_threshold"] == 37.3 and data["temperature_range"] == [34.0, 43.0]
    assert data["retention_days"] == 28 and "36.5" in data["quick_temperatures"]
    assert api(gate.worker_a).get(context_url(gate.gate_a)).status_code == 200


def test_context_elsewhere_is_hidden_or_forbidden(gate):
    assert gate.phone.get(context_url(gate.gate_b)).status_code == 404
    outsider = factories.user("worker_c", "community_worker", gate.lixia_community)
    assert api(outsider).get(context_url(gate.gate_a)).status_code == 404
    # A duty officer sees the checkpoint (gate.view) but does not register there.
    duty = factories.user("duty_a", "duty_officer", gate.community_a)
    assert api(duty).get(context_url(gate.gate_a)).status_code == 403


# --- Scan check ------------------------------------------------------------------------------

def _reencode(text: str, change) -> str:
    """Open a pass, let ``change`` edit its COSE_Sign1 array, close it again."""
    message = cbor2.loads(zlib.decompress(base45.b45decode(text[len(cose.PREFIX):])))
    parts = list(message.value)
    change(parts)
    raw = cbor2.dumps(cbor2.CBORTag(message.tag, parts))
    return cose.PREFIX + base45.b45encode(zlib.compress(raw, 9)).decode()


def _flip_signature_byte(parts):
    signature = bytearray(parts[3])
    signature[10] ^= 0x01
    parts[3] = bytes(signature)


def _foreign_pass():
    now = timezone.now()
    return cose.sign(private_key=ec.generate_private_key(ec.SECP256R1()), number="1234567897",
                     community_code="370103001001", holder="李*", issued_at=now,
                     expires_at=now + timedelta(days=30))


def scan(gate, qr_text, direction="in", client=None):
    return (client or gate.phone).post(SCAN, {"checkpoint": gate.gate_a.pk, "qr_text": qr_text,
                                              "direction": direction}, format="json")


def test_scan_ok_shows_the_holder_and_stores_nothing(gate):
    """The name comes masked, as the pass itself carries it for an offline check."""
    r = scan(gate, gate.pass_.qr_text)
    assert r.status_code == 200
    data = r.json()
    assert data["ok"] is True and data["pass"]["number"] == gate.pass_.number
    assert data["pass"]["valid_until"]
    assert data["person"] == {
        "id": gate.resident.pk, "name": "李*", "id_number_masked": gate.resident.id_number_masked,
        "phone_masked": "138****5678", "status": "normal", "status_display": "Normal",
        "confined": False, "kind": "resident", "community": "甲社区"}
    assert nothing_stored()


@pytest.mark.parametrize("reason", ["malformed", "unknown_key", "bad_signature", "expired",
                                    "revoked", "status", "unknown_pass"])
def test_scan_refusals_each_have_their_reason_and_store_nothing(gate, reason):
    text, direction = gate.pass_.qr_text, "in"
    if reason == "malformed":
        text = "hello"
    elif reason == "unknown_key":
        text = _foreign_pass()
    elif reason == "bad_signature":
        text = _reencode(gate.pass_.qr_text, _flip_signature_byte)
    elif reason == "expired":
        force_update(ResidentPass.objects.filter(pk=gate.pass_.pk),
            valid_until=timezone.now() - timedelta(days=1))
    elif reason == "revoked":
        passes.revoke_pass(gate.pass_, actor=gate.worker_a, reason="遗失")
    elif reason == "status":
        change_status(gate.resident, actor=gate.worker_a, status=PersonStatus.HOME_OBSERVATION,
                      reason="密接")
        direction = "out"
    elif reason == "unknown_pass":  # signed by our key, but never issued
        now = timezone.now()
        text = cose.sign(private_key=keys.private_key(keys.signing_key()), number="1234567897",
                         community_code="370103001001", holder="李*", issued_at=now,
                         expires_at=now + timedelta(days=30))
    r = scan(gate, text, direction)
    assert r.status_code == 200
    data = r.json()
    assert (data["ok"], data["reason"]) == (False, reason)
    assert data["message"] and "detail" in data
    known_holder = reason in ("expired", "revoked", "status")
    assert (data["person"] is not None) == known_holder
    assert nothing_stored()


def test_scan_bad_input_and_other_checkpoint(gate):
    r = gate.phone.post(SCAN, {"checkpoint": gate.gate_a.pk, "qr_text": 12, "direction": "up"},
                        format="json")
    assert r.status_code == 400 and set(r.json()) == {"qr_text", "direction"}
    r = gate.phone.post(SCAN, {"checkpoint": gate.gate_b.pk, "qr_text": gate.pass_.qr_text,
                               "direction": "in"}, format="json")
    assert r.status_code == 403


# --- Look-up ---------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["pass", "phone", "id_suffix"])
def test_lookup_finds_the_person(gate, how):
    q = {"pass": gate.pass_.number, "phone": "13812345678",
         "id_suffix": gate.resident.id_number_masked[-4:]}[how]
    r = gate.phone.get(LOOKUP, {"checkpoint": gate.gate_a.pk, "q": q})
    assert r.status_code == 200
    assert [p["id"] for p in r.json()["results"]] == [gate.resident.pk]
    assert r.json()["results"][0]["community"] == "甲社区"


def test_lookup_without_match_and_elsewhere(gate):
    r = gate.phone.get(LOOKUP, {"checkpoint": gate.gate_a.pk, "q": "13900000000"})
    assert r.status_code == 200 and r.json() == {"results": []}
    assert gate.phone.get(LOOKUP, {"checkpoint": gate.gate_b.pk, "q": "x"}).status_code == 403
    assert gate.phone.get(LOOKUP, {"q": "x"}).status_code == 400


# --- One entry -------------------------------------------------------------------------------

def test_entry_stored_then_duplicate(gate):
    data = body(gate)
    r = gate.phone.post(ENTRIES, data, format="json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["status"] == "stored"
    entry = Entry.objects.get()
    assert out["entry"]["id"] == entry.pk and out["entry"]["uuid"] == data["uuid"]
    assert (out["entry"]["temperature"], out["entry"]["fever"], out["entry"]["method"]) == (
        "36.5", False, "pass")
    assert out["entry"]["person"]["name"] == "李*"  # masked on the guard's phone
    assert (entry.device, entry.guard, entry.checkpoint) == (gate.device, gate.guard, gate.gate_a)
    again = gate.phone.post(ENTRIES, data, format="json")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["entry"]["id"] == entry.pk
    assert Entry.objects.count() == 1


def test_entry_with_fever_raises_an_alert(gate):
    r = gate.phone.post(ENTRIES, body(gate, temperature="37.3"), format="json")
    assert r.status_code == 201 and r.json()["entry"]["fever"] is True
    assert FeverAlert.objects.get().entry_id == r.json()["entry"]["id"]


def test_entry_by_looked_up_person_and_by_visitor(gate):
    r = gate.phone.post(ENTRIES, body(gate, qr_text=None, person=gate.resident.pk),
                        format="json")
    assert r.status_code == 201 and r.json()["entry"]["method"] == "lookup"
    visitor = {"name": "赵六", "phone": "13900001111", "reason": "探亲", "visiting": "3号楼",
               "id_number": fake.id_number("370103", date(1990, 1, 2), 77)}
    r = gate.phone.post(ENTRIES, body(gate, qr_text=None, visitor=visitor), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["entry"]["method"] == "visitor"
    assert r.json()["entry"]["person"]["kind"] == "visitor"
    assert Entry.objects.get(method="visitor").visiting == "3号楼"


def test_refused_entry_is_logged_with_its_reason(gate):
    r = gate.phone.post(ENTRIES, body(gate, qr_text="hello"), format="json")
    assert r.status_code == 200
    data = r.json()
    assert (data["status"], data["reason"], data["person"]) == ("refused", "malformed", None)
    assert data["message"] == "Not a Shoumen pass (the code cannot be read)"
    assert Refusal.objects.get().reason == "malformed" and not Entry.objects.exists()
    passes.revoke_pass(gate.pass_, actor=gate.worker_a, reason="遗失")
    r = gate.phone.post(ENTRIES, body(gate), format="json")
    assert (r.json()["reason"], r.json()["detail"]) == ("revoked", "遗失")
    assert r.json()["person"]["id"] == gate.resident.pk


@pytest.mark.parametrize("fields, bad", [
    ({"temperature": "33.9"}, {"temperature"}),
    ({"temperature": "43.1"}, {"temperature"}),
    ({"temperature": "NaN"}, {"temperature"}),
    ({"temperature": [36.5]}, {"temperature"}),
    ({"direction": "sideways"}, {"direction"}),
    ({"uuid": "not-a-uuid"}, {"uuid"}),
    ({"uuid": None}, {"uuid"}),
    ({"at": "yesterday"}, {"at"}),
    ({"at": "2026-13-45T08:00:00"}, {"at"}),
    ({"at": 12}, {"at"}),
    ({"qr_text": 12345}, {"qr_text"}),
    ({"qr_text": None}, {"non_field_errors"}),
    ({"person": 999999, "qr_text": None}, {"person"}),
    ({"person": "abc", "qr_text": None, "temperature": "50"}, {"person", "temperature"}),
    ({"visitor": "赵六", "qr_text": None}, {"visitor"}),
    ({"visitor": {"name": "", "phone": "123", "id_number": 7}, "qr_text": None},
     {"visitor.name", "visitor.phone", "visitor.id_number", "visitor.reason"}),
    ({"checkpoint": "east gate"}, {"checkpoint"}),
])
def test_entry_bad_input_is_a_400_by_field_and_stores_nothing(gate, fields, bad):
    r = gate.phone.post(ENTRIES, body(gate, **fields), format="json")
    assert r.status_code == 400, r.content
    assert set(r.json()) == bad
    assert all(isinstance(m, str) and m for msgs in r.json().values() for m in msgs)
    assert nothing_stored() and not Person.objects.filter(name="赵六").exists()


def test_entry_body_must_be_an_object(gate):
    r = gate.phone.post(ENTRIES, [1, 2], format="json")
    assert r.status_code == 400 and "non_field_errors" in r.json()
    r = gate.phone.post(ENTRIES, "{not json", content_type="application/json")
    assert r.status_code == 400


def test_unknown_checkpoint_is_refused_like_someone_elses(gate):
    unknown = gate.phone.post(ENTRIES, body(gate, checkpoint=999999), format="json")
    other = gate.phone.post(ENTRIES, body(gate, checkpoint=gate.gate_b.pk), format="json")
    assert unknown.status_code == other.status_code == 403
    assert "甲社区东门" in other.json()["detail"]
    by_user = api(gate.worker_a).post(ENTRIES, body(gate, checkpoint=999999), format="json")
    assert by_user.status_code == 403 and "999999" in by_user.json()["detail"]
    assert nothing_stored()


def test_uuid_of_an_entry_elsewhere_is_a_conflict(gate):
    data = body(gate)
    assert gate.phone.post(ENTRIES, data, format="json").status_code == 201
    r = api(gate.worker_b).post(ENTRIES, {**data, "checkpoint": gate.gate_b.pk}, format="json")
    assert r.status_code == 409 and "person" not in r.content.decode()


def test_user_registers_where_they_may(gate):
    assert api(gate.guard).post(ENTRIES, body(gate), format="json").status_code == 201
    assert api(gate.worker_a).post(ENTRIES, body(gate), format="json").status_code == 201
    # The guard does not guard 乙社区's gate; the volunteer registers nowhere.
    assert api(gate.guard).post(ENTRIES, body(gate, checkpoint=gate.gate_b.pk),
                                format="json").status_code == 403
    assert api(gate.volunteer).post(ENTRIES, body(gate), format="json").status_code == 403
    assert Entry.objects.count() == 2


def test_session_user_needs_csrf(gate):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(gate.guard)
    assert client.post(ENTRIES, body(gate), format="json").status_code == 403
    assert not Entry.objects.exists()


def test_user_from_another_jurisdiction_cannot_register_at_gate_a(gate):
    outsider = factories.user("worker_c", "community_worker", gate.lixia_community)
    client = api(outsider)
    assert client.post(ENTRIES, body(gate), format="json").status_code == 403
    r = client.post(BATCH, {"entries": [body(gate)]}, format="json")
    assert r.json()["results"][0]["status"] == "invalid"
    assert client.post(DEVICES, {"checkpoint": gate.gate_a.pk}, format="json").status_code == 403
    assert client.get(f"{DEVICES}{gate.device.pk}/").status_code == 404
    assert client.post(f"{DEVICES}{gate.device.pk}/revoke/").status_code == 404
    assert client.get(DEVICES).json()["results"] == []
    assert nothing_stored() and CheckpointDevice.objects.get().revoked_at is None


# --- Device tokens ---------------------------------------------------------------------------

def test_device_cannot_write_to_another_checkpoint(gate):
    r = gate.phone.post(ENTRIES, body(gate, checkpoint=gate.gate_b.pk), format="json")
    assert r.status_code == 403 and "can work there only" in r.json()["detail"]
    items = [body(gate), body(gate, checkpoint=gate.gate_b.pk), body(gate)]
    r = gate.phone.post(BATCH, {"entries": items}, format="json")
    assert r.status_code == 200
    assert [x["status"] for x in r.json()["results"]] == ["stored", "invalid", "stored"]
    assert set(r.json()["results"][1]["errors"]) == {"checkpoint"}
    assert set(Entry.objects.values_list("checkpoint", flat=True)) == {gate.gate_a.pk}
    assert Entry.objects.count() == 2


def test_revoked_or_unknown_token_is_a_401(gate):
    assert gate.phone.get(LISTS).status_code == 200
    services.revoke_device(gate.device, actor=gate.worker_a)
    r = gate.phone.post(ENTRIES, body(gate), format="json")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert r["WWW-Authenticate"] == "Device"
    assert device_api("smd_forged").get(LISTS).status_code == 401
    assert device_api("two words").get(LISTS).status_code == 401
    assert nothing_stored()


def test_device_token_opens_nothing_outside_the_device_api(gate):
    for url in ("/api/people/persons/", "/api/me/", DEVICES):
        assert gate.phone.get(url).status_code == 401, url
    assert gate.phone.post(DEVICES, {"checkpoint": gate.gate_a.pk}, format="json"
                           ).status_code == 401
    assert gate.phone.get("/people/").status_code in (302, 403)


def test_last_seen_is_written_at_most_once_a_minute(gate):
    assert gate.phone.get(LISTS).status_code == 200
    gate.device.refresh_from_db()
    assert gate.device.last_seen_at is not None
    with CaptureQueriesContext(connection) as queries:
        assert gate.phone.get(LISTS).status_code == 200
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]


def test_hot_path_queries(gate, django_assert_max_num_queries):
    gate.phone.get(LISTS)  # last_seen written: later requests do not write it
    # A scan: the device by its token, then on PostgreSQL the pass and the insert in one
    # statement; elsewhere the pass by its digest, whether the uuid was refused before, and
    # the insert in a savepoint (2 more). A person picked by look-up: the device, the person,
    # the refusal check, the insert in its savepoint.
    from django.db import connection

    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 6):
        r = gate.phone.post(ENTRIES, body(gate), format="json")
    assert r.status_code == 201
    with django_assert_max_num_queries(6):
        r = gate.phone.post(ENTRIES, body(gate, person=gate.resident.pk, qr_text=None),
                            format="json")
    assert r.status_code == 201


# --- Batch -----------------------------------------------------------------------------------

def test_batch_retried_three_times_stores_each_entry_once(gate):
    now = timezone.now()
    items = [body(gate, at=(now - timedelta(minutes=i)).isoformat()) for i in range(20)]
    items.append(body(gate, temperature="38.0"))
    items.append(body(gate, qr_text=_foreign_pass()))
    first = gate.phone.post(BATCH, {"entries": items}, format="json").json()
    assert first["counts"] == {"stored": 21, "duplicate": 0, "refused": 1, "invalid": 0}
    assert first["results"][20]["fever"] is True
    refused = first["results"][21]
    assert (refused["refusal"], refused["message"]) == (
        "unknown_key", "Forged pass: signed by a key Shoumen does not know")
    for _ in range(2):
        again = gate.phone.post(BATCH, {"entries": items}, format="json").json()
        assert again["counts"] == {"stored": 0, "duplicate": 22, "refused": 0, "invalid": 0}
    assert Entry.objects.count() == 21 and Refusal.objects.count() == 1
    assert FeverAlert.objects.count() == 1
    assert [r["uuid"] for r in again["results"]] == [i["uuid"] for i in items]


def test_batch_with_bad_items_stores_all_good_ones(gate):
    good = [body(gate) for _ in range(3)]
    bad = [body(gate, temperature="33.9"), body(gate, qr_text=12), "not an object",
           body(gate, uuid=None), body(gate, checkpoint=True), body(gate, at="soon"),
           body(gate, visitor={"name": "赵六"}, qr_text=None)]
    r = gate.phone.post(BATCH, {"entries": [good[0], *bad, *good[1:]]}, format="json")
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["stored"] + ["invalid"] * 7 + ["stored"] * 2
    errors = [set(x["errors"]) for x in results[1:8]]
    assert errors == [{"temperature"}, {"qr_text"}, {"non_field_errors"}, {"uuid"},
                      {"checkpoint"}, {"at"}, {"visitor.phone", "visitor.id_number",
                                               "visitor.reason"}]
    assert Entry.objects.count() == 3 and r.json()["counts"]["invalid"] == 7


def test_batch_shape_and_size_limits(gate):
    assert gate.phone.post(BATCH, {"entries": {}}, format="json").status_code == 400
    assert gate.phone.post(BATCH, [body(gate)], format="json").status_code == 400
    r = gate.phone.post(BATCH, {"entries": [{}] * 5001}, format="json")
    assert r.status_code == 400 and "split" in r.json()["entries"][0]
    r = gate.phone.post(BATCH, {"entries": []}, format="json")
    assert r.json() == {"results": [], "counts": {"stored": 0, "duplicate": 0, "refused": 0,
                                                  "invalid": 0}}


def test_batch_by_user_at_several_checkpoints(gate):
    items = [body(gate), body(gate, checkpoint=gate.gate_b.pk)]
    r = api(gate.commander).post(BATCH, {"entries": items}, format="json")
    assert r.json()["counts"]["stored"] == 2
    r = api(gate.worker_a).post(BATCH, {"entries": [body(gate, checkpoint=gate.gate_b.pk)]},
                                format="json")
    assert r.json()["results"][0]["errors"]["checkpoint"]


# --- Devices ---------------------------------------------------------------------------------

def test_guard_registers_a_phone_and_the_token_works(gate):
    r = api(gate.guard).post(DEVICES, {"checkpoint": gate.gate_a.pk, "name": "备用机"},
                             format="json")
    assert r.status_code == 201
    data = r.json()
    assert data["token"].startswith("smd_") and data["checkpoint"] == gate.gate_a.pk
    assert data["name"] == "备用机" and data["active"] is True
    assert device_api(data["token"]).get(context_url(gate.gate_a)).status_code == 200
    # The token is shown once: never in the list.
    listing = api(gate.worker_a).get(DEVICES).json()["results"]
    assert {d["id"] for d in listing} == {gate.device.pk, data["id"]}
    assert all("token" not in d for d in listing)


def test_volunteer_or_another_guard_cannot_register_a_phone(gate):
    other_guard = factories.user("guard_b", "checkpoint_guard", gate.community_a)
    for user in (gate.volunteer, other_guard):
        r = api(user).post(DEVICES, {"checkpoint": gate.gate_a.pk}, format="json")
        assert r.status_code == 403
    assert api(gate.guard).post(DEVICES, {"checkpoint": "x"}, format="json").status_code == 400
    assert CheckpointDevice.objects.count() == 1


def test_staff_revoke_a_phone_and_guards_cannot(gate):
    url = f"{DEVICES}{gate.device.pk}/revoke/"
    assert api(gate.guard).post(url).status_code == 404  # no gate.manage: not in scope
    assert api(gate.guard).get(DEVICES).status_code == 403
    r = api(gate.worker_a).post(url)
    assert r.status_code == 200 and r.json()["active"] is False and "token" not in r.json()
    assert gate.phone.get(LISTS).status_code == 401
