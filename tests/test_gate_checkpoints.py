"""Checkpoint services: creating one (community gate or building lobby), its guards, where
a user may register, and device tokens that stop working when revoked."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shoumen.core.authz import NotAllowed
from shoumen.core.models import AuditEvent
from shoumen.gate.checkpoints import services
from shoumen.gate.checkpoints.models import Checkpoint, CheckpointDevice
from shoumen.geo.models import Place, PlaceKind
from tests import factories
from tests.factories import force_update
from tests.helpers_gate_manage import gate_world


@pytest.fixture
def gate(world):
    return gate_world(world)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); the default language is zh-hans."""
    with translation.override("en"):
        yield


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


# --- creating ----------------------------------------------------------------------------------

def test_community_worker_creates_a_gate(gate):
    # A community worker manages the gate but may not edit places in general (no geo.edit).
    cp = services.create_checkpoint(actor=gate.worker_a, jurisdiction=gate.community_a,
                                    name=" 南门 ", address="泺源大街2号")
    assert cp.place.kind == PlaceKind.CHECKPOINT and cp.name == "南门"
    assert cp.jurisdiction == gate.community_a and cp.site_id == cp.place_id and cp.active
    assert AuditEvent.objects.filter(object_id=str(cp.place_id), action="create").exists()


def test_lobby_checkpoint_shares_its_buildings_site(gate):
    cp = services.create_checkpoint(actor=gate.worker_a, jurisdiction=gate.grid_a1,
                                    name="侧门", building=gate.tower)
    assert cp.place.building == gate.tower and cp.site_id == gate.tower.pk == gate.lobby.site_id


def _count():
    return Place.objects.filter(kind=PlaceKind.CHECKPOINT).count()


@pytest.mark.parametrize("where, message", [
    ("community_b", "do not manage the gate"),
    ("lixia_community", "do not manage the gate"),
    ("luoyuan", "belongs to a community"),
])
def test_jurisdiction_must_be_a_community_in_scope(gate, where, message):
    before = _count()
    with pytest.raises(ValidationError) as exc:
        services.create_checkpoint(actor=gate.worker_a, jurisdiction=getattr(gate, where),
                                   name="北门")
    assert message in errors_of(exc)["jurisdiction"][0]
    assert _count() == before


def test_building_must_be_in_the_same_community(gate):
    other_tower = factories.place(gate.community_b, "金龙大厦")
    with pytest.raises(ValidationError) as exc:
        services.create_checkpoint(actor=gate.commander, jurisdiction=gate.community_a,
                                   name="大堂", building=other_tower)
    assert "金龙大厦 is not in 甲社区" in errors_of(exc)["building"][0]


def test_building_must_be_a_building(gate):
    shop = factories.place(gate.community_a, "小卖部", kind=PlaceKind.VENUE, venue_category="shop")
    with pytest.raises(ValidationError) as exc:
        services.create_checkpoint(actor=gate.worker_a, jurisdiction=gate.community_a,
                                   name="大堂", building=shop)
    assert "not a building" in errors_of(exc)["building"][0]


def test_name_is_required_and_unique_in_the_community(gate):
    with pytest.raises(ValidationError) as exc:
        services.create_checkpoint(actor=gate.worker_a, jurisdiction=gate.community_a, name=" ")
    assert "name" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        services.create_checkpoint(actor=gate.worker_a, jurisdiction=gate.community_a, name="东门")
    assert "already has a checkpoint called “东门”" in errors_of(exc)["name"][0]
    # The same name in another community is fine.
    services.create_checkpoint(actor=gate.worker_b, jurisdiction=gate.community_b, name="东门")


def test_bad_guards_on_create_write_nothing(gate):
    before = _count()
    with pytest.raises(ValidationError) as exc:
        services.create_checkpoint(actor=gate.worker_a, jurisdiction=gate.community_a,
                                   name="北门", guards=[gate.guard_b])
    assert "guards" in errors_of(exc)
    assert _count() == before


# --- guards --------------------------------------------------------------------------------

def test_guard_candidates_hold_a_guard_role_above_at_or_below(gate):
    grid_guard = factories.user("grid_guard", "checkpoint_guard", gate.grid_a1)
    sub_guard = factories.user("sub_guard", "checkpoint_guard", gate.luoyuan)
    station = factories.user("station", "station_staff", gate.community_a)
    factories.user("lixia_guard", "checkpoint_guard", gate.lixia_community)
    names = set(services.guard_candidates(gate.gate_a).values_list("username", flat=True))
    assert names == {"guard_a", "grid_guard", "sub_guard", "station"}
    assert grid_guard and sub_guard and station
    # Community staff manage (and register) anyway; volunteers cannot register.
    assert not {"worker_a", "volunteer", "guard_b"} & names


