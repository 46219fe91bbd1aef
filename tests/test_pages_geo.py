"""Jurisdiction tree and places pages: scoping, tree, filters, create/edit with validation."""

import pytest
from django.urls import reverse

from shoumen.core.models import AuditEvent
from shoumen.geo.models import Place, PlaceKind
from tests.factories import enterprise, place, user


@pytest.fixture
def places(world):
    return {
        "green": place(world.community_a, "绿地中心", address="泺源大街1号",
                       property_company="绿地物业"),
        "shop": place(world.community_a, "小卖部", kind=PlaceKind.VENUE, venue_category="shop"),
        "jinlong": place(world.community_b, "金龙大厦"),
        "station": place(world.lixia_community, "济南火车站", kind=PlaceKind.STATION),
    }


def test_node_list_is_an_indented_tree_of_visible_nodes(world, login):
    r = login(world.worker_a).get(reverse("geo:node-list"))
    assert r.status_code == 200
    nodes = {n.name: n.indent for n in r.context["page_obj"]}
    assert nodes == {"甲社区": 0, "甲社区一网格": 1}
    body = r.content.decode()
    assert "乙社区" not in body and "table-responsive" in body


def test_node_list_for_commander_and_admin(world, login, places):
    r = login(world.commander).get(reverse("geo:node-list"))
    nodes = {n.name: n for n in r.context["page_obj"]}
    assert set(nodes) == {"泺源街道", "甲社区", "乙社区", "甲社区一网格"}
    assert nodes["泺源街道"].indent == 0 and nodes["甲社区一网格"].indent == 2
    assert nodes["泺源街道"].n_children == 2 and nodes["甲社区"].n_places == 2
    r = login(world.admin).get(reverse("geo:node-list"))
    assert "济南市" in r.content.decode() and "丙社区" in r.content.decode()


