"""Checklists: templates published in versions (a record keeps its version), items checked as
filled in (a "no", a number out of its limits or a failing choice fails the item; a failed item
may need a photo), and only commanders edit templates."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shoumen.checklists import services
from shoumen.checklists.models import Checklist, ChecklistItem, ItemKind
from shoumen.core.authz import NotAllowed
from tests import factories

ITEMS = [
    {"key": "exits", "text": "安全出口畅通", "kind": ItemKind.YES_NO, "photo_when_failed": True},
    {"key": "chlorine", "text": "含氯消毒液浓度", "kind": ItemKind.NUMBER,
     "options": {"min": 500, "max": 1000, "unit": "mg/L"}},
    {"key": "masks", "text": "口罩储备", "kind": ItemKind.CHOICE,
     "options": {"choices": ["充足", "不足", "无"], "failing": ["不足", "无"]}},
    {"key": "remarks", "text": "备注", "kind": ItemKind.NOTE, "required": False},
    {"key": "entrance", "text": "门口照片", "kind": ItemKind.PHOTO},
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def version(world):
    return services.create_checklist(actor=world.commander, jurisdiction=world.luoyuan,
                                     code="small-venue", name="九小场所日常检查",
                                     purpose="small_venue", items=ITEMS)


def test_a_template_is_published_as_version_1_and_edited_into_version_2(world, version):
    assert version.number == 1 and [i.key for i in version.items.all()] == [
        "exits", "chlorine", "masks", "remarks", "entrance"]
    checklist = version.checklist
    second = services.revise_checklist(checklist, actor=world.commander, name="九小场所检查",
                                       items=ITEMS[:2] + [{"text": "通风良好", "kind": "yes_no"}])
    assert second.number == 2 and checklist.current() == second
    assert [i.key for i in second.items.all()] == ["exits", "chlorine", "item-3"]
    # the first version is as it was: a record made with it still reads the same
    version.refresh_from_db()
    assert version.items.count() == 5 and version.items.get(key="masks").text == "口罩储备"
    assert Checklist.objects.get().name == "九小场所检查"


@pytest.mark.parametrize("items,problem", [
    ([], "at least one item"),
    ([{"text": "", "kind": "yes_no"}], "Item 1: write what is checked"),
    ([{"text": "x", "kind": "stars"}], "Item 1: choose its kind"),
    ([{"text": "a", "kind": "yes_no", "key": "k"}, {"text": "b", "kind": "note", "key": "k"}],
     "Item 2: its key must be unique"),
    ([{"text": "x", "kind": "number", "options": {"min": 10, "max": 1}}], "lower limit is above"),
    ([{"text": "x", "kind": "number", "options": {"min": "ten"}}], "limits must be numbers"),
    ([{"text": "x", "kind": "choice", "options": {"choices": ["only"]}}], "two different choices"),
    ([{"text": "x", "kind": "choice", "options": {"choices": ["a", "b"], "failing": ["c"]}}],
     "not among its choices"),
])
def test_templates_that_cannot_work_are_refused_by_item(world, items, problem):
    with pytest.raises(ValidationError) as exc:
        services.create_checklist(actor=world.commander, jurisdiction=world.luoyuan, code="x",
                                  name="检查", purpose="small_venue", items=items)
    assert problem in " ".join(exc.value.message_dict["items"])
    assert not Checklist.objects.exists() and not ChecklistItem.objects.exists()


def test_only_commanders_edit_templates(world, version):
    with pytest.raises(NotAllowed):
        services.create_checklist(actor=world.worker_a, jurisdiction=world.community_a,
                                  code="mine", name="检查", purpose="x", items=ITEMS)
    with pytest.raises(NotAllowed):
        services.revise_checklist(version.checklist, actor=world.worker_a, items=ITEMS)
    with pytest.raises(ValidationError):  # a code already taken
        services.create_checklist(actor=world.commander, jurisdiction=world.luoyuan,
                                  code="small-venue", name="检查", purpose="x", items=ITEMS)
    assert version.checklist.versions.count() == 1


def test_filling_in_finds_the_failed_items(version):
    filled = services.fill(version, {"exits": "yes", "chlorine": "450", "masks": "不足",
                                     "remarks": "  已提醒  "}, photos={"entrance"})
    assert filled.answers == {"exits": "yes", "chlorine": "450", "masks": "不足",
                              "remarks": "已提醒"}
    assert [item.key for item in filled.failed] == ["chlorine", "masks"]
    passed = services.fill(version, {"exits": True, "chlorine": "500", "masks": "充足"},
                           photos={"entrance"})
    assert passed.failed == [] and passed.answers["exits"] == "yes"
    na = services.fill(version, {"exits": "na", "chlorine": "1000", "masks": "充足"},
                       photos={"entrance"})
    assert na.failed == []


def test_bad_answers_say_what_to_give_by_item(version):
    with pytest.raises(ValidationError) as exc:
        services.fill(version, {"exits": "maybe", "chlorine": "lots", "masks": "很多",
                                "remarks": "x" * 501, "bogus": "1"})
    errors = exc.value.message_dict
    assert "answer yes, no or not applicable" in errors["exits"][0]
    assert "give a number" in errors["chlorine"][0]
    assert "choose one of: 充足、不足、无" in errors["masks"][0]
    assert "under 500 characters" in errors["remarks"][0]
    assert "add the photo" in errors["entrance"][0]
    assert "bogus" in errors["__all__"][0]


def test_a_failed_item_that_needs_a_photo_is_refused_without_one(version):
    with pytest.raises(ValidationError) as exc:
        services.fill(version, {"exits": "no", "chlorine": "600", "masks": "充足"},
                      photos={"entrance"})
    assert list(exc.value.message_dict) == ["exits"]
    assert "add a photo" in exc.value.message_dict["exits"][0]
    filled = services.fill(version, {"exits": "no", "chlorine": "600", "masks": "充足"},
                           photos={"entrance", "exits"})
    assert [item.key for item in filled.failed] == ["exits"]


def test_a_required_answer_missing_and_an_optional_one_left_out(version):
    with pytest.raises(ValidationError) as exc:
        services.fill(version, {"exits": "yes", "masks": "充足"}, photos={"entrance"})
    assert list(exc.value.message_dict) == ["chlorine"]


def rows(*items, extra=0):
    """The editor's POST: the formset of item rows."""
    data = {"items-TOTAL_FORMS": str(len(items) + extra), "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "100"}
    for n, item in enumerate(items):
        data.update({f"items-{n}-{key}": value for key, value in item.items()})
        data.setdefault(f"items-{n}-kind", "yes_no")
    for n in range(len(items), len(items) + extra):
        data[f"items-{n}-kind"] = "yes_no"
    return data


def test_the_editor_publishes_a_new_template_and_its_next_version(world, login):
    client = login(world.commander)
    bad = client.post("/checklists/new/", {"name": "大堂", "code": "Lobby!",
                                            "jurisdiction": world.luoyuan.pk,
                                            **rows({"text": "x", "kind": "number", "low": "9",
                                                    "high": "1"}, extra=2)})
    page = bad.content.decode()
    assert bad.status_code == 200 and "lower-case letters" in page and "lower limit" in page
    assert not Checklist.objects.exists()
    made = client.post("/checklists/new/", {
        "name": "写字楼公共区域", "code": "office-public", "jurisdiction": world.luoyuan.pk,
        **rows({"text": "电梯轿厢已消毒", "photo_when_failed": "on", "required": "on"},
               {"text": "含氯消毒液", "kind": "number", "low": "500", "high": "1000",
                "unit": "mg/L", "required": "on"}, extra=2)})
    assert made.status_code == 302
    checklist = Checklist.objects.get(code="office-public")
    assert [i.text for i in checklist.current().items.all()] == ["电梯轿厢已消毒", "含氯消毒液"]
    edit = client.get(f"/checklists/{checklist.pk}/edit/").content.decode()
    assert 'value="电梯轿厢已消毒"' in edit  # the next version starts as a copy
    client.post(f"/checklists/{checklist.pk}/edit/", {
        "name": "写字楼公共区域检查",
        **rows({"text": "电梯轿厢已消毒", "required": "on"},
               {"text": "垃圾桶加盖", "required": "on", "DELETE": "on"},
               {"text": "口罩收集桶", "kind": "choice", "choices": "已清运, 未清运",
                "failing": "未清运"})})
    checklist.refresh_from_db()
    assert checklist.current().number == 2 and checklist.name == "写字楼公共区域检查"
    assert [i.text for i in checklist.current().items.all()] == ["电梯轿厢已消毒", "口罩收集桶"]
    v1 = client.get(f"/checklists/{checklist.pk}/", {"v": "1"}).content.decode()
    assert "含氯消毒液" in v1 and "Records made with this version keep it." in v1


def test_only_those_who_manage_checklists_edit_them(world, login, version):
    inspector = factories.user("insp", "inspector", world.luoyuan)
    client = login(inspector)
    assert client.get("/checklists/").status_code == 200
    assert client.get(f"/checklists/{version.checklist_id}/edit/").status_code == 403
    assert client.get("/checklists/new/").status_code == 403
    outsider = factories.user("lixia", "district_commander", world.lixia)
    assert login(outsider).get(f"/checklists/{version.checklist_id}/").status_code == 404


def test_the_api_publishes_templates_and_their_versions(world):
    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.commander)
    made = api.post("/api/checklists/checklists/", {
        "jurisdiction": world.luoyuan.pk, "code": "lobby", "name": "大堂检查", "purpose": "x",
        "items": [{"text": "测温点", "kind": "yes_no"}]}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["current"]["number"] == 1
    pk = made.json()["id"]
    taken = api.post("/api/checklists/checklists/", {
        "jurisdiction": world.luoyuan.pk, "code": "lobby", "name": "x",
        "items": [{"text": "a", "kind": "yes_no"}]}, format="json")
    assert taken.status_code == 400 and "taken" in str(taken.json().get("code")), taken.json()
    bad = api.post(f"/api/checklists/checklists/{pk}/versions/",
                   {"items": [{"text": "a", "kind": "stars"}]}, format="json")
    assert bad.status_code == 400
    second = api.post(f"/api/checklists/checklists/{pk}/versions/", {
        "items": [{"text": "测温点", "kind": "yes_no"}, {"text": "通风", "kind": "yes_no"}]},
        format="json")
    assert second.status_code == 201 and second.json()["number"] == 2
    inspector = factories.user("insp", "inspector", world.luoyuan)
    reader = APIClient()
    reader.force_authenticate(inspector)
    assert [v["number"] for v in reader.get(f"/api/checklists/checklists/{pk}/versions/")
            .json()] == [2, 1]
    assert reader.post(f"/api/checklists/checklists/{pk}/versions/", {"items": []},
                       format="json").status_code == 403
    outsider = APIClient()
    outsider.force_authenticate(factories.user("lixia", "district_commander", world.lixia))
    assert outsider.get(f"/api/checklists/checklists/{pk}/").status_code == 404


@pytest.mark.parametrize("item,problem", [
    ({"text": "x", "kind": "number", "options": "abc"}, "must be an object"),
    ({"text": "x", "kind": "choice", "options": {"choices": 5}}, "must be lists"),
    ({"text": "x", "kind": "number", "options": {"min": "NaN"}}, "limits must be numbers"),
    ("just text", "as an object"),
])
def test_malformed_items_are_refused_by_item(world, item, problem):
    with pytest.raises(ValidationError) as exc:
        services.create_checklist(actor=world.commander, jurisdiction=world.luoyuan, code="x",
                                  name="x", purpose="x", items=[item])
    assert problem in exc.value.message_dict["items"][0]


def test_a_plan_offers_only_checklists_within_reach(world, login):
    services.create_checklist(actor=world.admin, jurisdiction=world.lixia, code="lixia",
                              name="历下专用检查表", purpose="x", items=ITEMS[:1])
    services.create_checklist(actor=world.admin, jurisdiction=world.city, code="city",
                              name="全市通用检查表", purpose="x", items=ITEMS[:1])
    page = login(world.commander).get("/inspections/plans/new/").content.decode()
    assert "全市通用检查表" in page and "历下专用检查表" not in page
