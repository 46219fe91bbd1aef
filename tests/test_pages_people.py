"""People pages: list, search, detail, reveal, create/edit, status; scoping and permissions."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from shoumen.core.models import AuditEvent
from shoumen.people import fake
from shoumen.people.models import Person, PersonStatus, PersonTag, StatusChange
from shoumen.urls import urlpatterns as shoumen_urlpatterns
from tests.factories import force_update, person, user

# A stand-in for the ledgers app (built elsewhere), so that the Export/Import buttons can be
# tested whether or not it exists yet. Used via settings.ROOT_URLCONF = __name__.
_ledger_stub = ([path("<str:kind>/export/", lambda r, kind: HttpResponse(), name="export"),
                 path("<str:kind>/import/", lambda r, kind: HttpResponse(), name="import")], "ledgers")
urlpatterns = [path("ledgers-stub/", include(_ledger_stub)), *shoumen_urlpatterns]


@pytest.fixture
def zhang(world):
    return person(world.worker_a, world.community_a, "张三", phone="13812345678",
                  address="泺源大街1号", household="H-001")


@pytest.fixture
def li(world):
    return person(world.worker_b, world.community_b, "李四")


def valid_id(seq, region="370103"):
    return fake.id_number(region, date(1990, 5, 17), seq)


def detail(p, name="detail"):
    return reverse(f"people:{name}", kwargs={"pk": p.pk})


# --- list ------------------------------------------------------------------------------------

def test_list_shows_only_people_in_scope_masked(world, login, zhang, li):
    r = login(world.worker_a).get(reverse("people:list"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "张三" in body and "李四" not in body
    assert zhang.id_number_masked in body and zhang.id_number not in body
    assert "138****5678" in body and "13812345678" not in body
    assert "table-responsive" in body


def test_list_for_commander_shows_both_communities(world, login, zhang, li):
    body = login(world.commander).get(reverse("people:list")).content.decode()
    assert "张三" in body and "李四" in body


def test_list_forbidden_without_people_view(world, login):
    inspector = user("inspector", "inspector", world.luoyuan)
    r = login(inspector).get(reverse("people:list"))
    assert r.status_code == 403
    assert "people registry" in r.content.decode()


def test_search_by_pinyin_initials(world, login, zhang):
    person(world.worker_a, world.community_a, "王五")
    c = login(world.worker_a)
    body = c.get(reverse("people:list"), {"q": "zs"}).content.decode()
    assert "张三" in body and "王五" not in body
    body = c.get(reverse("people:list"), {"q": "ww"}).content.decode()
    assert "王五" in body and "张三" not in body


def test_search_by_last_phone_digits_and_address(world, login, zhang):
    person(world.worker_a, world.community_a, "王五", phone="13900001111")
    c = login(world.worker_a)
    body = c.get(reverse("people:list"), {"q": "5678"}).content.decode()
    assert "张三" in body and "王五" not in body
    body = c.get(reverse("people:list"), {"q": "泺源大街"}).content.decode()
    assert "张三" in body and "王五" not in body


def test_filter_by_status_and_tag(world, login, zhang):
    tag = PersonTag.objects.create(code="returned", name="返乡人员")
    wang = person(world.worker_a, world.community_a, "王五", tags=[tag])
    zhao = person(world.worker_a, world.community_a, "赵六")
    force_update(Person.objects.filter(pk=zhao.pk), status=PersonStatus.HOME_OBSERVATION)
    c = login(world.worker_a)
    body = c.get(reverse("people:list"), {"tag": tag.pk}).content.decode()
    assert wang.name in body and "张三" not in body and "赵六" not in body
    body = c.get(reverse("people:list"), {"status": "home_observation"}).content.decode()
    assert "赵六" in body and "张三" not in body
    body = c.get(reverse("people:list"), {"key_person": "true"}).content.decode()
    assert wang.name in body and "赵六" not in body
    r = c.get(reverse("people:list"), {"status": ["home_observation", "normal"]})
    assert {p.name for p in r.context["page_obj"]} == {"张三", "王五", "赵六"}
    assert "2 chosen" in r.content.decode()  # the status dropdown says how many are ticked


def test_empty_states(world, login):
    c = login(world.worker_a)
    body = c.get(reverse("people:list"), {"q": "", "key_person": "unknown"}).content.decode()
    assert "No people registered in your jurisdictions yet." in body and "data-empty-state" in body
    body = c.get(reverse("people:list"), {"q": "nobody"}).content.decode()
    assert "Nobody matches these filters." in body


def test_list_sorting_by_ordering_param(world, login):
    for name in ("阿明", "赵六", "王五"):
        person(world.worker_a, world.community_a, name)
    c = login(world.worker_a)
    body = c.get(reverse("people:list"), {"ordering": "-name"}).content.decode()
    assert body.index("赵六") < body.index("王五") < body.index("阿明")
    body = c.get(reverse("people:list"), {"ordering": "name"}).content.decode()
    assert body.index("阿明") < body.index("王五") < body.index("赵六")
    assert 'aria-sort="ascending"' in body


def test_htmx_request_gets_only_the_table_partial(world, login, zhang):
    r = login(world.worker_a).get(reverse("people:list"), {"q": "zs"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" not in body and "<nav class=\"navbar" not in body
    assert 'data-table="people"' in body and "张三" in body
    assert 'hx-swap-oob="true"' in body
    assert "HX-Request" in r["Vary"]
    full = login(world.worker_a).get(reverse("people:list")).content.decode()
    assert "<html" in full and 'hx-trigger="input changed delay:300ms' in full


def test_pagination_keeps_querystring(world, login):
    actor = world.worker_a
    for i in range(55):
        person(actor, world.community_a, f"张{i:02d}")
    c = login(actor)
    r = c.get(reverse("people:list"), {"q": "z", "ordering": "name"})
    body = r.content.decode()
    assert r.context["page_obj"].paginator.num_pages == 2
    assert len(r.context["page_obj"].object_list) == 50
    assert "?q=z&amp;ordering=name&amp;page=2" in body
    r = c.get(reverse("people:list"), {"q": "z", "ordering": "name", "page": 2})
    assert len(r.context["page_obj"].object_list) == 5


def test_list_query_count_does_not_grow_with_rows(world, login):
    tag = PersonTag.objects.create(code="elderly", name="独居老人")
    grid_tag = PersonTag.objects.create(code="returned", name="返乡人员")
    c = login(world.commander)
    person(world.worker_a, world.grid_a1, "甲一", tags=[tag])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(reverse("people:list"))
        assert r.status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(20):
        node = world.grid_a1 if i % 2 else world.community_b
        person(world.worker_a if i % 2 else world.worker_b, node, f"居民{i}", tags=[tag, grid_tag])
    many = count()
    assert many == few
    assert many <= 12


# --- export / import buttons ---------------------------------------------------------------

def test_export_import_buttons_when_ledgers_exist(world, login, settings, zhang):
    settings.ROOT_URLCONF = __name__
    body = login(world.worker_a).get(reverse("people:list"), {"q": "zs"}).content.decode()
    assert 'href="/ledgers-stub/people/export/?q=zs"' in body
    assert 'href="/ledgers-stub/people/import/"' in body


def test_buttons_follow_capabilities(world, login, settings):
    settings.ROOT_URLCONF = __name__
    body = login(world.volunteer).get(reverse("people:list")).content.decode()
    assert "/ledgers-stub/people/export/" not in body and "/ledgers-stub/people/import/" not in body
    body = login(world.grid_worker).get(reverse("people:list")).content.decode()
    assert "/ledgers-stub/people/export/" in body and "/ledgers-stub/people/import/" not in body


class WithoutLedgers:
    """A URLconf without the ledgers app, as before it existed."""

    urlpatterns = [p for p in shoumen_urlpatterns if getattr(p, "namespace", None) != "ledgers"]


def test_list_renders_without_ledgers_app(world, login, settings):
    settings.ROOT_URLCONF = WithoutLedgers
    r = login(world.worker_a).get(reverse("people:list"))
    assert r.status_code == 200
    assert r.context["export_url"] is None and r.context["import_url"] is None
    assert 'data-action="export"' not in r.content.decode()


# --- detail, reveal ----------------------------------------------------------------------

def test_detail_shows_person_household_and_history(world, login, zhang):
    mate = person(world.worker_a, world.grid_a1, "张小三", household="H-001")
    other = person(world.worker_b, world.community_b, "乙家人", household="H-001")
    r = login(world.worker_a).get(detail(zhang))
    assert r.status_code == 200
    body = r.content.decode()
    assert "张三" in body and zhang.id_number_masked in body and zhang.id_number not in body
    assert mate.name in body and other.name not in body  # household members in scope only
    assert 'data-action="reveal"' in body and 'data-action="edit"' in body
    assert 'data-table="audit-history"' in body


def test_detail_for_volunteer_has_no_reveal_edit_or_audit(world, login, zhang):
    r = login(world.volunteer).get(detail(zhang))
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-action="reveal"' not in body and 'data-action="edit"' not in body
    assert 'data-table="audit-history"' not in body


@pytest.mark.parametrize("name,method", [("detail", "get"), ("edit", "get"), ("edit", "post"),
                                         ("status", "get"), ("status", "post"), ("reveal", "post")])
def test_other_community_gets_404(world, login, zhang, name, method):
    c = login(world.worker_b)
    r = getattr(c, method)(detail(zhang, name), {"status": "confirmed", "reason": "x",
                                                 "name": "改名"})
    assert r.status_code == 404
    zhang.refresh_from_db()
    assert zhang.name == "张三" and zhang.status == PersonStatus.NORMAL
    assert not AuditEvent.objects.filter(action="view_pii").exists()


def test_reveal_returns_full_numbers_and_is_audited(world, login, zhang):
    r = login(world.worker_a).post(detail(zhang, "reveal"), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" not in body
    assert zhang.id_number in body and "13812345678" in body
    assert "no-store" in r["Cache-Control"] or "no-cache" in r["Cache-Control"]
    event = AuditEvent.objects.get(action="view_pii")
    assert event.actor == world.worker_a
    assert event.object_id == str(zhang.pk)
    assert event.content_type == ContentType.objects.get_for_model(Person)


def test_reveal_without_htmx_renders_the_page(world, login, zhang):
    r = login(world.worker_a).post(detail(zhang, "reveal"))
    assert r.status_code == 200
    assert "<html" in r.content.decode() and zhang.id_number in r.content.decode()
    assert AuditEvent.objects.filter(action="view_pii").count() == 1


def test_reveal_needs_post(world, login, zhang):
    r = login(world.worker_a).get(detail(zhang, "reveal"))
    assert r.status_code == 405
    assert not AuditEvent.objects.filter(action="view_pii").exists()


def test_volunteer_gets_403_on_reveal_edit_and_status(world, login, zhang):
    c = login(world.volunteer)
    r = c.post(detail(zhang, "reveal"), HTTP_HX_REQUEST="true")
    assert r.status_code == 403
    assert "full ID and phone" in r.content.decode()
    assert zhang.id_number not in r.content.decode()
    assert not AuditEvent.objects.filter(action="view_pii").exists()
    r = c.get(detail(zhang, "edit"))
    assert r.status_code == 403 and "not change their details" in r.content.decode()
    r = c.post(detail(zhang, "edit"), {"name": "改名", "kind": "resident",
                                       "jurisdiction": world.community_a.pk})
    assert r.status_code == 403
    r = c.post(detail(zhang, "status"), {"status": "confirmed", "reason": "test"})
    assert r.status_code == 403
    zhang.refresh_from_db()
    assert zhang.name == "张三" and zhang.status == PersonStatus.NORMAL


def test_grid_worker_cannot_reveal(world, login):
    p = person(world.grid_worker, world.grid_a1, "网格居民")
    r = login(world.grid_worker).post(detail(p, "reveal"))
    assert r.status_code == 403


# --- create ----------------------------------------------------------------------------------

def form_data(world, **overrides):
    data = {"name": "新居民", "id_number": valid_id(901), "phone": "13800001234", "kind": "resident",
            "jurisdiction": world.community_a.pk, "address": "泺源大街2号", "household": "",
            "note": ""}
    data.update(overrides)
    return data


def test_create_person(world, login):
    tag = PersonTag.objects.create(code="elderly", name="独居老人")
    r = login(world.worker_a).post(reverse("people:create"), form_data(world, tags=[tag.pk]))
    p = Person.objects.get(name="新居民")
    assert r.status_code == 302 and r["Location"] == detail(p)
    assert p.id_number == valid_id(901) and p.phone == "13800001234"
    assert list(p.tags.all()) == [tag]
    assert AuditEvent.objects.filter(action="create", object_id=str(p.pk),
                                     actor=world.worker_a).exists()


def test_create_form_offers_only_editable_communities(world, login):
    r = login(world.worker_a).get(reverse("people:create"))
    assert r.status_code == 200
    choices = {n.pk for n in r.context["form"].fields["jurisdiction"].queryset}
    assert choices == {world.community_a.pk, world.grid_a1.pk}
    r = login(world.worker_a).post(reverse("people:create"),
                                   form_data(world, jurisdiction=world.community_b.pk))
    assert r.status_code == 200 and not Person.objects.exists()
    assert r.context["form"].errors["jurisdiction"]


def test_create_bad_check_digit_shows_message_and_keeps_input(world, login):
    good = valid_id(902)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    r = login(world.worker_a).post(reverse("people:create"), form_data(world, id_number=bad))
    assert r.status_code == 200
    body = r.content.decode()
    assert f"the 18th character should be {good[17]}" in body
    assert "新居民" in body and "泺源大街2号" in body  # the user's input is kept
    assert not Person.objects.exists()


def test_create_rejects_15_digit_id(world, login):
    r = login(world.worker_a).post(reverse("people:create"),
                                   form_data(world, id_number="370103850307123"))
    assert r.status_code == 200
    assert "15-digit ID numbers are no longer valid" in r.content.decode()
    assert not Person.objects.exists()


def test_create_rejects_duplicate_id(world, login, zhang):
    r = login(world.worker_a).post(reverse("people:create"),
                                   form_data(world, id_number=zhang.id_number))
    assert r.status_code == 200
    assert "already registered" in r.content.decode()
    assert Person.objects.count() == 1


def test_create_reports_every_bad_field_at_once(world, login):
    r = login(world.worker_a).post(reverse("people:create"),
                                   form_data(world, id_number="12345", phone="12345"))
    errors = r.context["form"].errors
    assert "id_number" in errors and "phone" in errors
    assert not Person.objects.exists()


def test_create_forbidden_for_volunteer(world, login):
    c = login(world.volunteer)
    assert c.get(reverse("people:create")).status_code == 403
    assert c.post(reverse("people:create"), form_data(world)).status_code == 403
    assert not Person.objects.exists()


# --- edit -------------------------------------------------------------------------------------

def test_edit_form_never_contains_full_numbers(world, login, zhang):
    r = login(world.worker_a).get(detail(zhang, "edit"))
    assert r.status_code == 200
    body = r.content.decode()
    assert zhang.id_number not in body and "13812345678" not in body
    assert zhang.id_number_masked in body  # in the "leave empty to keep" help text
    assert 'value="张三"' in body


def test_edit_keeps_numbers_when_left_empty(world, login, zhang):
    old_id = zhang.id_number
    r = login(world.worker_a).post(detail(zhang, "edit"),
                                   form_data(world, name="张三丰", id_number="", phone="",
                                             jurisdiction=world.grid_a1.pk))
    assert r.status_code == 302
    zhang.refresh_from_db()
    assert zhang.name == "张三丰" and zhang.jurisdiction == world.grid_a1
    assert zhang.id_number == old_id and zhang.phone == "13812345678"
    event = AuditEvent.objects.filter(action="update", object_id=str(zhang.pk)).latest("id")
    assert event.after["name"] == "张三丰"


def test_edit_can_change_and_clear_numbers(world, login, zhang):
    new_id = valid_id(903)
    r = login(world.worker_a).post(detail(zhang, "edit"),
                                   form_data(world, name="张三", id_number=new_id, phone="",
                                             clear_phone="on"))
    assert r.status_code == 302
    zhang.refresh_from_db()
    assert zhang.id_number == new_id and zhang.phone == ""


def test_edit_error_keeps_input_and_changes_nothing(world, login, zhang):
    other = person(world.worker_a, world.community_a, "王五")
    r = login(world.worker_a).post(detail(zhang, "edit"),
                                   form_data(world, name="张三改", id_number=other.id_number))
    assert r.status_code == 200
    body = r.content.decode()
    assert "already registered" in body and 'value="张三改"' in body
    zhang.refresh_from_db()
    assert zhang.name == "张三"


# --- status -----------------------------------------------------------------------------------

def test_status_change(world, login, zhang):
    c = login(world.worker_a)
    assert c.get(detail(zhang, "status")).status_code == 200
    r = c.post(detail(zhang, "status"), {"status": "home_observation", "reason": "密接"})
    assert r.status_code == 302
    zhang.refresh_from_db()
    assert zhang.status == PersonStatus.HOME_OBSERVATION
    change = StatusChange.objects.get(person=zhang)
    assert change.changed_by == world.worker_a and change.reason == "密接"
    body = c.get(detail(zhang)).content.decode()
    assert 'data-table="status-history"' in body and "密接" in body


def test_status_change_needs_reason(world, login, zhang):
    r = login(world.worker_a).post(detail(zhang, "status"), {"status": "confirmed", "reason": ""})
    assert r.status_code == 200
    assert r.context["form"].errors["reason"]
    zhang.refresh_from_db()
    assert zhang.status == PersonStatus.NORMAL and not StatusChange.objects.exists()
