"""Checklists: templates published in versions (a record keeps its version), items checked as
filled in (a "no", a number out of its limits or a failing choice fails the item; a failed item
may need a photo), and only commanders edit templates."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shoumen.checklists import services
from shoumen.checklists.models import Checklist, ChecklistItem, ItemKind
from shoumen.core.authz import NotAllowed

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
