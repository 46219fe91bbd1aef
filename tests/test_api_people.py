"""People API: scoping (404 across communities), service-backed writes, reveal, status."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoumen.core.models import AuditAction, AuditEvent
from shoumen.people import fake
from shoumen.people.models import Person, PersonStatus, PersonTag, StatusChange
from tests.factories import person

LIST = "/api/people/persons/"


def api(user) -> APIClient:
    """A client authenticated by token, asking for English messages."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def detail(p, suffix=""):
    return f"{LIST}{p.pk}/{suffix}"


def events(p, action):
    return AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(Person),
                                     object_id=str(p.pk), action=action)


@pytest.fixture
def zhang(world):
    return person(world.worker_a, world.community_a, "张三", phone="13812345678",
                  address="泺源大街1号")


@pytest.fixture
def tags(db):
    return [PersonTag.objects.create(code="elderly_alone", name="独居老人"),
            PersonTag.objects.create(code="returned", name="返济人员")]


def valid_id(seq=901, birth=date(1990, 5, 17)):
    return fake.id_number("370103", birth, seq)


def new_person_body(world, **extra):
    return {"name": "王五", "jurisdiction": world.community_a.pk, "id_number": valid_id(),
            "phone": "13900001111", **extra}


# --- reading and scoping ---------------------------------------------------------------

def test_list_shows_masked_numbers_and_no_full_ones(world, zhang):
    r = api(world.worker_a).get(LIST)
    assert r.status_code == 200
    row = next(x for x in r.json()["results"] if x["id"] == zhang.pk)
    assert row["id_number_masked"] == zhang.id_number_masked and "*" in row["id_number_masked"]
    assert row["phone_masked"] == "138****5678"
    assert "id_number" not in row and "phone" not in row
    assert row["jurisdiction"] == world.community_a.pk and row["jurisdiction_name"] == "甲社区"
    assert row["gender"] in {"M", "F"} and row["birth_date"] == "1985-03-07"
    assert row["status"] == "normal"


def test_other_community_worker_gets_404_everywhere(world, zhang):
    client = api(world.worker_b)
    ids = [x["id"] for x in client.get(LIST).json()["results"]]
    assert zhang.pk not in ids
    assert client.get(detail(zhang)).status_code == 404
    assert client.patch(detail(zhang), {"address": "x"}, format="json").status_code == 404
    assert client.post(detail(zhang, "reveal/")).status_code == 404
    r = client.post(detail(zhang, "status/"), {"status": "home_observation", "reason": "密接"},
                    format="json")
    assert r.status_code == 404
    assert client.get(detail(zhang, "history/")).status_code == 404
    zhang.refresh_from_db()
    assert zhang.address == "泺源大街1号" and zhang.status == PersonStatus.NORMAL
    assert not events(zhang, AuditAction.VIEW_PII).exists()
    # The commander above both communities sees them.
    assert api(world.commander).get(detail(zhang)).status_code == 200


def test_search_by_pinyin_initials(world, zhang):
    li = person(world.worker_a, world.community_a, "李四")
    client = api(world.worker_a)
    ids = [x["id"] for x in client.get(LIST, {"q": "zs"}).json()["results"]]
    assert ids == [zhang.pk]
    ids = [x["id"] for x in client.get(LIST, {"q": "ls"}).json()["results"]]
    assert ids == [li.pk]


def test_filter_by_node_and_status(world, zhang):
    in_grid = person(world.worker_a, world.grid_a1, "赵六")
    client = api(world.commander)
    ids = {x["id"] for x in client.get(LIST, {"node": world.grid_a1.pk}).json()["results"]}
    assert ids == {in_grid.pk}
    ids = {x["id"] for x in client.get(LIST, {"status": "home_observation"}).json()["results"]}
    assert ids == set()
    # A node outside the user's area is not a valid choice.
    r = api(world.worker_b).get(LIST, {"node": world.community_a.pk})
    assert r.status_code == 400


# --- creating ------------------------------------------------------------------------------

