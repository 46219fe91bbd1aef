"""Gate management API: checkpoints and guards, the entry log, refusals, fever alerts and
their follow-up — scoped (another jurisdiction's object is a 404), people masked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shoumen.gate.alerts import services as alert_services
from shoumen.gate.alerts.models import FeverAlert, FeverStage
from shoumen.gate.checkpoints import services as checkpoint_services
from shoumen.gate.checkpoints.models import Checkpoint
from shoumen.gate.entries.services import register
from shoumen.gate.passes.services import issue_pass, revoke_pass
from tests import factories
from tests.factories import force_update
from tests.helpers_gate_manage import api, enter, gate_world

CHECKPOINTS = "/api/gate/checkpoints/"
ENTRY_LOG = "/api/gate/entry-log/"
REFUSALS = "/api/gate/refusals/"
ALERTS = "/api/gate/fever-alerts/"


@pytest.fixture
def gate(world):
    return gate_world(world)


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- checkpoints ---------------------------------------------------------------------------

def test_checkpoint_list_is_scoped(gate):
    assert ids(api(gate.worker_a).get(CHECKPOINTS)) == {gate.gate_a.pk, gate.lobby.pk}
    assert ids(api(gate.guard).get(CHECKPOINTS)) == {gate.gate_a.pk, gate.lobby.pk}
    assert ids(api(gate.commander).get(CHECKPOINTS)) == {gate.gate_a.pk, gate.gate_b.pk,
                                                          gate.lobby.pk}
    assert ids(api(gate.volunteer).get(CHECKPOINTS)) == set()


def test_checkpoint_filters(gate):
    client = api(gate.commander)
    assert ids(client.get(CHECKPOINTS, {"site": "lobby"})) == {gate.lobby.pk}
    assert ids(client.get(CHECKPOINTS, {"site": "gate"})) == {gate.gate_a.pk, gate.gate_b.pk}
    assert ids(client.get(CHECKPOINTS, {"node": gate.community_b.pk})) == {gate.gate_b.pk}
    assert ids(client.get(CHECKPOINTS, {"q": "绿地"})) == {gate.lobby.pk}
    force_update(Checkpoint.objects.filter(pk=gate.gate_b.pk), active=False)
    assert ids(client.get(CHECKPOINTS, {"active": "false"})) == {gate.gate_b.pk}


def test_checkpoint_detail(gate):
    checkpoint_services.register_device(gate.gate_a, actor=gate.guard, name="手机")
    body = api(gate.worker_a).get(f"{CHECKPOINTS}{gate.gate_a.pk}/").json()
    assert body["name"] == "东门" and body["site"] == "gate" and body["active_devices"] == 1
    assert body["jurisdiction"] == {"id": gate.community_a.pk, "name": "甲社区",
                                    "code": gate.community_a.code}
    assert [g["username"] for g in body["guards"]] == ["guard_a"]
    lobby = api(gate.worker_a).get(f"{CHECKPOINTS}{gate.lobby.pk}/").json()
    assert lobby["site"] == "lobby" and lobby["building"]["id"] == lobby["site_id"] == gate.tower.pk


def test_other_communitys_checkpoint_is_404(gate):
    assert api(gate.worker_b).get(f"{CHECKPOINTS}{gate.gate_a.pk}/").status_code == 404
    r = api(gate.worker_b).post(f"{CHECKPOINTS}{gate.gate_a.pk}/guards/", {"guards": []},
                                format="json")
    assert r.status_code == 404
    assert list(gate.gate_a.guards.all()) == [gate.guard]


def test_create_checkpoint(gate):
    r = api(gate.worker_a).post(CHECKPOINTS, {"jurisdiction": gate.community_a.pk, "name": "北门",
                                              "guards": [gate.guard.pk]}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "北门" and body["site"] == "gate"
    assert [g["id"] for g in body["guards"]] == [gate.guard.pk]
    assert Checkpoint.objects.filter(pk=body["id"], place__jurisdiction=gate.community_a).exists()


def test_create_lobby_checkpoint(gate):
    r = api(gate.worker_a).post(CHECKPOINTS, {"jurisdiction": gate.community_a.pk, "name": "侧门",
                                              "building": gate.tower.pk}, format="json")
    assert r.status_code == 201 and r.json()["site_id"] == gate.tower.pk


@pytest.mark.parametrize("body, field", [
    ({"name": "北门"}, "jurisdiction"),
    ({"jurisdiction": "community_b", "name": "北门"}, "jurisdiction"),
    ({"jurisdiction": "luoyuan", "name": "北门"}, "jurisdiction"),
    ({"jurisdiction": "community_a", "name": ""}, "name"),
    ({"jurisdiction": "community_a", "name": "东门"}, "name"),
    ({"jurisdiction": "community_a", "name": "北门", "building": "other_tower"}, "building"),
    ({"jurisdiction": "community_a", "name": "北门", "guards": ["guard_b"]}, "guards"),
    ({"jurisdiction": "community_a", "name": "北门", "guards": [999999]}, "guards"),
])
def test_create_checkpoint_bad_input_is_400_by_field(gate, body, field):
    gate.other_tower = factories.place(gate.community_b, "金龙大厦")
    resolved = {}
    for key, value in body.items():
        if key == "guards":
            resolved[key] = [getattr(gate, v).pk if isinstance(v, str) else v for v in value]
        elif key in {"jurisdiction", "building"}:
            resolved[key] = getattr(gate, value).pk
        else:
            resolved[key] = value
    before = Checkpoint.objects.count()
    client = api(gate.commander if field == "building" else gate.worker_a)
    r = client.post(CHECKPOINTS, resolved, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert Checkpoint.objects.count() == before


def test_guard_may_not_create_checkpoints(gate):
    r = api(gate.guard).post(CHECKPOINTS, {"jurisdiction": gate.community_a.pk, "name": "北门"},
                             format="json")
    assert r.status_code == 403


def test_set_guards(gate):
    second = factories.user("guard_a2", "checkpoint_guard", gate.community_a)
    r = api(gate.worker_a).post(f"{CHECKPOINTS}{gate.gate_a.pk}/guards/",
                                {"guards": [second.pk, gate.guard.pk]}, format="json")
    assert r.status_code == 200, r.content
    assert {g["username"] for g in r.json()["guards"]} == {"guard_a", "guard_a2"}
    r = api(gate.worker_a).post(f"{CHECKPOINTS}{gate.gate_a.pk}/guards/", {"guards": []},
                                format="json")
    assert r.json()["guards"] == [] and not gate.gate_a.guards.exists()


@pytest.mark.parametrize("bad", [["guard_b"], ["volunteer"], [424242], "guard_a", [None]])
def test_set_guards_bad_input(gate, bad):
    value = bad if isinstance(bad, str) else [getattr(gate, v).pk if isinstance(v, str) else v
                                              for v in bad]
    r = api(gate.worker_a).post(f"{CHECKPOINTS}{gate.gate_a.pk}/guards/", {"guards": value},
                                format="json")
    assert r.status_code == 400 and "guards" in r.json(), r.content
    assert list(gate.gate_a.guards.all()) == [gate.guard]


def test_guard_may_not_set_guards(gate):
    r = api(gate.guard).post(f"{CHECKPOINTS}{gate.gate_a.pk}/guards/", {"guards": []},
                             format="json")
    assert r.status_code == 403 and gate.gate_a.guards.exists()


# --- entry log and refusals ----------------------------------------------------------------

def test_entry_log_is_scoped_and_masked(gate):
    mine = enter(gate).entry
    theirs = enter(gate, checkpoint=gate.gate_b, person=gate.resident_b).entry
    r = api(gate.worker_a).get(ENTRY_LOG)
    assert ids(r) == {mine.pk}
    row = r.json()["results"][0]
    assert row["person"]["name"] == "李*" and "李四" not in r.content.decode()
    assert row["person"]["phone_masked"] == "138****5678" and "13812345678" not in r.content.decode()
    assert row["checkpoint"] == gate.gate_a.pk and row["temperature"] == "36.5"
    assert api(gate.worker_a).get(f"{ENTRY_LOG}{theirs.pk}/").status_code == 404
    assert ids(api(gate.commander).get(ENTRY_LOG)) == {mine.pk, theirs.pk}


def test_entry_log_filters(gate):
    now = timezone.now()
    early = enter(gate, at=now - timedelta(days=2)).entry
    hot = enter(gate, "38.0", checkpoint=gate.lobby).entry
    other = enter(gate, person=gate.resident_b).entry
    client = api(gate.worker_a)
    assert ids(client.get(ENTRY_LOG, {"checkpoint": gate.lobby.pk})) == {hot.pk}
    assert ids(client.get(ENTRY_LOG, {"person": gate.resident_b.pk})) == {other.pk}
    assert ids(client.get(ENTRY_LOG, {"fever": "true"})) == {hot.pk}
    assert ids(client.get(ENTRY_LOG, {"until": (now - timedelta(days=1)).isoformat()})) == {early.pk}
    assert ids(client.get(ENTRY_LOG, {"since": (now - timedelta(days=1)).isoformat()})) == {
        hot.pk, other.pk}
    day = timezone.localtime(early.at).date().isoformat()
    assert ids(client.get(ENTRY_LOG, {"date": day})) == {early.pk}
    r = client.get(ENTRY_LOG, {"since": "yesterday", "checkpoint": "x"})
    assert r.status_code == 400 and {"since", "checkpoint"} <= set(r.json())


def test_refusals_are_scoped_masked_and_labelled(gate):
    pass_ = issue_pass(gate.resident, actor=gate.worker_a)
    revoke_pass(pass_, actor=gate.worker_a, reason="遗失")
    out = register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
                   qr_text=pass_.qr_text)
    refusal = out.refusal
    r = api(gate.worker_a).get(REFUSALS)
    assert ids(r) == {refusal.pk}
    row = r.json()["results"][0]
    assert row["reason"] == "revoked" and row["reason_display"] == "Pass revoked"
    assert row["pass_number"] == pass_.number and row["person"]["name"] == "李*"
    assert ids(api(gate.worker_b).get(REFUSALS)) == set()
    assert api(gate.worker_b).get(f"{REFUSALS}{refusal.pk}/").status_code == 404
    assert ids(api(gate.worker_a).get(REFUSALS, {"reason": "expired"})) == set()


# --- fever alerts --------------------------------------------------------------------------

@pytest.fixture
def alert(gate):
    enter(gate, "38.2")
    return FeverAlert.objects.get()


def follow(user, alert, **body):
    return api(user).post(f"{ALERTS}{alert.pk}/follow-up/", body, format="json")


def test_alert_list_open_first_and_scoped(gate, alert):
    closed = FeverAlert.objects.get(pk=alert.pk)
    alert_services.follow_up(closed, actor=gate.worker_a, stage=FeverStage.CLEARED)
    enter(gate, "37.5")
    newer_open = FeverAlert.objects.filter(closed_at=None).get()
    rows = api(gate.worker_a).get(ALERTS).json()["results"]
    assert [r["id"] for r in rows] == [newer_open.pk, alert.pk]
    assert rows[0]["is_open"] and rows[0]["next_steps"] == ["remeasured", "clinic", "cleared"]
    assert rows[1]["next_steps"] == [] and rows[1]["stage"] == "cleared"
    assert ids(api(gate.worker_a).get(ALERTS, {"is_open": "true"})) == {newer_open.pk}
    assert ids(api(gate.worker_a).get(ALERTS, {"stage": "cleared"})) == {alert.pk}
    assert ids(api(gate.worker_b).get(ALERTS)) == set()
    assert ids(api(gate.guard).get(ALERTS)) == set()


def test_alert_detail_and_lifecycle(gate, alert):
    r = follow(gate.worker_a, alert, stage="remeasured")
    assert r.status_code == 400 and "temperature" in r.json()
    r = follow(gate.worker_a, alert, stage="remeasured", temperature="44.0")
    assert r.status_code == 400 and "43" in r.json()["temperature"][0]
    r = follow(gate.worker_a, alert, stage="remeasured", temperature="37.6")
    assert r.status_code == 200 and r.json()["stage"] == "remeasured"
    r = follow(gate.worker_a, alert, stage="clinic")
    assert r.status_code == 400 and "clinic" in r.json()
    r = follow(gate.worker_a, alert, stage="clinic", clinic="省立医院发热门诊")
    assert r.status_code == 200 and r.json()["next_steps"] == ["cleared"]
    r = follow(gate.worker_a, alert, stage="remeasured", temperature="36.5")
    assert r.status_code == 400 and "forward only" in r.json()["stage"][0]
    r = follow(gate.grid_worker, alert, stage="cleared", note="复测正常")
    body = r.json()
    assert r.status_code == 200 and not body["is_open"] and body["closed_at"]
    assert [s["stage"] for s in body["follow_ups"]] == ["remeasured", "clinic", "cleared"]
    assert body["follow_ups"][0]["temperature"] == "37.6"
    r = follow(gate.worker_a, alert, stage="cleared")
    assert r.status_code == 400 and "closed" in r.json()["stage"][0]
    detail = api(gate.worker_a).get(f"{ALERTS}{alert.pk}/").json()
    assert detail["person"]["name"] == "李*" and detail["temperature"] == "38.2"
    assert detail["checkpoint"] == {"id": gate.gate_a.pk, "name": "东门"}
    assert detail["entry"]["id"] == alert.entry_id


@pytest.mark.parametrize("who", ["worker_b", "guard", "volunteer"])
def test_alert_outside_scope_is_404(gate, alert, who):
    user = getattr(gate, who)
    assert api(user).get(f"{ALERTS}{alert.pk}/").status_code == 404
    assert follow(user, alert, stage="cleared").status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


def test_bad_stage_is_400(gate, alert):
    r = follow(gate.worker_a, alert, stage="healed")
    assert r.status_code == 400 and "stage" in r.json()
