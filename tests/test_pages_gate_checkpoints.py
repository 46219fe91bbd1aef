"""Gate pages: the module's home, checkpoints (list, detail, new), guards, device revoking.
Scoped: another community's checkpoint is a 404; people are masked."""

import pytest
from django.urls import reverse

from shoumen.gate.alerts import services as alert_services
from shoumen.gate.alerts.models import FeverAlert
from shoumen.gate.checkpoints import services as checkpoint_services
from shoumen.gate.checkpoints.models import Checkpoint, CheckpointDevice
from shoumen.gate.entries.services import register
from shoumen.gate.passes.services import issue_pass, revoke_pass
from shoumen.geo.models import Place
from tests import factories
from tests.factories import force_update
from tests.helpers_gate_manage import enter, gate_world

HOME = reverse("gate:home")
LIST = reverse("gate:checkpoint-list")
CREATE = reverse("gate:checkpoint-create")


@pytest.fixture
def gate(world):
    return gate_world(world)


def detail(cp, name="checkpoint-detail"):
    return reverse(f"gate:{name}", kwargs={"pk": cp.pk})


# --- home ----------------------------------------------------------------------------------

def test_guard_home_shows_a_button_per_checkpoint_and_no_figures(gate, login):
    body = login(gate.guard).get(HOME).content.decode()
    assert f'data-checkpoint="{gate.gate_a.pk}"' in body
    assert f'data-checkpoint="{gate.gate_b.pk}"' not in body
    assert f'data-checkpoint="{gate.lobby.pk}"' not in body
    scan = reverse("gate:scan", kwargs={"pk": gate.gate_a.pk})
    assert f'href="{scan}"' in body
    assert "data-today" not in body and "Open fever alerts" not in body
    assert "kept for 28 days" in body


def test_unassigned_guard_is_told_what_to_do(gate, login):
    loner = factories.user("loner", "checkpoint_guard", gate.community_a)
    body = login(loner).get(HOME).content.decode()
    assert "not assigned to any checkpoint" in body


def test_staff_home_counts_today_and_shows_open_alerts(gate, login):
    enter(gate)
    enter(gate, "38.5")
    enter(gate, checkpoint=gate.gate_b, person=gate.resident_b)  # another community
    pass_ = issue_pass(gate.resident, actor=gate.worker_a)
    revoke_pass(pass_, actor=gate.worker_a, reason="遗失")
    register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
             qr_text=pass_.qr_text)
    r = login(gate.worker_a).get(HOME)
    body = r.content.decode()
    assert r.context["counts"] == {"entries": 2, "fevers": 1, "refusals": 1, "open_alerts": 1}
    assert 'data-open-alerts="1"' in body and 'data-count="fevers">1<' in body
    assert reverse("gate:alert-list") in body and reverse("gate:refusal-list") in body
    assert reverse("gate:checkpoint-create") in body
    commander = login(gate.commander).get(HOME).context["counts"]
    assert commander["entries"] == 3


def test_grid_worker_sees_alerts_but_registers_nowhere(gate, login):
    enter(gate, "38.5")
    r = login(gate.grid_worker).get(HOME)
    assert r.status_code == 200 and r.context["open_alerts"] == 1
    assert not r.context["registrable"] and not r.context["can_create"]


def test_home_forbidden_without_the_gate(gate, login):
    r = login(gate.volunteer).get(HOME)
    assert r.status_code == 403 and "gate" in r.content.decode()


# --- list ----------------------------------------------------------------------------------

def test_list_is_scoped_and_filters(gate, login):
    client = login(gate.worker_a)
    body = client.get(LIST).content.decode()
    assert "东门" in body and "绿地中心大堂" in body and "西门" not in body
    assert "Building lobby" in body and "Community gate" in body
    lobby_only = client.get(LIST, {"site": "lobby"}).content.decode()
    assert "绿地中心大堂" in lobby_only and "东门" not in lobby_only
    assert "东门" not in client.get(LIST, {"q": "绿地"}).content.decode()
    force_update(Checkpoint.objects.filter(pk=gate.lobby.pk), active=False)
    inactive = client.get(LIST, {"active": "false"}).content.decode()
    assert "绿地中心大堂" in inactive and "东门" not in inactive