def test_node_list_filter_and_htmx_partial(world, login):
    r = login(world.commander).get(reverse("geo:node-list"), {"q": "乙"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body
    assert "乙社区" in body and "甲社区" not in body


def test_node_list_forbidden_without_geo_view(world, login):
    e = enterprise(world.community_a, "泉客厅")
    liaison = user("liaison", "enterprise_liaison", enterprise=e)
    r = login(liaison).get(reverse("geo:node-list"))
    assert r.status_code == 403


def test_node_detail_breadcrumbs_children_places(world, login, places):
    r = login(world.worker_a).get(reverse("geo:node-detail", args=[world.community_a.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert [a.name for a in r.context["ancestors"]] == ["济南市", "市中区", "泺源街道"]
    assert not any(a.visible for a in r.context["ancestors"])  # above worker_a: shown, not linked
    assert reverse("geo:node-detail", args=[world.luoyuan.pk]) not in body
    assert "甲社区一网格" in body and "绿地中心" in body and "小卖部" in body
    assert "金龙大厦" not in body
    r = login(world.commander).get(reverse("geo:node-detail", args=[world.community_a.pk]))
    assert reverse("geo:node-detail", args=[world.luoyuan.pk]) in r.content.decode()


def test_node_detail_out_of_scope_is_404(world, login):
    c = login(world.worker_a)
    assert c.get(reverse("geo:node-detail", args=[world.community_b.pk])).status_code == 404
    assert c.get(reverse("geo:node-detail", args=[world.luoyuan.pk])).status_code == 404


def test_place_list_scoped_and_filtered(world, login, places):
    c = login(world.commander)
    r = c.get(reverse("geo:place-list"))
    assert r.status_code == 200
    names = {p.name for p in r.context["page_obj"]}
    assert names == {"绿地中心", "小卖部", "金龙大厦"}
    r = c.get(reverse("geo:place-list"), {"kind": "venue"})
    assert {p.name for p in r.context["page_obj"]} == {"小卖部"}
    r = c.get(reverse("geo:place-list"), {"node": world.community_b.pk})
    assert {p.name for p in r.context["page_obj"]} == {"金龙大厦"}
    r = c.get(reverse("geo:place-list"), {"q": "绿地物业"})
    assert {p.name for p in r.context["page_obj"]} == {"绿地中心"}
    # A node outside the user's scope is not a valid filter choice.
    r = c.get(reverse("geo:place-list"), {"node": world.lixia_community.pk})
    assert r.status_code == 200 and r.context["filter"].form.errors.get("node")
    assert "济南火车站" not in r.content.decode()


def test_place_list_sort_and_htmx(world, login, places):
    r = login(world.commander).get(reverse("geo:place-list"), {"ordering": "-name"},
                                   HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "<html" not in body and 'data-table="places"' in body
    assert [p.name for p in r.context["page_obj"]] == sorted(
        ["绿地中心", "小卖部", "金龙大厦"], reverse=True)


def test_place_detail_and_404(world, login, places):
    e = enterprise(world.community_a, "泉客厅", building=places["green"], floor_room="1F")
    inside = place(world.community_a, "绿地中心1号门", kind=PlaceKind.CHECKPOINT,
                   building=places["green"])
    r = login(world.worker_a).get(reverse("geo:place-detail", args=[places["green"].pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "绿地物业" in body and inside.name in body
    panel = reverse("resumption:building-enterprises", args=[places["green"].pk])
    assert panel in body and e.name in login(world.worker_a).get(panel).content.decode()
    assert 'data-action="edit"' not in body  # community workers have no geo.edit
    r = login(world.worker_a).get(reverse("geo:place-detail", args=[places["jinlong"].pk]))
    assert r.status_code == 404


def test_place_create_needs_geo_edit(world, login):
    data = {"jurisdiction": world.community_a.pk, "kind": "building", "name": "新楼"}
    c = login(world.worker_a)
    assert c.get(reverse("geo:place-create")).status_code == 403
    assert c.post(reverse("geo:place-create"), data).status_code == 403
    assert not Place.objects.exists()


def test_place_create_limits_jurisdictions_and_saves_audited(world, login):
    c = login(world.commander)
    r = c.get(reverse("geo:place-create"), {"node": world.community_a.pk})
    assert r.status_code == 200
    choices = set(r.context["form"].fields["jurisdiction"].queryset)
    assert world.lixia_community not in choices and world.community_b in choices
    r = c.post(reverse("geo:place-create"), {"jurisdiction": world.lixia_community.pk,
                                             "kind": "building", "name": "外区楼"})
    assert r.status_code == 200 and r.context["form"].errors["jurisdiction"]
    r = c.post(reverse("geo:place-create"), {"jurisdiction": world.community_a.pk,
                                             "kind": "building", "name": "银座晶都",
                                             "contact_phone": "0531-86001234", "active": "on"})
    new = Place.objects.get(name="银座晶都")
    assert r.status_code == 302 and r["Location"] == reverse("geo:place-detail", args=[new.pk])
    assert new.contact_phone == "053186001234"
    assert AuditEvent.objects.filter(action="create", object_id=str(new.pk),
                                     actor=world.commander).exists()


def test_place_model_validation_shows_as_form_error(world, login):
    r = login(world.commander).post(reverse("geo:place-create"), {
        "jurisdiction": world.community_a.pk, "kind": "venue", "name": "无类别小店"})
    assert r.status_code == 200
    assert "nine kinds of small venues" in r.content.decode()
    assert 'value="无类别小店"' in r.content.decode()
    assert not Place.objects.exists()


def test_place_duplicate_name_and_bad_phone(world, login, places):
    r = login(world.commander).post(reverse("geo:place-create"), {
        "jurisdiction": world.community_a.pk, "kind": "building", "name": "绿地中心",
        "contact_phone": "12345"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "is not a mainland phone number" in body
    assert Place.objects.filter(name="绿地中心").count() == 1
    r = login(world.commander).post(reverse("geo:place-create"), {
        "jurisdiction": world.community_a.pk, "kind": "building", "name": "绿地中心"})
    assert r.status_code == 200 and "already has a place of this kind" in r.content.decode()
    assert Place.objects.filter(name="绿地中心").count() == 1


def test_place_edit(world, login, places):
    green = places["green"]
    url = reverse("geo:place-edit", args=[green.pk])
    assert login(world.worker_b).get(url).status_code == 404
    r = login(world.worker_a).get(url)
    assert r.status_code == 403 and "not change it" in r.content.decode()
    c = login(world.commander)
    assert c.get(url).status_code == 200
    r = c.post(url, {"jurisdiction": world.community_a.pk, "kind": "building", "name": "绿地中心",
                     "address": "泺源大街1号", "property_company": "新物业", "active": "on"})
    assert r.status_code == 302
    green.refresh_from_db()
    assert green.property_company == "新物业"
    event = AuditEvent.objects.filter(action="update", object_id=str(green.pk)).latest("id")
    assert event.before == {"property_company": "绿地物业"}
    assert event.after == {"property_company": "新物业"}
