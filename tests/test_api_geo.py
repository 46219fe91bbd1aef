"""Geo API: the jurisdiction tree (read-only, scoped) and places (CRUD with geo.edit)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoumen.core.models import AuditAction, AuditEvent
from shoumen.geo.models import Place, PlaceKind
from tests.factories import enterprise, place

NODES = "/api/geo/nodes/"
PLACES = "/api/geo/places/"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def tower(world):
    return place(world.community_a, "绿地中心", address="泺源大街8号")


def names(response):
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_nodes_are_scoped(world):
    assert names(api(world.worker_a).get(NODES)) == {"甲社区", "甲社区一网格"}
    assert names(api(world.commander).get(NODES)) == {"泺源街道", "甲社区", "乙社区", "甲社区一网格"}
    assert api(world.worker_a).get(f"{NODES}{world.community_b.pk}/").status_code == 404
    r = api(world.worker_a).get(f"{NODES}{world.grid_a1.pk}/")
    assert r.json() == {"id": world.grid_a1.pk, "code": "370103001001001", "name": "甲社区一网格",
                        "kind": 5, "kind_label": "Grid", "parent": world.community_a.pk,
                        "depth": 5}


def test_node_filter(world):
    client = api(world.admin)
    assert names(client.get(NODES, {"kind": 4})) == {"甲社区", "乙社区", "丙社区"}
    assert names(client.get(NODES, {"parent": world.luoyuan.pk})) == {"甲社区", "乙社区"}
    assert names(client.get(NODES, {"q": "37010300100"})) == {"甲社区", "乙社区", "甲社区一网格"}


def test_nodes_are_read_only(world):
    r = api(world.admin).post(NODES, {"name": "x", "kind": 4, "code": "1",
                                      "parent": world.luoyuan.pk}, format="json")
    assert r.status_code == 405


def test_places_list_scoped_and_filtered(world, tower):
    other = place(world.community_b, "银座晶都")
    assert names(api(world.worker_a).get(PLACES)) == {"绿地中心"}
    assert names(api(world.commander).get(PLACES, {"node": world.community_b.pk})) == {"银座晶都"}
    assert names(api(world.commander).get(PLACES, {"q": "泺源大街"})) == {"绿地中心"}
    assert api(world.worker_b).get(f"{PLACES}{tower.pk}/").status_code == 404
    assert api(world.worker_b).patch(f"{PLACES}{tower.pk}/", {"name": "x"},
                                     format="json").status_code == 404
    assert api(world.worker_b).delete(f"{PLACES}{tower.pk}/").status_code == 404
    assert Place.objects.filter(pk=other.pk).exists() and Place.objects.filter(pk=tower.pk).exists()


def test_commander_creates_a_place(world, tower):
    body = {"jurisdiction": world.community_a.pk, "kind": "venue", "venue_category": "restaurant",
            "name": "泉客厅", "building": tower.pk}
    r = api(world.commander).post(PLACES, body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["jurisdiction_name"] == "甲社区" and r.json()["kind_label"] == "Venue"
    venue = Place.objects.get(name="泉客厅")
    assert venue.building == tower
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(venue.pk),
                                     actor=world.commander, object_repr="泉客厅").exists()


def test_creating_a_place_needs_geo_edit(world):
    body = {"jurisdiction": world.community_a.pk, "kind": "building", "name": "金龙大厦"}
    r = api(world.worker_a).post(PLACES, body, format="json")
    assert r.status_code == 403
    assert "geo.edit" in r.json()["detail"]
    assert not Place.objects.exists()


def test_place_in_an_invisible_jurisdiction_is_400(world):
    body = {"jurisdiction": world.lixia_community.pk, "kind": "building", "name": "金龙大厦"}
    r = api(world.commander).post(PLACES, body, format="json")
    assert r.status_code == 400
    assert "within your area" in r.json()["jurisdiction"][0]
    assert not Place.objects.exists()


def test_model_clean_errors_are_400(world, tower):
    client = api(world.commander)
    r = client.post(PLACES, {"jurisdiction": world.community_a.pk, "kind": "venue",
                             "name": "无类别"}, format="json")
    assert r.status_code == 400
    assert "nine kinds" in r.json()["venue_category"][0]
    r = client.post(PLACES, {"jurisdiction": world.community_a.pk, "kind": "building",
                             "name": "绿地中心"}, format="json")
    assert r.status_code == 400
    assert Place.objects.count() == 1


def test_a_venue_category_is_cleared_for_other_kinds(world):
    r = api(world.commander).post(PLACES, {"jurisdiction": world.community_a.pk, "kind": "building",
                                           "venue_category": "shop", "name": "金龙大厦"},
                                  format="json")
    assert r.status_code == 201
    assert r.json()["venue_category"] == ""


def test_update_and_move_a_place(world, tower):
    client = api(world.commander)
    r = client.patch(f"{PLACES}{tower.pk}/", {"property_company": "绿地物业",
                                              "jurisdiction": world.community_b.pk},
                     format="json")
    assert r.status_code == 200, r.json()
    tower.refresh_from_db()
    assert tower.property_company == "绿地物业" and tower.jurisdiction == world.community_b
    ev = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(tower.pk)).latest("id")
    assert ev.after["property_company"] == "绿地物业"
    # Out of the commander's area: 400, nothing changes.
    r = client.patch(f"{PLACES}{tower.pk}/", {"jurisdiction": world.lixia_community.pk},
                     format="json")
    assert r.status_code == 400
    tower.refresh_from_db()
    assert tower.jurisdiction == world.community_b


def test_worker_cannot_edit_a_place_they_can_see(world, tower):
    r = api(world.worker_a).patch(f"{PLACES}{tower.pk}/", {"name": "改名"}, format="json")
    assert r.status_code == 403
    tower.refresh_from_db()
    assert tower.name == "绿地中心"


def test_delete_a_place_in_use_is_409(world, tower):
    enterprise(world.community_a, "泉客厅餐饮", building=tower)
    client = api(world.commander)
    r = client.delete(f"{PLACES}{tower.pk}/")
    assert r.status_code == 409
    assert "no longer in use" in r.json()["detail"]
    assert Place.objects.filter(pk=tower.pk).exists()
    spare = place(world.community_a, "空楼", kind=PlaceKind.BUILDING)
    assert client.delete(f"{PLACES}{spare.pk}/").status_code == 204
    assert not Place.objects.filter(pk=spare.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_id=str(spare.pk)).exists()
