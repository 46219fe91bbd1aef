import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shoumen.accounts.models import RoleAssignment
from shoumen.core.scoping import collapse_paths, scope_for, subtree_q
from shoumen.geo.models import Node, NodeKind
from shoumen.people.models import Person
from shoumen.resumption.models import Enterprise
from tests.factories import enterprise, force_update, node, person, user


def test_subtree_is_exact(world):
    names = set(world.luoyuan.subtree().values_list("name", flat=True))
    assert names == {"泺源街道", "甲社区", "乙社区", "甲社区一网格"}
    assert set(world.community_a.subtree().values_list("name", flat=True)) == {"甲社区", "甲社区一网格"}


def test_subtree_does_not_leak_to_siblings_with_numeric_neighbours(world):
    # A sibling whose path is the numeric successor must not fall inside the range.
    assert not world.community_a.subtree().filter(pk=world.community_b.pk).exists()
    assert world.community_a.contains(world.grid_a1)
    assert not world.community_a.contains(world.community_b)


def test_subtree_query_is_one_indexed_range(world):
    with CaptureQueriesContext(connection) as ctx:
        list(Node.objects.filter(subtree_q(world.luoyuan.path)))
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    assert "LIKE" not in sql.upper() and ">=" in sql and "<" in sql
    sql, params = Node.objects.filter(subtree_q(world.luoyuan.path)).only("id").query.sql_with_params()
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny table: ask for the plan it can use
        cursor.execute(explain + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall()).lower()
    assert "index" in plan, plan


def test_collapse_paths_drops_descendants():
    assert collapse_paths(["0001", "00010002", "0003"]) == ["0001", "0003"]


def test_ancestors_in_order(world):
    names = [n.name for n in world.grid_a1.ancestors()]
    assert names == ["济南市", "市中区", "泺源街道", "甲社区", "甲社区一网格"]


def test_node_kind_order_validated(world):
    from django.core.exceptions import ValidationError

    bad = Node(parent=world.community_a, kind=NodeKind.DISTRICT, code="x", name="x")
    with pytest.raises(ValidationError):
        bad.clean()


def test_people_scoping_by_role_and_node(world):
    a = person(world.worker_a, world.grid_a1, "甲一")
    b = person(world.worker_b, world.community_b, "乙一")
    assert set(Person.objects.visible_to(world.worker_a)) == {a}
    assert set(Person.objects.visible_to(world.worker_b)) == {b}
    assert set(Person.objects.visible_to(world.commander)) == {a, b}
    assert set(Person.objects.visible_to(world.grid_worker)) == {a}
    assert set(Person.objects.visible_to(world.admin)) == {a, b}


def test_capability_limits_scope(world):
    a = person(world.worker_a, world.community_a, "甲一")
    guard = user("guard", "checkpoint_guard", world.community_a)
    assert not Person.objects.visible_to(guard).exists()
    assert Person.objects.visible_to(world.volunteer).filter(pk=a.pk).exists()
    assert not Person.objects.visible_to(world.volunteer, "people.reveal").exists()
    assert Person.objects.visible_to(world.worker_a, "people.reveal").filter(pk=a.pk).exists()


def test_capability_applies_only_where_the_granting_role_is_held(world):
    # Volunteer in B (view only) + community worker in A: may reveal in A, not in B.
    mixed = user("mixed", "community_worker", world.community_a)
    RoleAssignment.objects.create(user=mixed, role="volunteer", node=world.community_b)
    a = person(world.worker_a, world.community_a, "甲一")
    b = person(world.worker_b, world.community_b, "乙一")
    assert set(Person.objects.visible_to(mixed)) == {a, b}
    assert set(Person.objects.visible_to(mixed, "people.reveal")) == {a}


def test_inactive_assignment_grants_nothing(world):
    force_update(world.worker_a.role_assignments.all(), active=False)
    world.worker_a._shoumen_scope = None
    person(world.admin, world.community_a, "甲一")
    assert not Person.objects.visible_to(world.worker_a).exists()


def test_anonymous_and_roleless_see_nothing(world, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    person(world.worker_a, world.community_a, "甲一")
    assert not Person.objects.visible_to(AnonymousUser()).exists()
    nobody = django_user_model.objects.create_user("nobody", password="x" * 12)
    assert not Person.objects.visible_to(nobody).exists()
    assert not scope_for(nobody).can("people.view")


def test_enterprise_liaison_sees_only_their_enterprise(world):
    own = enterprise(world.community_a, "泉客厅", credit_code="91370103MA3C8XJQ08")
    other = enterprise(world.community_a, "别家", credit_code="91370100MA3C5TQX93")
    liaison = user("liaison", "enterprise_liaison", enterprise=own)
    assert list(Enterprise.objects.visible_to(liaison)) == [own]
    assert set(Enterprise.objects.visible_to(world.commander)) == {own, other}
    assert not Person.objects.visible_to(liaison).exists()
    assert not Node.objects.visible_to(liaison).exists()


def test_other_district_user_sees_nothing_of_luoyuan(world):
    lixia_worker = user("lixia", "community_worker", world.lixia_community)
    person(world.worker_a, world.community_a, "甲一")
    assert not Person.objects.visible_to(lixia_worker).exists()
    n = node(world.lixia_community, NodeKind.GRID, "370102001001001", "丙一网格")
    assert Node.objects.visible_to(lixia_worker).filter(pk=n.pk).exists()