def test_list_htmx_returns_the_table_only(gate, login):
    r = login(gate.commander).get(LIST, {"node": gate.community_b.pk}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "<html" not in body and "西门" in body and "东门" not in body


def test_list_for_guard_and_forbidden_for_volunteer(gate, login):
    assert login(gate.guard).get(LIST).status_code == 200
    assert login(gate.volunteer).get(LIST).status_code == 403


# --- detail --------------------------------------------------------------------------------

def test_detail_for_manager(gate, login):
    checkpoint_services.register_device(gate.gate_a, actor=gate.guard, name="前台手机")
    enter(gate, "38.0")
    body = login(gate.worker_a).get(detail(gate.gate_a)).content.decode()
    assert "guard_a" in body and "前台手机" in body and 'data-action="revoke"' in body
    assert 'data-action="guards"' in body
    assert "李*" in body and "李四" not in body and "data-fever" in body
    assert "Nobody has been refused here today." in body
    assert reverse("gate:scan", kwargs={"pk": gate.gate_a.pk}) in body


def test_detail_for_guard_has_no_management(gate, login):
    checkpoint_services.register_device(gate.gate_a, actor=gate.guard, name="前台手机")
    body = login(gate.guard).get(detail(gate.gate_a)).content.decode()
    assert "前台手机" in body and 'data-action="revoke"' not in body
    assert 'data-action="guards"' not in body


def test_detail_lists_todays_refusals_masked(gate, login):
    pass_ = issue_pass(gate.resident, actor=gate.worker_a)
    revoke_pass(pass_, actor=gate.worker_a, reason="遗失")
    register(checkpoint=gate.gate_a, actor=gate.guard, direction="in", temperature="36.5",
             qr_text=pass_.qr_text)
    body = login(gate.worker_a).get(detail(gate.gate_a)).content.decode()
    assert "Pass revoked" in body and pass_.number in body and "李*" in body


def test_detail_entries_page_newest_first_with_htmx(gate, login, monkeypatch):
    from shoumen.core import views as core_views

    monkeypatch.setattr(core_views.paginate, "__defaults__", (2,))  # two entries a page
    for temp in ("36.1", "36.2", "36.3"):
        enter(gate, temp)
    client = login(gate.worker_a)
    first = client.get(detail(gate.gate_a)).content.decode()
    assert first.index("36.3") < first.index("36.2") and "36.1" not in first
    second = client.get(detail(gate.gate_a), {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in second and "36.1" in second and "36.3" not in second


def test_detail_of_another_community_is_404(gate, login):
    assert login(gate.worker_b).get(detail(gate.gate_a)).status_code == 404
    assert login(gate.guard).get(detail(gate.gate_b)).status_code == 404
    assert login(gate.volunteer).get(detail(gate.gate_a)).status_code == 404


# --- create --------------------------------------------------------------------------------

def test_create_form_and_success(gate, login):
    client = login(gate.worker_a)
    form = client.get(CREATE).content.decode()
    assert "甲社区" in form and "乙社区" not in form and "绿地中心" in form
    r = client.post(CREATE, {"jurisdiction": gate.community_a.pk, "name": "南门",
                             "building": gate.tower.pk})
    cp = Checkpoint.objects.get(place__name="南门")
    assert r.status_code == 302 and r.url == detail(cp, "checkpoint-guards")
    assert cp.site_id == gate.tower.pk


def test_create_with_errors_says_what_is_wrong(gate, login):
    factories.place(gate.community_b, "金龙大厦")
    client = login(gate.commander)
    other_tower = Place.objects.get(name="金龙大厦")
    before = Checkpoint.objects.count()
    r = client.post(CREATE, {"jurisdiction": gate.community_a.pk, "name": "北门",
                             "building": other_tower.pk})
    body = r.content.decode()
    assert r.status_code == 200 and "nothing has been saved" in body
    assert "Choose a building in the checkpoint&#x27;s community" in body
    r = client.post(CREATE, {"jurisdiction": gate.community_a.pk, "name": "东门"})
    assert "already has a checkpoint called “东门”" in r.content.decode()
    r = client.post(CREATE, {"jurisdiction": gate.luoyuan.pk, "name": "北门"})
    assert "jurisdiction" in r.context["form"].errors  # not offered: communities and grids only
    assert Checkpoint.objects.count() == before


def test_create_narrows_buildings_to_the_chosen_community(gate, login):
    factories.place(gate.community_b, "金龙大厦")
    client = login(gate.commander)
    assert "金龙大厦" in client.get(CREATE).content.decode()
    narrowed = client.get(CREATE, {"jurisdiction": gate.community_a.pk},
                          HTTP_HX_REQUEST="true").content.decode()
    assert 'id="building-field"' in narrowed and "绿地中心" in narrowed and "金龙大厦" not in narrowed


def test_create_forbidden_for_guard(gate, login):
    assert login(gate.guard).get(CREATE).status_code == 403
    r = login(gate.guard).post(CREATE, {"jurisdiction": gate.community_a.pk, "name": "南门"})
    assert r.status_code == 403 and not Place.objects.filter(name="南门").exists()


# --- guards --------------------------------------------------------------------------------

def test_edit_guards(gate, login):
    second = factories.user("guard_a2", "checkpoint_guard", gate.community_a)
    client = login(gate.worker_a)
    page = client.get(detail(gate.gate_a, "checkpoint-guards")).content.decode()
    assert "guard_a2" in page and "guard_b" not in page and "volunteer" not in page
    r = client.post(detail(gate.gate_a, "checkpoint-guards"), {"guards": [second.pk]})
    assert r.status_code == 302 and list(gate.gate_a.guards.all()) == [second]


def test_edit_guards_refuses_an_outsider(gate, login):
    r = login(gate.worker_a).post(detail(gate.gate_a, "checkpoint-guards"),
                                  {"guards": [gate.guard_b.pk]})
    assert r.status_code == 200 and "guards" in r.context["form"].errors
    assert list(gate.gate_a.guards.all()) == [gate.guard]


def test_a_guard_who_lost_the_role_shows_and_can_be_removed(gate, login):
    force_update(gate.guard.role_assignments.all(), active=False)
    client = login(gate.worker_a)
    r = client.post(detail(gate.gate_a, "checkpoint-guards"), {"guards": [gate.guard.pk]})
    assert "cannot guard" in r.content.decode()
    r = client.post(detail(gate.gate_a, "checkpoint-guards"), {})
    assert r.status_code == 302 and not gate.gate_a.guards.exists()


def test_guards_page_permissions(gate, login):
    url = detail(gate.gate_a, "checkpoint-guards")
    assert login(gate.guard).get(url).status_code == 403
    assert login(gate.worker_b).get(url).status_code == 404


# --- devices -------------------------------------------------------------------------------

def revoke_url(device):
    return reverse("gate:device-revoke", kwargs={"pk": device.checkpoint_id,
                                                 "device_pk": device.pk})


def test_revoke_device(gate, login):
    device, token = checkpoint_services.register_device(gate.gate_a, actor=gate.guard, name="手机")
    client = login(gate.worker_a)
    assert client.get(revoke_url(device)).status_code == 405
    r = client.post(revoke_url(device))
    assert r.status_code == 302 and checkpoint_services.device_for_token(token) is None
    assert "revoked" in client.get(detail(gate.gate_a)).content.decode()


@pytest.mark.parametrize("who, code", [("guard", 403), ("worker_b", 404)])
def test_revoke_device_permissions(gate, login, who, code):
    device, token = checkpoint_services.register_device(gate.gate_a, actor=gate.guard, name="手机")
    assert login(getattr(gate, who)).post(revoke_url(device)).status_code == code
    assert checkpoint_services.device_for_token(token) == device


def test_device_of_another_checkpoint_is_404(gate, login):
    device, _ = checkpoint_services.register_device(gate.gate_b, actor=gate.guard_b, name="手机")
    url = reverse("gate:device-revoke", kwargs={"pk": gate.gate_a.pk, "device_pk": device.pk})
    assert login(gate.worker_a).post(url).status_code == 404
    assert CheckpointDevice.objects.get(pk=device.pk).is_active


def test_fever_alert_count_only_counts_open(gate, login):
    enter(gate, "38.5")
    alert_services.follow_up(FeverAlert.objects.get(), actor=gate.worker_a, stage="cleared")
    assert login(gate.worker_a).get(HOME).context["open_alerts"] == 0
