"""Shared data for the trace and close-contact tests: checkpoints at several sites (a tower
with two lobbies sharing one site) and a small outbreak around a case."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from shoumen.gate.entries.models import Entry
from shoumen.people.models import PersonStatus
from shoumen.people.services import change_status
from tests import factories


def add_entry(person, checkpoint, at, direction="in", temperature="36.5"):
    return Entry.objects.create(
        uuid=uuid.uuid4(), checkpoint=checkpoint, site_id=checkpoint.site_id, at=at,
        direction=direction, temperature=Decimal(temperature), person=person, method="lookup",
        fever=Decimal(temperature) >= Decimal(str(settings.FEVER_THRESHOLD_C)))


def with_sites(world):
    """Two community gates, a tower with two lobbies (one site), a gate in another district."""
    tower = factories.place(world.community_a, "绿地中心")
    world.gate_a = factories.checkpoint(world.community_a, "甲社区东门")
    world.gate_b = factories.checkpoint(world.community_b, "乙社区北门")
    world.lobby_1 = factories.checkpoint(world.community_a, "绿地中心南大堂", building=tower)
    world.lobby_2 = factories.checkpoint(world.community_a, "绿地中心北大堂", building=tower)
    world.gate_c = factories.checkpoint(world.lixia_community, "丙社区西门")
    world.tower = tower
    return world


def with_outbreak(sites):
    """``with_sites`` and a case in 甲社区 met five people at its gate: two normal ones in 甲社区, one already
    under home observation, one confirmed case, one in 乙社区 (another worker's)."""
    mk = factories.person
    sites.case = mk(sites.worker_a, sites.community_a, "病例")
    sites.normal_1 = mk(sites.worker_a, sites.community_a, "接触一")
    sites.normal_2 = mk(sites.worker_a, sites.grid_a1, "接触二")
    sites.observed = mk(sites.worker_a, sites.community_a, "已观察")
    sites.confirmed = mk(sites.worker_a, sites.community_a, "确诊")
    sites.elsewhere = mk(sites.worker_b, sites.community_b, "乙社区人")
    change_status(sites.observed, actor=sites.worker_a, status=PersonStatus.HOME_OBSERVATION,
                  reason="早前")
    change_status(sites.confirmed, actor=sites.worker_a, status=PersonStatus.CONFIRMED,
                  reason="确诊")
    t = timezone.now() - timedelta(days=2)
    add_entry(sites.case, sites.gate_a, t)
    for i, p in enumerate([sites.normal_1, sites.normal_2, sites.observed, sites.confirmed,
                           sites.elsewhere]):
        add_entry(p, sites.gate_a, t + timedelta(minutes=i + 1))
    return sites