def test_create_goes_through_the_service(world, tags):
    body = new_person_body(world, tags=["elderly_alone", tags[1].pk], kind="resident",
                           address="顺河街2号")
    r = api(world.worker_a).post(LIST, body, format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    p = Person.objects.get(pk=data["id"])
    assert p.id_number == body["id_number"] and p.phone == "13900001111"
    assert p.name_initials == "ww"
    assert data["gender"] == "M" and data["birth_date"] == "1990-05-17"  # 17th digit 1: odd
    assert data["id_number_masked"] == body["id_number"][:6] + "********" + body["id_number"][-4:]
    assert "id_number" not in data and "phone" not in data
    assert sorted(data["tags"]) == ["elderly_alone", "returned"]
    ev = events(p, AuditAction.CREATE).get()
    assert ev.actor == world.worker_a and "id_number_encrypted" not in ev.after


def test_create_with_wrong_check_digit_is_400_and_writes_nothing(world):
    number = valid_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    r = api(world.worker_a).post(LIST, new_person_body(world, id_number=wrong), format="json")
    assert r.status_code == 400
    assert f"should be {number[17]}" in r.json()["id_number"][0]
    assert not Person.objects.filter(name="王五").exists()


def test_create_with_15_digit_id_is_400(world):
    r = api(world.worker_a).post(LIST, new_person_body(world, id_number="370103850307123"),
                                 format="json")
    assert r.status_code == 400
    assert "18-digit" in r.json()["id_number"][0]
    assert not Person.objects.filter(name="王五").exists()


def test_create_duplicate_id_is_400(world, zhang):
    r = api(world.worker_a).post(LIST, new_person_body(world, id_number=zhang.id_number),
                                 format="json")
    assert r.status_code == 400
    assert "already registered" in r.json()["id_number"][0]
    assert Person.objects.count() == 1


def test_create_needs_an_id_number_and_a_valid_phone(world):
    client = api(world.worker_a)
    body = new_person_body(world)
    del body["id_number"]
    r = client.post(LIST, body, format="json")
    assert r.status_code == 400 and r.json()["id_number"] == ["ID number is required."]
    r = client.post(LIST, new_person_body(world, phone="12345"), format="json")
    assert r.status_code == 400 and "mainland phone number" in r.json()["phone"][0]
    r = client.post(LIST, new_person_body(world, tags=["no_such_tag"]), format="json")
    assert r.status_code == 400 and "no_such_tag" in r.json()["tags"][0]
    assert not Person.objects.exists()


def test_create_outside_own_area_is_400(world):
    r = api(world.worker_b).post(LIST, new_person_body(world), format="json")
    assert r.status_code == 400
    assert "within your area" in r.json()["jurisdiction"][0]
    assert not Person.objects.exists()


def test_create_needs_people_edit(world):
    r = api(world.volunteer).post(LIST, new_person_body(world), format="json")
    assert r.status_code == 403
    assert not Person.objects.exists()


def test_create_at_a_subdistrict_is_refused_by_the_service(world):
    r = api(world.commander).post(LIST, new_person_body(world, jurisdiction=world.luoyuan.pk),
                                  format="json")
    assert r.status_code == 400
    assert "community or grid" in r.json()["jurisdiction"][0]


# --- updating -------------------------------------------------------------------------------

def test_patch_is_audited_with_before_and_after(world, zhang, tags):
    r = api(world.worker_a).patch(detail(zhang), {"address": "经十路3号", "tags": ["returned"]},
                                  format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["address"] == "经十路3号" and r.json()["tags"] == ["returned"]
    zhang.refresh_from_db()
    assert zhang.address == "经十路3号"
    assert zhang.id_number_masked and zhang.phone == "13812345678"  # numbers left unchanged
    ev = events(zhang, AuditAction.UPDATE).filter(before__isnull=False).latest("id")
    assert ev.before == {"address": "泺源大街1号"} and ev.after == {"address": "经十路3号"}
    assert ev.actor == world.worker_a


def test_patch_with_a_bad_phone_changes_nothing(world, zhang):
    r = api(world.worker_a).patch(detail(zhang), {"address": "新地址", "phone": "999"},
                                  format="json")
    assert r.status_code == 400 and "phone" in r.json()
    zhang.refresh_from_db()
    assert zhang.address == "泺源大街1号" and zhang.phone == "13812345678"


def test_patch_needs_people_edit_and_there_is_no_delete(world, zhang):
    assert api(world.volunteer).patch(detail(zhang), {"address": "x"},
                                      format="json").status_code == 403
    assert api(world.admin).delete(detail(zhang)).status_code == 405
    assert api(world.admin).put(detail(zhang), {}, format="json").status_code == 405
    assert Person.objects.filter(pk=zhang.pk).exists()


def test_status_cannot_be_patched_directly(world, zhang):
    r = api(world.worker_a).patch(detail(zhang), {"status": "confirmed"}, format="json")
    assert r.status_code == 200
    zhang.refresh_from_db()
    assert zhang.status == PersonStatus.NORMAL


# --- reveal and status -----------------------------------------------------------------------

def test_reveal_is_audited(world, zhang):
    r = api(world.worker_a).post(detail(zhang, "reveal/"))
    assert r.status_code == 200
    assert r.json() == {"id_number": zhang.id_number, "phone": "13812345678"}
    assert r["Cache-Control"] == "no-store"
    ev = events(zhang, AuditAction.VIEW_PII).get()
    assert ev.actor == world.worker_a and ev.jurisdiction == world.community_a


def test_volunteer_cannot_reveal(world, zhang):
    client = api(world.volunteer)
    assert client.get(detail(zhang)).status_code == 200  # may see the masked record
    r = client.post(detail(zhang, "reveal/"))
    assert r.status_code == 403
    assert zhang.id_number not in r.content.decode()
    assert not events(zhang, AuditAction.VIEW_PII).exists()


def test_status_change_writes_history_and_audit(world, zhang):
    client = api(world.worker_a)
    r = client.post(detail(zhang, "status/"),
                    {"status": "home_observation", "reason": "密切接触者"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "home_observation"
    change = StatusChange.objects.get(person=zhang)
    assert (change.from_status, change.to_status, change.reason, change.changed_by) == (
        "normal", "home_observation", "密切接触者", world.worker_a)
    ev = events(zhang, AuditAction.UPDATE).filter(before__status="normal").get()
    assert ev.after["status"] == "home_observation" and ev.actor == world.worker_a
    history = client.get(detail(zhang, "history/")).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [("normal", "home_observation")]
    assert history[0]["changed_by_name"] == "worker_a"


def test_status_change_needs_a_reason_and_a_known_status(world, zhang):
    client = api(world.worker_a)
    r = client.post(detail(zhang, "status/"), {"status": "home_observation", "reason": " "},
                    format="json")
    assert r.status_code == 400 and "Say why" in r.json()["reason"][0]
    r = client.post(detail(zhang, "status/"), {"status": "vanished", "reason": "x"},
                    format="json")
    assert r.status_code == 400 and "status" in r.json()
    assert not StatusChange.objects.exists()
    r = api(world.volunteer).post(detail(zhang, "status/"),
                                  {"status": "home_observation", "reason": "x"}, format="json")
    assert r.status_code == 403


def test_tags_list(world, tags):
    r = api(world.worker_a).get("/api/people/tags/")
    assert r.status_code == 200
    assert {t["code"] for t in r.json()} == {"elderly_alone", "returned"}


def test_anonymous_is_refused(world, zhang):
    r = APIClient().get(LIST)
    assert r.status_code in {401, 403}


def test_list_query_count_does_not_grow_with_rows(world, tags, django_assert_max_num_queries):
    for i in range(12):
        p = person(world.worker_a, world.community_a, f"居民{i}")
        p.tags.set(tags)
    client = api(world.worker_a)
    client.get(LIST)  # warm the token and content-type caches
    with django_assert_max_num_queries(8):
        r = client.get(LIST, {"ordering": "name"})
    assert r.json()["count"] == 12
    assert all(row["tags"] == ["elderly_alone", "returned"] for row in r.json()["results"])
