"""Ids out of the database's range, or not numbers at all, are a 404 in a path and a 400 in a
query or body — never a 500 (SQLite raises OverflowError for an integer past 64 bits)."""

import pytest
from django.test import Client

from shoumen.core.ids import MAX_ID, parse_id
from shoumen.geo.models import Node

HUGE = "10000000000000000000"  # > 2**63 - 1


@pytest.fixture
def admin_client(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.admin)
    return client


@pytest.mark.parametrize("value, expected", [
    ("12", 12), (12, 12), (" 7 ", 7), (str(MAX_ID), MAX_ID), (HUGE, None), (MAX_ID + 1, None),
    (0, None), (-3, None), ("-3", None), (True, None), (None, None), ("null,null", None),
    ("١٢", None), ("1e3", None), (1.0, None), ([1], None),
])
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("url", [
    "/api/ledgers/exports/null%2Cnull/download/",
    "/api/ledgers/imports/null%2Cnull/error-report/",
    f"/api/people/persons/{HUGE}/",
    f"/api/gate/checkpoints/{HUGE}/",
    f"/gate/checkpoints/{HUGE}/",
    f"/gate/people/{HUGE}/trace/",
    f"/people/{HUGE}/",
    f"/places/{HUGE}/",
    "/places/nodes/99999999999999999999999/",
])
def test_an_id_past_the_range_in_a_path_is_a_404(admin_client, url):
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    f"/api/gate/entry-log/?checkpoint={HUGE}",
    "/api/gate/lookup/?checkpoint=2336889268185810513852104704&q=abc",
    f"/api/gate/refusals/?checkpoint={HUGE}",
    f"/api/geo/nodes/?parent={HUGE}",
    f"/api/people/persons/?node={HUGE}",
    f"/api/audit/events/?actor={HUGE}",
])
def test_an_id_past_the_range_in_a_query_is_a_400_that_says_so(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 400, response.content
    assert response.json()


def test_a_batch_item_with_a_huge_checkpoint_is_invalid_alone(admin_client, world):
    from tests import factories

    gate = factories.checkpoint(world.community_a)
    good = {"uuid": "0b0c0d0e-0000-4000-8000-000000000001", "checkpoint": gate.pk,
            "direction": "in", "temperature": "36.5", "person": factories.person(
                world.worker_a, world.grid_a1).pk}
    bad = {**good, "uuid": "0b0c0d0e-0000-4000-8000-000000000002",
           "checkpoint": 37114070616316379136}
    response = admin_client.post("/api/gate/entries/batch/", {"entries": [good, bad]},
                                 content_type="application/json")
    assert response.status_code == 200
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["stored", "invalid"]


def test_guards_of_a_huge_checkpoint_is_a_404(admin_client):
    response = admin_client.post("/api/gate/checkpoints/1616453560769602704637952/guards/",
                                 {"guards": []}, content_type="application/json")
    assert response.status_code == 404


def test_relations_match_nothing_for_an_id_past_the_range(world):
    assert not Node.objects.filter(parent=10**20).exists()
    assert set(Node.objects.filter(parent__in=[10**20, world.city.pk])) == {world.shizhong,
                                                                           world.lixia}
    assert not Node.objects.filter(parent__in=[10**20]).exists()
