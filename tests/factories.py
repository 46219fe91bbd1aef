"""Small builders for test data. Each returns saved objects."""

from datetime import date
from itertools import count

from shoumen.accounts.models import RoleAssignment, User
from shoumen.geo.models import Node, NodeKind, Place, PlaceKind
from shoumen.people import fake, services
from shoumen.resumption.models import Enterprise

_seq = count(1)


def node(parent, kind, code, name):
    n = Node(parent=parent, kind=kind, code=code, name=name)
    n.save()
    return n


def user(username, role=None, at=None, enterprise=None, **extra):
    u = User.objects.create_user(username=username, password="pw-for-tests-123", **extra)
    if role:
        RoleAssignment.objects.create(user=u, role=role, node=at or enterprise.jurisdiction,
                                      enterprise=enterprise)
    return u


def person(actor, jurisdiction, name="张三", *, birth=date(1985, 3, 7), region="370103",
           phone="", **fields):
    seq = next(_seq)
    return services.create_person(
        actor=actor, jurisdiction=jurisdiction, name=name,
        id_number=fake.id_number(region, birth, seq), phone=phone, **fields,
    )


def place(jurisdiction, name, kind=PlaceKind.BUILDING, **fields):
    return Place.objects.create(jurisdiction=jurisdiction, name=name, kind=kind, **fields)


def enterprise(jurisdiction, name, credit_code="91370103MA3C8XJQ08", **fields):
    return Enterprise.objects.create(jurisdiction=jurisdiction, name=name,
                                     credit_code=credit_code, **fields)


class World:
    """济南市 → 市中区 → 泺源街道 → two communities (+ a grid), and 历下区 beside it."""

    def __init__(self):
        self.city = node(None, NodeKind.CITY, "370100", "济南市")
        self.shizhong = node(self.city, NodeKind.DISTRICT, "370103", "市中区")
        self.lixia = node(self.city, NodeKind.DISTRICT, "370102", "历下区")
        self.luoyuan = node(self.shizhong, NodeKind.SUBDISTRICT, "370103001", "泺源街道")
        self.community_a = node(self.luoyuan, NodeKind.COMMUNITY, "370103001001", "甲社区")
        self.community_b = node(self.luoyuan, NodeKind.COMMUNITY, "370103001002", "乙社区")
        self.grid_a1 = node(self.community_a, NodeKind.GRID, "370103001001001", "甲社区一网格")
        self.lixia_community = node(
            node(self.lixia, NodeKind.SUBDISTRICT, "370102001", "解放路街道"),
            NodeKind.COMMUNITY, "370102001001", "丙社区",
        )
        self.admin = User.objects.create_superuser("admin", password="pw-for-tests-123")
        self.worker_a = user("worker_a", "community_worker", self.community_a)
        self.worker_b = user("worker_b", "community_worker", self.community_b)
        self.grid_worker = user("grid_a1", "grid_worker", self.grid_a1)
        self.commander = user("commander", "subdistrict_commander", self.luoyuan)
        self.volunteer = user("volunteer", "volunteer", self.community_a)


def checkpoint(jurisdiction, name="东门", building=None, guards=()):
    """A checkpoint (the place and its gate row, made by the place's signal)."""
    p = place(jurisdiction, name, kind=PlaceKind.CHECKPOINT, building=building)
    cp = p.checkpoint
    if guards:
        cp.guards.set(guards)
    return cp


def force_update(queryset, **changes) -> int:
    """Change rows behind the audit's back, as a test sets up a state (a pass that has expired,
    a role deactivated with no signal sent). Application code uses audit.update_rows."""
    from django.db.models import QuerySet

    return QuerySet.update(queryset, **changes)


def api(user=None):
    """An API client asking for English messages, authenticated by ``user``'s token (none
    without a user)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
