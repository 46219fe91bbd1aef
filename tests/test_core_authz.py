"""The one authorization path (shoumen.core.authz) and what every service is
(shoumen.core.services.service): asks authorize, runs in one transaction, audits its actor."""

import importlib
import inspect
import pkgutil

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

import shoumen
from shoumen.core import authz, request_context
from shoumen.core.models import AuditEvent
from shoumen.core.services import service
from shoumen.geo.models import Node, Place
from shoumen.people.models import Person
from tests.factories import person, place
from tests.helpers_gate_manage import api


def test_allows_an_object_in_scope_a_node_and_a_class(world):
    mine = person(world.worker_a, world.community_a, "甲")
    theirs = person(world.worker_b, world.community_b, "乙")
    assert authz.allows(world.worker_a, mine, "people.edit")
    assert not authz.allows(world.worker_a, theirs, "people.edit")
    assert not authz.allows(world.volunteer, mine, "people.edit")  # sees them, may not edit
    assert authz.allows(world.commander, world.community_b, "people.edit")
    assert not authz.allows(world.worker_a, world.luoyuan, "people.edit")  # a node above
    assert authz.allows(world.volunteer, Person, "people.view")
    assert not authz.allows(world.volunteer, Person, "people.edit")
    assert not authz.allows(None, mine, "people.view")


def test_a_queryset_is_allowed_only_whole(world):
    person(world.worker_a, world.community_a, "甲")
    person(world.worker_b, world.community_b, "乙")
    everyone = Person.objects.all()
    assert authz.allows(world.commander, everyone, "gate.passes")
    assert not authz.allows(world.worker_a, everyone, "gate.passes")
    assert authz.allows(world.worker_a, everyone.filter(jurisdiction=world.community_a),
                        "gate.passes")


def test_an_object_loaded_through_the_scope_needs_no_second_query(world):
    mine = person(world.worker_a, world.community_a, "甲")
    loaded = Person.objects.visible_to(world.worker_a, "people.edit").get(pk=mine.pk)
    with CaptureQueriesContext(connection) as queries:
        assert authz.allows(world.worker_a, loaded, "people.edit")
    assert len(queries) == 0
    # ...for that user and that capability only
    assert not authz.allows(world.volunteer, loaded, "people.edit")


def test_combining_querysets_forgets_the_scope(world):
    theirs = person(world.worker_b, world.community_b, "乙")
    scoped = Person.objects.visible_to(world.worker_a, "people.edit")
    combined = scoped | Person.objects.filter(pk=theirs.pk)
    found = combined.get(pk=theirs.pk)
    assert not authz.allows(world.worker_a, found, "people.edit")


def test_authorize_says_why_and_a_field_refusal_names_the_field(world):
    with pytest.raises(authz.NotAllowed) as refused:
        authz.authorize(world.volunteer, Person, "people.edit", "Ask your community.")
    assert str(refused.value) == "Ask your community."
    with pytest.raises(authz.NotAllowed, match="people.edit"):
        authz.authorize(world.volunteer, Person, "people.edit")
    with pytest.raises(ValidationError) as invalid:
        authz.authorize(world.worker_a, world.community_b, "people.edit", "Not yours.",
                        field="jurisdiction")
    assert invalid.value.message_dict == {"jurisdiction": ["Not yours."]}


@service
def _forgets_to_ask(*, actor):
    place(world_node(), "未经授权")


@service
def _asks(target, *, actor):
    authz.authorize(actor, target, "geo.edit")
    return place(target, "已授权")


def world_node():
    return Node.objects.get(code="370103001001")


def test_a_service_that_does_not_ask_is_refused_and_rolled_back(world):
    with pytest.raises(authz.Unauthorized, match="_forgets_to_ask"):
        _forgets_to_ask(actor=world.commander)
    assert not Place.objects.filter(name="未经授权").exists()


def test_a_service_audits_its_own_actor_not_the_requests(world):
    with request_context.acting_as(world.admin, request_id="req-outer"):
        created = _asks(world.community_a, actor=world.commander)
    event = AuditEvent.objects.get(object_id=str(created.pk), action="create",
                                   content_type__model="place")
    assert event.actor == world.commander and event.request_id == "req-outer"


def test_a_refusal_inside_a_service_writes_nothing(world):
    with pytest.raises(authz.NotAllowed):
        _asks(world.lixia_community, actor=world.commander)
    assert not Place.objects.filter(name="已授权").exists()


# Functions that take an actor but are not services: the demo data, which seeds whole worlds
# as the administrator.
NOT_SERVICES = ("shoumen.demo.", "shoumen.people.demo.", "shoumen.gate.demo.")


def _modules():
    for info in pkgutil.walk_packages(shoumen.__path__, "shoumen."):
        name = info.name
        if ".migrations" in name or ".management." in name or name.startswith(NOT_SERVICES):
            continue
        yield importlib.import_module(name)


def test_every_function_that_acts_for_someone_is_a_service():
    """A public function with an ``actor`` keyword changes state for that actor: it must be a
    service (and so ask authorize before it changes anything)."""
    found, missing = [], []
    for module in _modules():
        for name, func in vars(module).items():
            if (name.startswith("_") or not inspect.isfunction(func)
                    or func.__module__ != module.__name__):
                continue
            params = inspect.signature(inspect.unwrap(func)).parameters
            if "actor" in params and params["actor"].kind is inspect.Parameter.KEYWORD_ONLY:
                (found if getattr(func, "is_service", False) else missing).append(
                    f"{module.__name__}.{name}")
    assert not missing, f"not services: {missing}"
    assert len(found) >= 15  # the walk saw the apps' services


def test_pages_and_api_answer_a_refusal_with_its_reason(world, login):
    client = login(world.volunteer)
    response = client.get("/places/new/")
    assert response.status_code == 403
    assert "You may not add places" in response.content.decode()
    mine = person(world.worker_a, world.community_a, "甲")
    response = api(world.volunteer).post(f"/api/people/persons/{mine.pk}/status/",
                                          {"status": "home_observation", "reason": "测试"},
                                          format="json")
    assert response.status_code == 403
    assert "people.status" in response.json()["detail"]
