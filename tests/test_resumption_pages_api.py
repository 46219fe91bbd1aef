"""The resumption pages and API: the declaration form on a phone, the steps with their
reasons, the roster, the settings; scoping (another enterprise's liaison and another
jurisdiction's staff get 404)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shoumen.resumption import declaring, services
from shoumen.resumption.models import EnterpriseStatus, MaterialRequirement, ResumptionStep
from tests.factories import api, user
from tests.helpers_resumption import COMPLETE, Resumption, id_number, pdf, roster, roster_rows


@pytest.fixture
def res(world, media_root, english):
    return Resumption(world)


@pytest.fixture
def outsider(world):
    return user("lixia_commander", "subdistrict_commander", world.lixia)


def form_data(**extra):
    data = dict(COMPLETE)
    data.update({"file_prevention_plan": pdf(), "file_emergency_plan": pdf(),
                 "file_commitment": pdf("承诺书.pdf"), "roster": roster()})
    data.update(extra)
    return data


def test_the_liaison_declares_on_the_page_and_submits(world, login, res):
    client = login(res.liaison)
    detail = reverse("resumption:enterprise-detail", args=[res.firm.pk])
    page = client.get(detail).content.decode()
    assert 'data-action="declare"' in page and 'data-action="submit"' in page
    url = reverse("resumption:declaration-edit", args=[res.firm.pk])
    form = client.get(url)
    assert form.status_code == 200 and "file_prevention_plan" in form.context["form"].fields
    assert client.post(url, form_data()).status_code == 302
    page = client.get(detail).content.decode()
    assert "data-missing" not in page and "3 employees" in page
    step = reverse("resumption:enterprise-step", args=[res.firm.pk, "submit"])
    assert client.post(step, {"note": ""}).status_code == 302
    res.firm.refresh_from_db()
    assert res.firm.status == EnterpriseStatus.DECLARED
    assert 'data-action="declare"' not in client.get(detail).content.decode()


def test_a_bad_roster_on_the_page_shows_its_rows_and_saves_nothing(world, login, res):
    rows = roster_rows(2)
    rows[1][3] = "110"
    response = login(res.liaison).post(
        reverse("resumption:declaration-edit", args=[res.firm.pk]), form_data(roster=roster(rows)))
    assert response.status_code == 200
    errors = response.context["form"].errors["roster"]
    assert "rows 4" in errors[0] and any("Row 4, 手机号" in e for e in errors)
    assert not res.firm.declarations.exists()


def test_staff_return_with_reasons_and_the_enterprise_sees_them(world, login, res):
    res.declare()
    declaring.submit(res.firm, actor=res.liaison)
    client = login(world.commander)
    url = reverse("resumption:enterprise-step", args=[res.firm.pk, "return"])
    page = client.get(url)
    assert page.status_code == 200 and "to_fix" in page.context["form"].fields
    refused = client.post(url, {"note": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["note"]
    assert client.post(url, {"note": "承诺书未盖章", "to_fix": ["commitment"]}).status_code == 302
    page = login(res.liaison).get(reverse("resumption:enterprise-detail", args=[res.firm.pk]))
    body = page.content.decode()
    assert "承诺书未盖章" in body and 'data-action="declare"' in body


def test_an_illegal_step_on_the_page_says_where_the_enterprise_stands(world, login, res):
    response = login(world.commander).post(
        reverse("resumption:enterprise-step", args=[res.firm.pk, "approve"]), {"note": ""})
    assert response.status_code == 200
    assert "Not declared" in " ".join(response.context["form"].non_field_errors())
    assert login(world.commander).get(
        reverse("resumption:enterprise-step", args=[res.firm.pk, "bogus"])).status_code == 404


def test_other_enterprises_and_jurisdictions_are_404(world, login, res, outsider):
    declaration = res.declare()
    mine, theirs = res.firms
    for who, firm in ((res.other_liaison, mine), (outsider, mine)):
        client = login(who)
        for url in (reverse("resumption:declaration-edit", args=[firm.pk]),
                    reverse("resumption:enterprise-step", args=[firm.pk, "submit"]),
                    reverse("resumption:declaration-roster", args=[declaration.pk])):
            assert client.get(url).status_code == 404, url
    # a community worker of the enterprise's community declares on its behalf
    assert login(world.worker_a).get(
        reverse("resumption:declaration-edit", args=[mine.pk])).status_code == 200
    assert login(world.worker_a).get(
        reverse("resumption:enterprise-step", args=[mine.pk, "accept"])).status_code == 403


def test_the_roster_page_masks_numbers_and_lists_fevers_first(world, login, res):
    rows = roster_rows(3)
    rows[2][5] = 38.2
    declaration = declaring.save_declaration(res.firm, actor=res.liaison, changes=COMPLETE,
                                             roster=roster(rows))
    body = login(world.commander).get(
        reverse("resumption:declaration-roster", args=[declaration.pk])).content.decode()
    assert id_number(1) not in body and id_number(1)[-4:] in body
    assert body.index("员工3") < body.index("员工1") and "data-fever" in body


def test_the_roster_template_has_the_headers(world, login, res):
    response = login(res.liaison).get(reverse("resumption:roster-template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "ID number" in " ".join(str(h) for h in headers)


def test_settings_add_and_remove_a_requirement_and_set_the_plan(world, login, res):
    client = login(world.commander)
    url = reverse("resumption:settings")
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "requirement", "jurisdiction": world.luoyuan.pk,
                                 "category": "catering", "material": "dining_plan"})
    assert response.status_code == 302
    requirement = MaterialRequirement.objects.get()
    again = client.post(url, {"action": "requirement", "jurisdiction": world.luoyuan.pk,
                              "category": "catering", "material": "dining_plan"})
    assert again.status_code == 200 and MaterialRequirement.objects.count() == 1
    assert client.post(url, {"action": "plans", "jurisdiction": world.luoyuan.pk,
                             "onsite_review": res.plan.pk}).status_code == 200  # a daily plan
    assert client.post(url, {"action": "plans", "jurisdiction": world.luoyuan.pk,
                             "onsite_review": res.onsite_plan.pk}).status_code == 302
    page = login(world.worker_a).get(url)
    assert page.status_code == 200 and not page.context["forms"]
    # the subdistrict's requirement is outside a community worker's reach
    assert login(world.worker_a).post(
        reverse("resumption:requirement-remove", args=[requirement.pk])).status_code == 404
    assert login(world.commander).post(reverse("resumption:requirement-remove",
                                               args=[requirement.pk])).status_code == 302
    assert not MaterialRequirement.objects.exists()


# --- API ------------------------------------------------------------------------------------------

def test_the_api_declares_submits_returns_and_keeps_the_history(world, res):
    base = f"/api/enterprises/{res.firm.pk}/"
    client = api(res.liaison)
    assert client.get(base + "declaration/").status_code == 404
    response = client.post(base + "declaration/", {
        **COMPLETE, "file_prevention_plan": pdf(), "file_emergency_plan": pdf(),
        "file_commitment": pdf(), "roster": roster()}, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["missing"] == [] and body["roster_rows"] == 3
    assert set(body["documents"]) == {"prevention_plan", "emergency_plan", "commitment"}
    response = client.post(base + "steps/submit/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declared"
    staff = api(world.commander)
    refused = staff.post(base + "steps/return/", {"note": ""}, format="json")
    assert refused.status_code == 400 and "note" in refused.json()
    assert staff.post(base + "steps/return/", {"note": "补充", "to_fix": ["commitment"]},
                      format="json").status_code == 200
    history = client.get(base + "history/").json()
    assert [h["to_state"] for h in history] == ["declared", "returned"]
    assert history[1]["to_fix"] == ["commitment"]
    assert client.post(base + "steps/accept/", {}, format="json").status_code == 403


def test_the_api_refuses_a_bad_roster_and_a_stranger(world, res, outsider):
    base = f"/api/enterprises/{res.firm.pk}/"
    rows = roster_rows(2)
    rows[0][2] = "370103"
    response = api(res.liaison).post(base + "declaration/", {**COMPLETE, "roster": roster(rows)},
                                     format="multipart")
    assert response.status_code == 400 and "Row 3" in " ".join(response.json()["roster"])
    assert not res.firm.declarations.exists()
    unknown = api(res.liaison).post(base + "declaration/", {"file_bogus": pdf()},
                                    format="multipart")
    assert unknown.status_code == 400 and "file_bogus" in unknown.json()
    for who in (res.other_liaison, outsider):
        for path in ("declaration/", "history/"):
            assert api(who).get(base + path).status_code == 404
        assert api(who).post(base + "steps/submit/", {}, format="json").status_code == 404
    assert api(world.commander).post(base + "steps/bogus/", {}, format="json").status_code == 404
    assert not ResumptionStep.objects.exists()


def test_the_requirements_api(world, res):
    client = api(world.commander)
    created = client.post("/api/enterprise-requirements/", {
        "jurisdiction": world.luoyuan.pk, "category": "catering",
        "material": "health_certificates"}, format="json")
    assert created.status_code == 201, created.json()
    assert api(res.liaison).post("/api/enterprise-requirements/", {
        "jurisdiction": world.luoyuan.pk, "category": "office",
        "material": "dining_plan"}, format="json").status_code == 403
    assert [r["material"] for r in client.get("/api/enterprise-requirements/").json()[
        "results"]] == ["health_certificates"]
    pk = created.json()["id"]
    assert client.delete(f"/api/enterprise-requirements/{pk}/").status_code == 204
    assert not MaterialRequirement.objects.exists()
    services.add_requirement(actor=world.commander, jurisdiction=world.luoyuan,
                             category="office", material="ventilation_log")
    assert api(world.commander).get("/api/enterprise-requirements/").json()["count"] == 1
