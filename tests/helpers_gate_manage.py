"""Shared set-up of the gate management tests (checkpoints, fever, retention, pages, API)."""

import uuid
from datetime import timedelta

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoumen.gate.entries.models import Entry
from shoumen.gate.entries.services import register
from tests import factories


def gate_world(world):
    """Two community gates with a guard each, a tower lobby in 甲社区, a resident of 甲社区's
    grid and one of 乙社区."""
    world.guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    world.guard_b = factories.user("guard_b", "checkpoint_guard", world.community_b)
    world.gate_a = factories.checkpoint(world.community_a, "东门", guards=[world.guard])
    world.gate_b = factories.checkpoint(world.community_b, "西门", guards=[world.guard_b])
    world.tower = factories.place(world.community_a, "绿地中心")
    world.lobby = factories.checkpoint(world.community_a, "绿地中心大堂", building=world.tower)
    world.resident = factories.person(world.worker_a, world.grid_a1, "李四",
                                      phone="13812345678")
    world.resident_b = factories.person(world.worker_b, world.community_b, "王五")
    return world


def enter(world, temperature="36.5", *, checkpoint=None, person=None, at=None, direction="in"):
    """Register one entry by look-up (no pass) and return the outcome: by 东门's guard there,
    by the administrator elsewhere (a guard registers only where they guard)."""
    checkpoint = checkpoint or world.gate_a
    actor = world.guard if checkpoint == world.gate_a else world.admin
    return register(checkpoint=checkpoint, actor=actor,
                    direction=direction, temperature=temperature,
                    person=person or world.resident, at=at)


def old_entry(world, days_ago: float, *, checkpoint=None, person=None, fever=False) -> Entry:
    """An entry from ``days_ago`` days back, written directly (registration refuses entries
    older than the retention period)."""
    checkpoint = checkpoint or world.gate_a
    return Entry.objects.create(
        uuid=uuid.uuid4(), checkpoint=checkpoint, site_id=checkpoint.site_id,
        at=timezone.now() - timedelta(days=days_ago), direction="in",
        temperature="37.8" if fever else "36.5", fever=fever, person=person or world.resident,
        method="lookup", guard=world.guard)


def api(user) -> APIClient:
    """A client authenticated by token, asking for English messages."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
