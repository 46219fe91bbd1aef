"""The one workflow service (shoumen.core.workflow) and the three workflows on it: a person's
status, a fever alert's follow-up, an enterprise's status."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation

from shoumen.core import authz
from shoumen.core.models import AuditEvent
from shoumen.core.workflow import Step, Workflow
from shoumen.people.models import Person, PersonStatus, StatusChange
from shoumen.people.services import change_status
from tests.factories import enterprise, person
from tests.helpers_gate_manage import api

S = PersonStatus


@pytest.fixture(autouse=True)
def _english():
    """The assertions use the English messages, whatever translations are compiled."""
    with translation.override("en"):
        yield


def _status(world, to, frm=None, reason="测试"):
    who = person(world.worker_a, world.community_a, "张三") if frm is None else frm
    return who, change_status(who, actor=world.worker_a, status=to, reason=reason)


def test_a_step_writes_its_history_and_one_audited_update_with_the_step_as_note(world):
    who, change = _status(world, S.HOME_OBSERVATION, reason="密接")
    who.refresh_from_db()
    assert (who.status, who.status_since) == (S.HOME_OBSERVATION, change.changed_at)
    assert (change.from_status, change.to_status, change.reason, change.changed_by) == (
        S.NORMAL, S.HOME_OBSERVATION, "密接", world.worker_a)
    update = AuditEvent.objects.filter(object_id=str(who.pk), content_type__model="person",
                                       action="update").get()
    assert update.note == "status: normal → home_observation — 密接"
    assert update.after["status"] == "home_observation" and update.actor == world.worker_a


@pytest.mark.parametrize("frm, to", [(S.NORMAL, S.RELEASED), (S.CONFIRMED, S.HOME_OBSERVATION),
                                     (S.HOME_OBSERVATION, S.NORMAL)])
def test_an_illegal_step_says_where_it_stands_and_where_it_may_go(world, frm, to):
    who = person(world.worker_a, world.community_a, "张三")
    if frm != S.NORMAL:
        change_status(who, actor=world.worker_a, status=frm, reason="起点")
    before = StatusChange.objects.count()
    with pytest.raises(ValidationError) as refused:
        change_status(who, actor=world.worker_a, status=to, reason="越级")
    message = " ".join(refused.value.message_dict["status"])
    assert f"From “{S(frm).label}”" in message and f"not “{S(to).label}”" in message
    for state in Person.status_flow.next_states(Person.objects.get(pk=who.pk)):
        assert f"“{S(state).label}”" in message
    assert StatusChange.objects.count() == before
    assert Person.objects.get(pk=who.pk).status == frm


def test_released_then_normal_and_every_problem_at_once(world):
    who, _ = _status(world, S.CENTRAL_ISOLATION)
    with pytest.raises(ValidationError) as refused:
        change_status(who, actor=world.worker_a, status=S.NORMAL, reason=" ")
    assert set(refused.value.message_dict) == {"status", "reason"}
    change_status(who, actor=world.worker_a, status=S.RELEASED, reason="14 天期满")
    change_status(who, actor=world.worker_a, status=S.NORMAL, reason="解除")
    assert Person.objects.get(pk=who.pk).status == S.NORMAL


def test_who_may_is_asked_before_anything_else(world):
    who = person(world.worker_a, world.community_a, "张三")
    with pytest.raises(authz.NotAllowed, match="not change their status"):
        change_status(who, actor=world.volunteer, status=S.RELEASED, reason="")
    assert not StatusChange.objects.exists()


def test_the_status_form_offers_only_the_next_steps(world, login):
    who, _ = _status(world, S.CONFIRMED)
    page = login(world.worker_a).get(f"/people/{who.pk}/status/").content.decode()
    assert 'value="hospitalised"' in page and 'value="released"' in page
    assert 'value="home_observation"' not in page and 'value="normal"' not in page


def test_a_workflow_names_only_states_it_has():
    class Light(models.TextChoices):
        RED = "red"
        GREEN = "green"

    with pytest.raises(ValueError, match="amber"):
        Workflow("light", Light, [Step({"red"}, "amber", "x.y")])
    flow = Workflow("light", Light, [Step({"red"}, "green", "x.y")])
    assert flow.steps_from("green") == [] and [s.target for s in flow.steps_from("red")] == ["green"]


def test_the_admin_cannot_set_an_enterprises_status(world, login):
    firm = enterprise(world.community_a, "绿地中心某公司")
    page = login(world.admin).get(f"/admin/resumption/enterprise/{firm.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()


def test_the_api_refuses_an_illegal_step_with_the_next_ones(world):
    who = person(world.worker_a, world.community_a, "张三")
    response = api(world.worker_a).post(f"/api/people/persons/{who.pk}/status/",
                                        {"status": "released", "reason": "试试"}, format="json")
    assert response.status_code == 400
    assert "the next step can only be" in " ".join(response.json()["status"])
    assert Person.objects.get(pk=who.pk).status == S.NORMAL
