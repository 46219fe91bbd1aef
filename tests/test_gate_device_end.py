"""A checkpoint device stops working the moment its guard may no longer guard its checkpoint:
role removed, deactivated or moved, guard unassigned, checkpoint closed, account deactivated.
On the general path (the API view) and the fast lane alike it answers 401 with a message the
checkpoint page shows, and the revocation is audited with its reason."""

import json
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from shoumen.accounts.models import RoleAssignment
from shoumen.core import request_context
from shoumen.core.models import AuditEvent
from shoumen.gate.checkpoints import services
from shoumen.gate.checkpoints.models import CheckpointDevice, DeviceRevocation
from shoumen.gate.entries.fastlane import GateFastLane
from shoumen.gate.entries.models import Entry
from shoumen.gate.passes import services as passes
from tests import factories
from tests.factories import force_update
from tests.test_gate_fastlane import Recorder, call


@pytest.fixture
def post(world):
    world.guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    world.gate_a = factories.checkpoint(world.community_a, guards=[world.guard])
    world.other_gate = factories.checkpoint(world.community_a, "西门", guards=[world.guard])
    world.pass_ = passes.issue_pass(factories.person(world.worker_a, world.grid_a1, "李四"),
                                    actor=world.worker_a)
    world.device, world.token = services.register_device(world.gate_a, actor=world.guard,
                                                         name="phone")
    return world


def scan(post):
    return {"uuid": str(uuid.uuid4()), "checkpoint": post.gate_a.pk, "direction": "in",
            "temperature": "36.5", "qr_text": post.pass_.qr_text}


def view_scan(post):
    client = Client(HTTP_AUTHORIZATION=f"Device {post.token}", HTTP_ACCEPT_LANGUAGE="en")
    return client.post("/api/gate/entries/", scan(post), content_type="application/json")


def lane_scan(post):
    """The fast lane in front of Django itself: it hands an unknown token to the view."""
    from django.core.handlers.wsgi import WSGIHandler

    status, payload = call(GateFastLane(WSGIHandler()), scan(post), token=post.token)
    return status, json.loads(payload)


def remove_role(post):
    RoleAssignment.objects.get(user=post.guard).delete()


def deactivate_role(post):
    assignment = RoleAssignment.objects.get(user=post.guard)
    assignment.active = False
    assignment.save()


def move_role(post):
    assignment = RoleAssignment.objects.get(user=post.guard)
    assignment.node = post.lixia_community
    assignment.save()


def unassign(post):
    services.set_guards(post.gate_a, [], actor=post.admin)  # the audit names the service's actor


def unassign_from_the_user_side(post):
    post.guard.guarded_checkpoints.remove(post.gate_a)


def close_checkpoint(post):
    post.gate_a.active = False
    post.gate_a.save()


def move_checkpoint(post):
    place = post.gate_a.place
    place.jurisdiction = post.lixia_community
    place.save()


def deactivate_account(post):
    post.guard.is_active = False
    post.guard.save()


CHANGES = {
    remove_role: DeviceRevocation.NO_ROLE_HERE,
    deactivate_role: DeviceRevocation.NO_ROLE_HERE,
    move_role: DeviceRevocation.NO_ROLE_HERE,
    unassign: DeviceRevocation.NOT_A_GUARD,
    unassign_from_the_user_side: DeviceRevocation.NOT_A_GUARD,
    close_checkpoint: DeviceRevocation.CHECKPOINT_CLOSED,
    move_checkpoint: DeviceRevocation.NO_ROLE_HERE,
    deactivate_account: DeviceRevocation.ACCOUNT_INACTIVE,
}


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_device_ends_with_its_guards_right_on_both_paths(post, change):
    assert view_scan(post).status_code == 201
    with request_context.acting_as(post.admin):
        change(post)
    device = CheckpointDevice.objects.get(pk=post.device.pk)
    assert device.revoked_at is not None and device.revoked_reason == CHANGES[change]

    response = view_scan(post)
    assert response.status_code == 401
    assert str(DeviceRevocation(CHANGES[change]).label) in response.json()["detail"]
    assert "register it again" in response.json()["detail"]
    status, body = lane_scan(post)
    assert status == 401 and body == response.json()
    assert Entry.objects.count() == 1

    revocation = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(CheckpointDevice),
        object_id=str(post.device.pk), action="update").get()
    assert revocation.actor == post.admin
    assert revocation.after["revoked_reason"] == CHANGES[change]


def test_a_guard_who_still_may_keeps_the_device(post):
    """Changes that leave the right intact end nothing: another checkpoint unassigned, a
    second role removed, the login stamp."""
    factories.user("guard_b", "checkpoint_guard", post.community_a)
    extra = RoleAssignment.objects.create(user=post.guard, role="volunteer", node=post.community_a)
    extra.delete()
    post.guard.guarded_checkpoints.remove(post.other_gate)
    post.guard.save(update_fields=["last_login"])
    services.set_guards(post.gate_a, [post.guard], actor=post.worker_a)
    assert CheckpointDevice.objects.get(pk=post.device.pk).revoked_at is None
    assert view_scan(post).status_code == 201


def test_the_daily_sweep_ends_what_bypassed_the_signals(post):
    force_update(RoleAssignment.objects.filter(user=post.guard), active=False)  # no signal
    assert CheckpointDevice.objects.get(pk=post.device.pk).revoked_at is None
    from shoumen.gate.tasks import retire_unguarded_devices

    assert retire_unguarded_devices.call() == 1
    device = CheckpointDevice.objects.get(pk=post.device.pk)
    assert device.revoked_reason == DeviceRevocation.NO_ROLE_HERE
    assert view_scan(post).status_code == 401
    assert retire_unguarded_devices.call() == 0


def test_staff_revocation_says_so_in_the_guards_language(post):
    services.revoke_device(post.device, actor=post.worker_a)
    client = Client(HTTP_AUTHORIZATION=f"Device {post.token}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post("/api/gate/entries/", scan(post), content_type="application/json")
    assert response.status_code == 401
    assert "社区工作人员吊销" in response.json()["detail"]


def test_unknown_token_keeps_the_general_message(post):
    client = Client(HTTP_AUTHORIZATION="Device smd_nothing", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/api/gate/entries/", scan(post), content_type="application/json")
    assert response.status_code == 401 and "unknown or was revoked" in response.json()["detail"]


def test_lane_recorder_never_sees_a_live_scan_after_the_end(post):
    """The fast lane itself refuses an ended device: it hands the request on, never stores."""
    deactivate_account(post)
    django = Recorder()
    status, _payload = call(GateFastLane(django), scan(post), token=post.token)
    assert status == 418 and len(django.calls) == 1 and Entry.objects.count() == 0
