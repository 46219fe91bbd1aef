"""Audit trail pages: who may read them, scoping, filters and the before/after diff."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from shoumen.core import audit, request_context
from shoumen.core.models import AuditAction, AuditEvent
from shoumen.people import services
from shoumen.people.models import Person
from tests.factories import person, place, user


@pytest.fixture
def district(world):
    return user("district", "district_commander", world.shizhong)


@pytest.fixture
def zhang(world):
    p = person(world.worker_a, world.community_a, "张三", address="旧地址")
    with request_context.acting_as(world.worker_a, request_id="req0001"):
        services.update_person(p, actor=world.worker_a, address="新地址")
        audit.record(AuditAction.VIEW_PII, p, note="id_number, phone")
    return p


def test_audit_list_forbidden_to_community_worker(world, login, zhang):
    c = login(world.worker_a)
    r = c.get(reverse("core:audit-list"))
    assert r.status_code == 403
    assert "audit trail" in r.content.decode()
    event = AuditEvent.objects.filter(object_id=str(zhang.pk)).first()
    assert c.get(reverse("core:audit-detail", args=[event.pk])).status_code == 403


def test_audit_list_for_admin(world, login, zhang):
    r = login(world.admin).get(reverse("core:audit-list"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "张三" in body and 'data-action="view_pii"' in body and "table-responsive" in body
    actions = {e.action for e in r.context["page_obj"]}
    assert {"create", "update", "view_pii"} <= actions


def test_audit_list_filters(world, login, zhang):
    c = login(world.admin)
    r = c.get(reverse("core:audit-list"), {"action": "view_pii"})
    assert [e.action for e in r.context["page_obj"]] == ["view_pii"]
    r = c.get(reverse("core:audit-list"), {"request_id": "req0001"})
    assert {e.action for e in r.context["page_obj"]} == {"update", "view_pii"}
    ct = ContentType.objects.get_for_model(Person)
    r = c.get(reverse("core:audit-list"), {"content_type": ct.pk, "object_id": str(zhang.pk)})
    assert len(r.context["page_obj"]) == 3
    r = c.get(reverse("core:audit-list"), {"actor": world.worker_a.pk})
    assert len(r.context["page_obj"]) == 3
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = c.get(reverse("core:audit-list"), {"since": tomorrow})
    assert r.context["page_obj"].paginator.count == 0
    assert "No audit event matches these filters." in r.content.decode()
    r = c.get(reverse("core:audit-list"), {"until": tomorrow})
    assert r.context["page_obj"].paginator.count == AuditEvent.objects.count()


def test_audit_list_htmx_partial_and_pagination(world, login, zhang):
    for i in range(60):
        place(world.community_a, f"楼{i}")
    c = login(world.admin)
    r = c.get(reverse("core:audit-list"), HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "<html" not in body and 'data-table="audit"' in body
    assert len(r.context["page_obj"]) == 50 and "page=2" in body


def test_district_commander_sees_own_district_only(world, login, district, zhang):
    other = place(world.lixia_community, "济南火车站")
    c = login(district)
    r = c.get(reverse("core:audit-list"))
    assert r.status_code == 200
    reprs = {e.object_repr for e in r.context["page_obj"]}
    assert "张三" in reprs and "济南火车站" not in reprs
    foreign = AuditEvent.objects.get(object_repr="济南火车站", action="create")
    assert c.get(reverse("core:audit-detail", args=[foreign.pk])).status_code == 404
    actors = set(r.context["filter"].form.fields["actor"].queryset)
    assert world.worker_a in actors and world.admin not in actors
    assert other.pk


def test_audit_detail_diff_table(world, login, zhang):
    event = AuditEvent.objects.get(action="update", object_id=str(zhang.pk),
                                   content_type=ContentType.objects.get_for_model(Person))
    r = login(world.admin).get(reverse("core:audit-detail", args=[event.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    rows = {row["key"]: row for row in r.context["rows"]}
    assert rows["address"]["before"] == "旧地址" and rows["address"]["after"] == "新地址"
    assert rows["address"]["changed"] and rows["address"]["label"] == "address"
    assert 'data-field="address"' in body and "table-warning" in body
    assert reverse("people:detail", args=[zhang.pk]) in body
    assert r.context["object_url"] == reverse("people:detail", args=[zhang.pk])
    assert [e.action for e in r.context["same_request"]] == ["view_pii"]


def test_audit_detail_of_create_lists_fields_without_ciphertext(world, login, zhang):
    event = AuditEvent.objects.get(action="create", object_id=str(zhang.pk),
                                   content_type=ContentType.objects.get_for_model(Person))
    r = login(world.admin).get(reverse("core:audit-detail", args=[event.pk]))
    keys = {row["key"] for row in r.context["rows"]}
    assert "id_number_masked" in keys and "jurisdiction_id" in keys
    assert "id_number_encrypted" not in keys
    assert zhang.id_number not in r.content.decode()
    jurisdiction_row = next(row for row in r.context["rows"] if row["key"] == "jurisdiction_id")
    assert jurisdiction_row["label"] == "community / grid"
    assert not jurisdiction_row["changed"] and jurisdiction_row["before"] == ""
