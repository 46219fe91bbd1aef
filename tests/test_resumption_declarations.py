"""The resumption workflow: declaration with the required materials and the health roster,
review of the papers, on-site review as an inspection, approval, rejection, suspension."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shoumen.core.authz import NotAllowed
from shoumen.resumption import declaring, services
from shoumen.resumption.models import (
    Declaration,
    EnterpriseStatus,
    Material,
    ResumptionStep,
    RosterEmployee,
)
from tests.helpers_resumption import COMPLETE, Resumption, id_number, pdf, roster, roster_rows


@pytest.fixture
def res(world, media_root, english):
    return Resumption(world)


def status(firm):
    firm.refresh_from_db()
    return firm.status


def test_a_complete_declaration_goes_through_review_on_site_review_and_approval(world, res):
    firm = res.firm
    declaration = res.declare()
    assert declaring.missing_materials(declaration) == []
    assert declaration.roster_rows == 3 and declaration.roster_fevers == 0
    stored = RosterEmployee.objects.filter(declaration=declaration).order_by("row")
    assert [e.row for e in stored] == [3, 4, 5]  # as Excel numbers them, under title and header
    assert id_number(1) not in stored[0].id_number_encrypted
    assert stored[0].id_number_masked == id_number(1)[:6] + "********" + id_number(1)[-4:]
    declaring.submit(firm, actor=res.liaison)
    assert status(firm) == EnterpriseStatus.DECLARED
    subject = declaring.accept_papers(firm, actor=world.commander)
    assert status(firm) == EnterpriseStatus.ONSITE_REVIEW
    assert subject.plan == res.onsite_plan and subject.enterprise == firm
    assert subject.duty.owner in res.inspectors
    assert subject.duty.ends_on == timezone.localdate() + timezone.timedelta(days=2)
    with pytest.raises(ValidationError) as early:
        declaring.approve(firm, actor=world.commander)
    assert "No on-site review" in early.value.message_dict["onsite_review"][0]
    res.review(subject)
    declaring.approve(firm, actor=world.commander, note="准予复工")
    assert status(firm) == EnterpriseStatus.RESUMED
    declaration.refresh_from_db()
    assert declaration.resumed_at and declaration.accepted_at and declaration.submitted_at
    assert [s.to_state for s in declaring.steps_of(firm)] == [
        "declared", "onsite_review", "resumed"]


def test_a_missing_material_keeps_the_declaration_from_being_submitted(world, res):
    declaring.save_declaration(res.firm, actor=res.liaison, changes=COMPLETE,
                               files={"prevention_plan": pdf()})
    with pytest.raises(ValidationError) as refused:
        declaring.submit(res.firm, actor=res.liaison)
    message = refused.value.message_dict["declaration"][0]
    for material in (Material.EMERGENCY_PLAN, Material.HEALTH_ROSTER, Material.COMMITMENT):
        assert str(material.label) in message
    assert str(Material.PREVENTION_PLAN.label) not in message
    assert status(res.firm) == EnterpriseStatus.NOT_RESUMED
    assert not ResumptionStep.objects.exists()


def test_a_restaurant_needs_more_than_an_office(world, res):
    services.add_requirement(actor=world.commander, jurisdiction=world.luoyuan,
                             category="catering", material="health_certificates",
                             note="从业人员须持健康证")
    office, restaurant = res.firms
    restaurant.category = "catering"
    restaurant.save()
    assert "health_certificates" not in declaring.required_materials(office)
    assert "health_certificates" in declaring.required_materials(restaurant)
    res.declare(restaurant, actor=res.other_liaison)
    with pytest.raises(ValidationError) as refused:
        declaring.submit(restaurant, actor=res.other_liaison)
    assert str(Material.HEALTH_CERTIFICATES.label) in refused.value.message_dict["declaration"][0]
    declaring.save_declaration(restaurant, actor=res.other_liaison, changes={},
                               files={"health_certificates": pdf("健康证.pdf")})
    declaring.submit(restaurant, actor=res.other_liaison)
    assert status(restaurant) == EnterpriseStatus.DECLARED
    with pytest.raises(ValidationError):  # the baseline is not asked twice
        services.add_requirement(actor=world.commander, jurisdiction=world.luoyuan,
                                 category="catering", material="prevention_plan")


def test_a_roster_with_bad_rows_is_refused_with_row_numbers_and_nothing_is_saved(world, res):
    rows = roster_rows(4)
    rows[1][2] = id_number(2)[:-1] + ("0" if id_number(2)[-1] != "0" else "1")  # check digit
    rows[2][3] = "12345"  # phone
    rows[3][4] = ""  # whereabouts
    rows[0][5] = "发烧"  # temperature
    with pytest.raises(ValidationError) as refused:
        declaring.save_declaration(res.firm, actor=res.liaison, changes=COMPLETE,
                                   files={"prevention_plan": pdf()}, roster=roster(rows))
    lines = refused.value.message_dict["roster"]
    assert "rows 3, 4, 5, 6" in lines[0]
    joined = " ".join(lines)
    for row, column in ((3, "体温"), (4, "身份证号"), (5, "手机号"), (6, "近14天所在地")):
        assert f"Row {row}, {column}" in joined
    assert id_number(2)[6:14] not in joined  # never the whole ID number
    assert not Declaration.objects.exists() and not RosterEmployee.objects.exists()
    from shoumen.evidence.models import Evidence

    assert not Evidence.objects.exists()


def test_a_duplicate_employee_and_a_file_that_is_not_a_workbook(world, res):
    rows = roster_rows(2)
    rows[1][2] = rows[0][2]
    with pytest.raises(ValidationError) as refused:
        declaring.save_declaration(res.firm, actor=res.liaison, changes=COMPLETE,
                                   roster=roster(rows))
    assert "already in row 3" in " ".join(refused.value.message_dict["roster"])
    with pytest.raises(ValidationError) as wrong:
        declaring.save_declaration(res.firm, actor=res.liaison, changes=COMPLETE, roster=pdf())
    assert wrong.value.message_dict["roster"]
    assert not Declaration.objects.exists()


def test_a_fever_is_counted_and_a_new_roster_replaces_the_old(world, res):
    declaration = res.declare()
    rows = roster_rows(2)
    rows[1][5] = "37.8℃"
    declaring.save_declaration(res.firm, actor=res.liaison, changes={}, roster=roster(rows))
    declaration.refresh_from_db()
    assert (declaration.roster_rows, declaration.roster_fevers) == (2, 1)
    assert RosterEmployee.objects.filter(declaration=declaration).count() == 2
    assert str(RosterEmployee.objects.get(fever=True).temperature) == "37.8"


def test_return_answer_and_resubmit_keep_every_round(world, res):
    firm = res.firm
    res.declare()
    declaring.submit(firm, actor=res.liaison)
    with pytest.raises(ValidationError) as no_reason:
        declaring.return_papers(firm, actor=world.commander, note=" ")
    assert "note" in no_reason.value.message_dict
    declaring.return_papers(firm, actor=world.commander, note="应急预案缺少联系人",
                            to_fix=["emergency_plan", "bogus"])
    assert status(firm) == EnterpriseStatus.RETURNED
    declaring.save_declaration(firm, actor=res.liaison, changes={},
                               files={"emergency_plan": pdf("应急预案v2.pdf")})
    declaring.submit(firm, actor=res.liaison, note="已补充联系人")
    steps = list(declaring.steps_of(firm))
    assert [(s.to_state, s.note) for s in steps] == [
        ("declared", ""), ("returned", "应急预案缺少联系人"), ("declared", "已补充联系人")]
    assert steps[1].to_fix == ["emergency_plan"]
    first, last = steps[0].snapshot["documents"], steps[2].snapshot["documents"]
    assert first["emergency_plan"] != last["emergency_plan"]  # the newer file stands
    assert first["prevention_plan"] == last["prevention_plan"]
    assert Declaration.objects.filter(enterprise=firm).count() == 1


def test_a_failed_on_site_review_cannot_be_approved_and_is_rejected_with_what_to_fix(world, res):
    subject = res.to_onsite()
    res.review(subject, answers={"temperature-point": "yes", "chlorine": "100", "masks": "充足"})
    with pytest.raises(ValidationError) as refused:
        declaring.approve(res.firm, actor=world.commander)
    assert "failed on 1 items" in refused.value.message_dict["onsite_review"][0]
    declaring.reject(res.firm, actor=world.commander, note="消毒液浓度不足，整改后重新申报")
    assert status(res.firm) == EnterpriseStatus.RETURNED
    declaring.submit(res.firm, actor=res.liaison, note="已整改")
    subject = declaring.accept_papers(res.firm, actor=world.commander)
    assert subject.plan.subjects.count() == 1  # the same subject, given a new period
    res.review(subject)  # a new review after the new acceptance
    declaring.approve(res.firm, actor=world.commander)
    assert status(res.firm) == EnterpriseStatus.RESUMED


def test_suspension_needs_reasons_and_reinstatement_is_a_new_declaration(world, res):
    res.review(res.to_onsite())
    declaring.approve(res.firm, actor=world.commander)
    with pytest.raises(ValidationError):
        declaring.suspend(res.firm, actor=world.commander, note="")
    declaring.suspend(res.firm, actor=world.commander, note="发现员工发热未上报")
    assert status(res.firm) == EnterpriseStatus.SUSPENDED
    with pytest.raises(ValidationError):  # the new declaration starts empty
        declaring.submit(res.firm, actor=res.liaison)
    res.declare()
    declaring.submit(res.firm, actor=res.liaison)
    assert res.firm.declarations.count() == 2
    assert status(res.firm) == EnterpriseStatus.DECLARED


ILLEGAL = [  # (state, action) pairs the workflow refuses, with the state named
    ("not_resumed", "return"), ("not_resumed", "accept"), ("not_resumed", "approve"),
    ("not_resumed", "reject"), ("not_resumed", "suspend"),
    ("declared", "submit"), ("declared", "approve"), ("declared", "reject"),
    ("declared", "suspend"),
    ("returned", "return"), ("returned", "accept"), ("returned", "approve"), ("returned", "reject"),
    ("returned", "suspend"),
    ("onsite_review", "submit"), ("onsite_review", "accept"), ("onsite_review", "return"),
    ("onsite_review", "suspend"),
    ("resumed", "submit"), ("resumed", "return"), ("resumed", "accept"), ("resumed", "approve"),
    ("resumed", "reject"),
    ("suspended", "return"), ("suspended", "accept"), ("suspended", "approve"),
    ("suspended", "reject"), ("suspended", "suspend"),
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_step_is_refused_saying_where_the_enterprise_stands(world, res, state,
                                                                          action):
    from tests.factories import force_update

    res.declare()
    force_update(type(res.firm).objects.filter(pk=res.firm.pk), status=state)
    with pytest.raises(ValidationError) as refused:
        declaring.take(declaring.ACTIONS[action], res.firm, actor=world.admin, note="理由")
    label = str(EnterpriseStatus(state).label)
    assert label in refused.value.message_dict["status"][0]
    assert status(res.firm) == state


def test_every_legal_step_has_a_path_and_all_states_are_reachable():

    reached = {EnterpriseStatus.NOT_RESUMED.value}
    for step in declaring.STATUS_FLOW.steps:
        reached.add(step.target)
    assert reached == set(EnterpriseStatus.values)
    legal = {(state, name) for name, action in declaring.ACTIONS.items()
             for state in action.sources}
    assert not legal & set(ILLEGAL)
    assert len(legal) + len(ILLEGAL) == len(EnterpriseStatus.values) * len(declaring.ACTIONS)


def test_who_may_take_which_step(world, res):
    res.declare()
    with pytest.raises(NotAllowed):  # a community worker declares but does not review
        declaring.submit(res.firms[1], actor=res.liaison)  # another enterprise's liaison
    declaring.submit(res.firm, actor=res.liaison)
    for who in (res.liaison, world.worker_a, res.inspectors[0]):
        with pytest.raises(NotAllowed):
            declaring.accept_papers(res.firm, actor=who)
    assert status(res.firm) == EnterpriseStatus.DECLARED
    assert [a.name for a in declaring.actions_for(world.commander, res.firm)] == [
        "return", "accept"]
    assert declaring.actions_for(res.liaison, res.firm) == []


def test_the_papers_are_frozen_while_under_review(world, res):
    res.declare()
    declaring.submit(res.firm, actor=res.liaison)
    with pytest.raises(ValidationError) as frozen:
        declaring.save_declaration(res.firm, actor=res.liaison, changes={"masks_on_hand": 1})
    assert "cannot be changed now" in frozen.value.message_dict["declaration"][0]


def test_no_on_site_plan_means_the_papers_cannot_be_accepted(world, res):
    from shoumen.resumption.models import ResumptionPlans

    ResumptionPlans.objects.all().delete()
    res.declare()
    declaring.submit(res.firm, actor=res.liaison)
    with pytest.raises(ValidationError) as refused:
        declaring.accept_papers(res.firm, actor=world.commander)
    assert "No on-site review plan" in refused.value.message_dict["plan"][0]
    assert status(res.firm) == EnterpriseStatus.DECLARED