def test_set_guards_replaces_them(gate):
    second = factories.user("guard_a2", "checkpoint_guard", gate.community_a)
    services.set_guards(gate.gate_a, [second], actor=gate.worker_a)
    assert list(gate.gate_a.guards.all()) == [second]
    assert set(Checkpoint.objects.visible_to(second, "gate.register")) == {gate.gate_a}
    assert not Checkpoint.objects.visible_to(gate.guard, "gate.register").exists()


@pytest.mark.parametrize("who", ["guard_b", "volunteer", "worker_b"])
def test_set_guards_refuses_users_without_the_guard_role_here(gate, who):
    with pytest.raises(ValidationError) as exc:
        services.set_guards(gate.gate_a, [gate.guard, getattr(gate, who)], actor=gate.worker_a)
    assert str(getattr(gate, who)) in errors_of(exc)["guards"][0]
    assert list(gate.gate_a.guards.all()) == [gate.guard]


@pytest.mark.parametrize("who", ["guard", "worker_b", "grid_worker"])
def test_only_gate_managers_set_guards(gate, who):
    with pytest.raises(NotAllowed):
        services.set_guards(gate.gate_a, [], actor=getattr(gate, who))
    assert gate.gate_a.guards.count() == 1


def test_a_grid_guard_assigned_to_the_community_gate_may_register_there(gate):
    grid_guard = factories.user("grid_guard", "checkpoint_guard", gate.grid_a1)
    assert not Checkpoint.objects.visible_to(grid_guard, "gate.register").exists()
    services.set_guards(gate.gate_a, [gate.guard, grid_guard], actor=gate.worker_a)
    assert list(Checkpoint.objects.visible_to(grid_guard, "gate.register")) == [gate.gate_a]


# --- where one may register --------------------------------------------------------------

def test_registrable_lists_each_checkpoint_once(gate):
    # Regression: OR-ing "guarded by me" with "managed by me" joined the guards table and
    # listed a checkpoint once per guard.
    extra = [factories.user(f"g{i}", "checkpoint_guard", gate.community_a) for i in range(3)]
    services.set_guards(gate.gate_a, [gate.guard, *extra], actor=gate.worker_a)
    ids = list(Checkpoint.objects.visible_to(gate.worker_a, "gate.register").values_list("pk", flat=True))
    assert sorted(ids) == sorted({gate.gate_a.pk, gate.lobby.pk})
    assert Checkpoint.objects.visible_to(gate.worker_a, "gate.register").count() == 2


def test_registrable_for_guard_manager_commander_and_outsider(gate):
    assert list(Checkpoint.objects.visible_to(gate.guard, "gate.register")) == [gate.gate_a]
    assert set(Checkpoint.objects.visible_to(gate.commander, "gate.register")) == {
        gate.gate_a, gate.gate_b, gate.lobby}
    assert not Checkpoint.objects.visible_to(gate.volunteer, "gate.register").exists()
    assert not Checkpoint.objects.visible_to(gate.grid_worker, "gate.register").exists()


def test_registrable_leaves_out_checkpoints_not_in_use_and_lost_roles(gate):
    force_update(Checkpoint.objects.filter(pk=gate.gate_a.pk), active=False)
    assert not Checkpoint.objects.visible_to(gate.guard, "gate.register").exists()
    force_update(Checkpoint.objects.filter(pk=gate.gate_a.pk), active=True)
    force_update(gate.guard.role_assignments.all(), active=False)
    gate.guard = type(gate.guard).objects.get(pk=gate.guard.pk)  # fresh scope
    assert not Checkpoint.objects.visible_to(gate.guard, "gate.register").exists()


# --- devices -------------------------------------------------------------------------------

def test_device_token_works_until_revoked(gate):
    device, token = services.register_device(gate.gate_a, actor=gate.guard, name="前台手机")
    assert token.startswith("smd_") and token not in device.token_digest
    assert services.device_for_token(token) == device
    services.revoke_device(device, actor=gate.worker_a)
    assert services.device_for_token(token) is None
    revoked_at = CheckpointDevice.objects.get(pk=device.pk).revoked_at
    assert revoked_at is not None
    services.revoke_device(device, actor=gate.worker_a)  # again: keeps the first time
    assert CheckpointDevice.objects.get(pk=device.pk).revoked_at == revoked_at


@pytest.mark.parametrize("who", ["guard", "worker_b"])
def test_only_gate_managers_revoke_devices(gate, who):
    device, token = services.register_device(gate.gate_a, actor=gate.guard, name="手机")
    with pytest.raises(NotAllowed):
        services.revoke_device(device, actor=getattr(gate, who))
    assert services.device_for_token(token) == device


def test_guard_cannot_register_a_device_elsewhere(gate):
    with pytest.raises(NotAllowed):
        services.register_device(gate.gate_b, actor=gate.guard, name="手机")
    assert not CheckpointDevice.objects.exists()


def test_unknown_or_malformed_tokens_resolve_to_nothing(gate):
    services.register_device(gate.gate_a, actor=gate.guard, name="手机")
    assert services.device_for_token("smd_nope") is None
    assert services.device_for_token("") is None
    assert services.device_for_token("Token abc") is None
