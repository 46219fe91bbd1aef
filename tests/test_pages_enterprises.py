"""Enterprise pages: staff and liaison scoping, USCC validation, create/edit."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from stdnum.cn import uscc

from shoumen.core.models import AuditEvent
from shoumen.resumption.models import Enterprise, EnterpriseStatus
from tests import factories
from tests.factories import enterprise, force_update, place, user


def code(n: int, region="370103") -> str:
    body = f"91{region}MA3C{n:05d}"
    return body + uscc.calc_check_digit(body)


@pytest.fixture
def firms(world):
    green = place(world.community_a, "绿地中心")
    return {
        "quanketing": enterprise(world.community_a, "泉客厅", code(1), building=green,
                                 floor_room="1F", contact_name="王经理"),
        "jinlong": enterprise(world.community_b, "金龙科技", code(2)),
        "lixia": enterprise(world.lixia_community, "历下水务工程", code(3, "370102")),
    }


@pytest.fixture
def liaison(world, firms):
    return user("liaison", "enterprise_liaison", enterprise=firms["quanketing"])


def edit_data(world, e, **overrides):
    data = {"name": e.name, "credit_code": e.credit_code, "jurisdiction": e.jurisdiction_id,
            "building": e.building_id or "", "floor_room": e.floor_room, "industry": e.industry,
            "employees": e.employees, "contact_name": e.contact_name,
            "contact_phone": e.contact_phone, "category": e.category}
    data.update(overrides)
    return data


def test_list_scoped_to_jurisdiction(world, login, firms):
    r = login(world.worker_a).get(reverse("resumption:enterprise-list"))
    assert r.status_code == 200
    assert {e.name for e in r.context["page_obj"]} == {"泉客厅"}
    assert "table-responsive" in r.content.decode()
    r = login(world.commander).get(reverse("resumption:enterprise-list"))
    assert {e.name for e in r.context["page_obj"]} == {"泉客厅", "金龙科技"}


def test_list_filters_sort_and_htmx(world, login, firms):
    force_update(Enterprise.objects.filter(pk=firms["jinlong"].pk), status=EnterpriseStatus.RESUMED)
    c = login(world.commander)
    r = c.get(reverse("resumption:enterprise-list"), {"status": "resumed"})
    assert {e.name for e in r.context["page_obj"]} == {"金龙科技"}
    r = c.get(reverse("resumption:enterprise-list"), {"q": code(1)[:17]})
    assert {e.name for e in r.context["page_obj"]} == {"泉客厅"}
    r = c.get(reverse("resumption:enterprise-list"), {"ordering": "-name"}, HTTP_HX_REQUEST="true")
    assert "<html" not in r.content.decode()
    assert [e.name for e in r.context["page_obj"]] == sorted(["泉客厅", "金龙科技"], reverse=True)


def test_list_forbidden_for_volunteer(world, login):
    assert login(world.volunteer).get(reverse("resumption:enterprise-list")).status_code == 403


def test_detail_and_out_of_scope_404(world, login, firms):
    e = firms["quanketing"]
    r = login(world.worker_a).get(reverse("resumption:enterprise-detail", args=[e.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "泉客厅" in body and e.credit_code in body and "绿地中心" in body
    assert 'data-action="edit"' not in body  # community workers only view enterprises
    r = login(world.worker_b).get(reverse("resumption:enterprise-detail", args=[e.pk]))
    assert r.status_code == 404


def test_liaison_sees_only_their_enterprise(world, login, firms, liaison):
    c = login(liaison)
    r = c.get(reverse("resumption:enterprise-list"))
    assert r.status_code == 200
    assert [e.name for e in r.context["page_obj"]] == ["泉客厅"]
    own = firms["quanketing"]
    assert c.get(reverse("resumption:enterprise-detail", args=[own.pk])).status_code == 200
    for other in (firms["jinlong"], firms["lixia"]):
        assert c.get(reverse("resumption:enterprise-detail", args=[other.pk])).status_code == 404
        assert c.get(reverse("resumption:enterprise-edit", args=[other.pk])).status_code == 404
    assert c.get(reverse("resumption:enterprise-create")).status_code == 403


def test_liaison_edits_details_but_not_status_or_jurisdiction(world, login, firms, liaison):
    own = firms["quanketing"]
    url = reverse("resumption:enterprise-edit", args=[own.pk])
    c = login(liaison)
    r = c.get(url)
    assert r.status_code == 200
    assert "status" not in r.context["form"].fields and "jurisdiction" not in r.context["form"].fields
    r = c.post(url, edit_data(world, own, employees=42, contact_phone="13912345678",
                              status="resumed", jurisdiction=world.community_b.pk))
    assert r.status_code == 302
    own.refresh_from_db()
    assert own.employees == 42 and own.contact_phone == "13912345678"
    assert own.status == EnterpriseStatus.NOT_RESUMED and own.jurisdiction == world.community_a
    assert AuditEvent.objects.filter(action="update", object_id=str(own.pk), actor=liaison).exists()


def test_edit_forbidden_for_viewer(world, login, firms):
    r = login(world.worker_a).get(reverse("resumption:enterprise-edit",
                                          args=[firms["quanketing"].pk]))
    assert r.status_code == 403


def test_create_shows_uscc_message_and_creates_nothing(world, login):
    good = code(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = login(world.commander).post(reverse("resumption:enterprise-create"), {
        "name": "新企业", "credit_code": bad, "jurisdiction": world.community_a.pk,
        "employees": 5, "category": "office"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "is not a valid unified social credit code" in body and 'value="新企业"' in body
    assert not Enterprise.objects.filter(name="新企业").exists()
    r = login(world.commander).post(reverse("resumption:enterprise-create"), {
        "name": "新企业", "credit_code": good + "X", "jurisdiction": world.community_a.pk,
        "employees": 5, "category": "office"})
    assert "is not a valid unified social credit code" in r.content.decode()
    assert not Enterprise.objects.filter(name="新企业").exists()


def test_create_and_duplicate(world, login, firms):
    c = login(world.commander)
    r = c.get(reverse("resumption:enterprise-create"))
    choices = set(r.context["form"].fields["jurisdiction"].queryset)
    assert world.community_a in choices and world.lixia_community not in choices
    r = c.post(reverse("resumption:enterprise-create"), {
        "name": "银座商城", "credit_code": code(8).lower(), "jurisdiction": world.community_a.pk,
        "employees": 30, "category": "retail"})
    new = Enterprise.objects.get(name="银座商城")
    assert r.status_code == 302 and new.credit_code == code(8)
    assert AuditEvent.objects.filter(action="create", object_id=str(new.pk)).exists()
    r = c.post(reverse("resumption:enterprise-create"), {
        "name": "重复企业", "credit_code": code(2), "jurisdiction": world.community_a.pk,
        "employees": 1, "category": "office"})
    assert r.status_code == 200 and "already registered" in r.content.decode()
    assert not Enterprise.objects.filter(name="重复企业").exists()


def test_create_in_other_jurisdiction_refused(world, login):
    r = login(world.commander).post(reverse("resumption:enterprise-create"), {
        "name": "外区企业", "credit_code": code(9), "jurisdiction": world.lixia_community.pk,
        "employees": 1, "category": "office"})
    assert r.status_code == 200 and r.context["form"].errors["jurisdiction"]
    assert not Enterprise.objects.exists()


def test_the_status_is_not_edited_with_the_details_but_the_registry_fields_are(world, login, firms):
    e = firms["jinlong"]
    r = login(world.commander).post(reverse("resumption:enterprise-edit", args=[e.pk]),
                                    edit_data(world, e, status="resumed", category="catering",
                                              venue_category="restaurant", public_facing="on",
                                              key_enterprise="on", legal_representative="李明"))
    assert r.status_code == 302
    e.refresh_from_db()
    assert e.status == EnterpriseStatus.NOT_RESUMED
    assert (e.category, e.venue_category, e.public_facing, e.key_enterprise,
            e.legal_representative) == ("catering", "restaurant", True, True, "李明")


def test_only_staff_name_a_key_enterprise(world, login, firms, liaison):
    own = firms["quanketing"]
    r = login(liaison).post(reverse("resumption:enterprise-edit", args=[own.pk]),
                            edit_data(world, own, key_enterprise="on"))
    assert r.status_code == 302  # the field is not on the liaison's form: nothing changes
    own.refresh_from_db()
    assert own.key_enterprise is False
    from shoumen.resumption.services import save_enterprise

    with pytest.raises(ValidationError) as caught:
        save_enterprise(own, {"key_enterprise": True}, actor=liaison)
    assert "key_enterprise" in caught.value.message_dict


def test_a_buildings_page_loads_its_enterprises_from_this_app(world, firms, login):
    tower = place(world.community_a, "金龙大厦")
    inside = enterprise(world.community_a, "大厦里的公司", credit_code=code(7), building=tower)
    page = login(world.commander).get(reverse("geo:place-detail", args=[tower.pk])).content.decode()
    panel = reverse("resumption:building-enterprises", args=[tower.pk])
    assert f'hx-get="{panel}"' in page
    assert inside.name in login(world.commander).get(panel).content.decode()
    # someone who may see the building but not enterprises, or not the building: nothing
    assert inside.name not in login(world.volunteer).get(panel).content.decode()
    other = place(world.lixia_community, "别处大厦")
    enterprise(world.lixia_community, "别处公司", credit_code=code(8), building=other)
    panel = reverse("resumption:building-enterprises", args=[other.pk])
    assert "别处公司" not in login(world.commander).get(panel).content.decode()


def test_the_contact_phone_is_held_encrypted_shown_masked_and_revealed_with_an_audit(world, login):
    from django.db import connection

    from shoumen.core.models import AuditAction, AuditEvent

    firm = Enterprise.objects.create(jurisdiction=world.community_a, name="泉客厅",
                                     credit_code="91370103MA3C8XJQ08", contact_phone="13812345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM resumption_enterprise WHERE id = %s", [firm.pk])
        row = cursor.fetchone()
    assert "13812345678" not in [str(v) for v in row]
    client = login(world.worker_a)
    page = client.get(reverse("resumption:enterprise-detail", args=[firm.pk])).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert 'data-action="reveal-contact"' not in page  # a community worker views, not edits
    commander = login(world.commander)
    page = commander.get(reverse("resumption:enterprise-detail", args=[firm.pk])).content.decode()
    assert 'data-action="reveal-contact"' in page
    shown = commander.post(reverse("resumption:enterprise-reveal", args=[firm.pk]))
    assert "13812345678" in shown.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.VIEW_PII, object_id=str(firm.pk)).exists()
    assert login(world.worker_a).post(
        reverse("resumption:enterprise-reveal", args=[firm.pk])).status_code == 403
    outsider = factories.user("lixia_worker", "community_worker", world.lixia_community)
    assert login(outsider).post(
        reverse("resumption:enterprise-reveal", args=[firm.pk])).status_code == 404


def test_editing_keeps_clears_or_refuses_the_contact_phone(world, login):
    firm = Enterprise.objects.create(jurisdiction=world.community_a, name="泉客厅",
                                     credit_code="91370103MA3C8XJQ08", contact_phone="13812345678")
    client = login(world.commander)
    url = reverse("resumption:enterprise-edit", args=[firm.pk])
    data = edit_data(world, firm)
    data["contact_phone"] = ""
    assert client.post(url, data).status_code == 302
    firm.refresh_from_db()
    assert firm.contact_phone == "13812345678"  # empty keeps it
    bad = client.post(url, {**data, "contact_phone": "12345"})
    assert bad.status_code == 200 and "mainland phone number" in bad.content.decode()
    assert client.post(url, {**data, "clear_contact_phone": "on"}).status_code == 302
    firm.refresh_from_db()
    assert firm.contact_phone == "" and firm.contact_phone_masked == ""


def test_the_api_takes_the_contact_phone_and_shows_it_masked(world):
    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.commander)
    made = api.post("/api/enterprises/", {"name": "泉客厅", "credit_code": "91370103MA3C8XJQ08",
                                          "jurisdiction": world.community_a.pk,
                                          "contact_phone": "138 1234 5678"}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["contact_phone_masked"] == "138****5678"
    assert "contact_phone" not in made.json()
    bad = api.post("/api/enterprises/", {"name": "x", "credit_code": "91370100MA3C4GQY2W",
                                         "jurisdiction": world.community_a.pk,
                                         "contact_phone": "12345"}, format="json")
    assert bad.status_code == 400 and "contact_phone" in bad.json()
