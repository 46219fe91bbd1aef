"""Fine-grained classification and supervision: the class from facts and findings with its
reasons, staff's override with a note (audited), the supervision plan following the class
and the enterprise's state."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shoumen.core.authz import NotAllowed
from shoumen.core.models import AuditEvent
from shoumen.inspections import services as inspections
from shoumen.resumption import classes, declaring, services
from tests.factories import api, enterprise
from tests.helpers_resumption import Resumption


@pytest.fixture
def res(world, media_root, english):
    res = Resumption(world)
    res.supervision = {}
    for risk, frequency, days in (("A", "daily", 1), ("B", "every_k_days", 3),
                                  ("C", "weekly", 7)):
        res.supervision[risk] = inspections.create_plan(
            actor=world.commander, jurisdiction=world.luoyuan, name=f"复后监管{risk}类",
            source="enterprises", checklist=res.checklist, team=res.team, frequency=frequency,
            interval_days=days, starts_on=res.onsite_plan.starts_on)
    services.set_plans(actor=world.commander, jurisdiction=world.luoyuan,
                       onsite_review=res.onsite_plan,
                       **{f"supervision_{k.lower()}": p for k, p in res.supervision.items()})
    return res


def resume(res, firm=None):
    firm = firm or res.firm
    res.review(res.to_onsite(firm))
    declaring.approve(firm, actor=res.world.commander)
    firm.refresh_from_db()
    return firm


def test_the_class_follows_the_rules_with_their_reasons(world, res):
    firm = res.firm
    firm.employees = 5
    firm.save()
    assert classes.compute(firm)[0] == "C"
    firm.employees = 40
    firm.save()
    risk, reasons = classes.compute(firm)
    assert risk == "B" and any("40 employees" in r["text"] for r in reasons)
    firm.category, firm.public_facing = "catering", True
    firm.save()
    risk, reasons = classes.compute(firm)
    assert risk == "A" and {r["class"] for r in reasons} == {"A", "B"}
    firm.category, firm.public_facing, firm.employees = "office", False, 5
    firm.save()
    subject = next(s for s in res.subjects if s.enterprise_id == firm.pk)
    inspections.record_inspection(subject, actor=subject.duty.owner,
                                  answers={"temperature-point": "yes", "chlorine": "100",
                                           "masks": "充足"}, signed_by="王芳")
    risk, reasons = classes.compute(firm)
    assert risk == "A" and any("failed inspections" in r["text"] for r in reasons)


def test_approval_classifies_and_puts_the_enterprise_on_its_class_supervision(world, res):
    firm = resume(res)
    assert firm.computed_class == "C" and firm.risk_class == "C" and firm.class_reasons
    subject = classes.supervision_subjects(firm).get()
    assert subject.plan == res.supervision["C"] and subject.duty.ends_on is None
    classes.override(firm, actor=world.commander, risk_class="A", note="员工食堂人员密集")
    firm.refresh_from_db()
    assert firm.risk_class == "A" and firm.computed_class == "C"
    subject.duty.refresh_from_db()
    assert not subject.duty.active  # off class C
    assert classes.supervision_subjects(firm).get().plan == res.supervision["A"]
    assert AuditEvent.objects.filter(object_id=str(firm.pk), after__class_override="A").exists()
    classes.override(firm, actor=world.commander, risk_class="", note="")
    assert classes.supervision_subjects(firm).get().plan == res.supervision["C"]
    declaring.suspend(firm, actor=world.commander, note="严重问题")
    assert not classes.supervision_subjects(firm).exists()


def test_an_override_needs_a_note_and_staff(world, res):
    firm = resume(res)
    with pytest.raises(ValidationError) as refused:
        classes.override(firm, actor=world.commander, risk_class="A", note="")
    assert "note" in refused.value.message_dict
    with pytest.raises(NotAllowed):
        classes.override(firm, actor=res.liaison, risk_class="C", note="我们很安全")
    firm.refresh_from_db()
    assert firm.class_override == ""


def test_no_supervision_plan_for_the_class_leaves_it_unsupervised(world, res):
    services.set_plans(actor=world.commander, jurisdiction=world.luoyuan,
                       onsite_review=res.onsite_plan, supervision_a=res.supervision["A"])
    firm = resume(res)
    assert firm.risk_class == "C" and not classes.supervision_subjects(firm).exists()
    with pytest.raises(ValidationError):
        services.set_plans(actor=world.commander, jurisdiction=world.luoyuan,
                           onsite_review=res.onsite_plan, supervision_b=res.plan)  # daily tower


def test_the_page_and_the_api(world, login, res):
    firm = resume(res)
    page = login(world.commander).get(reverse("resumption:enterprise-detail", args=[firm.pk]))
    body = page.content.decode()
    assert 'data-class="C"' in body and 'data-form="class"' in body and "data-supervision" in body
    assert 'data-form="class"' not in login(res.liaison).get(
        reverse("resumption:enterprise-detail", args=[firm.pk])).content.decode()
    url = reverse("resumption:enterprise-class", args=[firm.pk])
    login(world.commander).post(url, {"action": "override", "risk_class": "B", "note": "楼宇人流大"})
    firm.refresh_from_db()
    assert firm.risk_class == "B"
    response = api(world.commander).post(f"/api/enterprises/{firm.pk}/class/",
                                         {"risk_class": "", "note": ""}, format="json")
    assert response.status_code == 200 and response.json()["risk_class"] == "C"
    assert api(res.liaison).post(f"/api/enterprises/{firm.pk}/reclassify/", {},
                                 format="json").status_code == 403
    other = enterprise(world.lixia_community, "外区企业", credit_code="91370102MA3D2K5L7D")
    assert api(world.commander).post(f"/api/enterprises/{other.pk}/reclassify/", {},
                                     format="json").status_code == 404
