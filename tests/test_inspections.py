"""Inspections: a plan gives every enterprise of a tower a daily duty shared among the team's
inspectors; an inspection keeps its checklist version, fulfils the window, stores its photos
and opens a rectification per failed item; the party (a liaison) answers with evidence and a
re-inspection closes or extends it; overdue or repeated failures escalate to the task force
exactly once; a wrong answer or photo saves nothing; others see nothing (404)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from shoumen.checklists import services as checklists
from shoumen.core.authz import NotAllowed
from shoumen.duties.models import Window, WindowState
from shoumen.evidence.models import Evidence
from shoumen.inspections import services
from shoumen.inspections.models import Inspection, Rectification, RectificationState
from shoumen.ledgers import services as ledgers
from tests.factories import enterprise, place, user
from tests.helpers_inspections import GOOD, ITEMS, Tower, local, photo

pytestmark = pytest.mark.usefixtures("media_root", "english")

@pytest.fixture
def tower(world):
    return Tower(world)


def inspect(tower, subject, answers=GOOD, **kwargs):
    inspector = subject.duty.owner
    return services.record_inspection(subject, actor=inspector, answers=answers,
                                      signed_by="王经理", **kwargs)


def failing(tower):
    subject = next(s for s in tower.subjects if s.enterprise_id == tower.firms[0].pk)
    return subject, inspect(tower, subject, {**GOOD, "temperature-point": "no"},
                            photos={"temperature-point": photo()})


def test_a_plan_gives_each_enterprise_a_daily_duty_shared_among_the_inspectors(tower):
    assert [s.name for s in tower.subjects] == ["乙贸易", "甲科技"]
    owners = {s.duty.owner for s in tower.subjects}
    assert owners == set(tower.inspectors)  # round robin; the leader is no inspector here
    assert all(s.duty.leader is None or s.duty.leader.username == "commander" for s in tower.subjects)
    assert Window.objects.filter(day=timezone.localdate(), duty__kind="inspection").count() == 2
    # a new enterprise in the tower joins the plan when asked, once
    enterprise(tower.building.jurisdiction, "丙餐饮", credit_code="91370102MA3C5G7Y6K",
               building=tower.building)
    commander = tower.team.leader()
    assert services.add_new_subjects(tower.plan, actor=commander) == 1
    assert services.add_new_subjects(tower.plan, actor=commander) == 0


def test_a_plan_that_cannot_work_says_why(world, tower):
    other = place(world.lixia_community, "银座晶都")
    with pytest.raises(ValidationError) as exc:
        services.create_plan(actor=world.commander, jurisdiction=world.luoyuan, name="",
                             source="building_enterprises", building=other,
                             checklist=tower.checklist, team=tower.task_force,
                             starts_on=timezone.localdate(), rectify_days=0)
    errors = exc.value.message_dict
    assert set(errors) == {"name", "building", "team", "rectify_days"}
    assert "Choose a building in 泺源街道" in errors["building"][0]
    with pytest.raises(NotAllowed):
        services.create_plan(actor=tower.inspectors[0], jurisdiction=world.luoyuan, name="x",
                             source="building", building=tower.building,
                             checklist=tower.checklist, team=tower.team,
                             starts_on=timezone.localdate())


def test_a_passing_inspection_fulfils_the_window_and_keeps_its_version(tower):
    subject = tower.subjects[0]
    inspection = inspect(tower, subject)
    assert inspection.passed and inspection.version.number == 1 and not inspection.failed
    window = Window.objects.get(duty=subject.duty, day=timezone.localdate())
    assert window.state == WindowState.DONE and window.record == inspection
    checklists.revise_checklist(tower.checklist, actor=tower.team.leader(), items=ITEMS[:1])
    inspection.refresh_from_db()
    assert inspection.version.number == 1 and inspection.version.items.count() == 3
    assert inspect(tower, tower.subjects[1], {"temperature-point": "yes"}).version.number == 2


def test_a_failed_item_without_its_photo_or_a_wrong_answer_saves_nothing(tower):
    subject = tower.subjects[0]
    with pytest.raises(ValidationError) as exc:
        inspect(tower, subject, {**GOOD, "temperature-point": "no", "chlorine": "lots"})
    errors = exc.value.message_dict
    assert "add a photo" in errors["temperature-point"][0]
    assert "give a number" in errors["chlorine"][0]
    with pytest.raises(ValidationError) as exc:
        inspect(tower, subject, {**GOOD, "temperature-point": "no"},
                photos={"temperature-point": SimpleUploadedFile("p.jpg", b"not a photo")})
    assert "temperature-point" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        inspect(tower, subject, GOOD, photos={"lobby": photo()})
    assert "not an item" in exc.value.message_dict["lobby"][0]
    with pytest.raises(ValidationError) as exc:
        services.record_inspection(subject, actor=subject.duty.owner, answers=GOOD, signed_by=" ")
    assert "signs" in exc.value.message_dict["signed_by"][0]
    assert not Inspection.objects.exists() and not Evidence.objects.exists()
    assert not Rectification.objects.exists()
    assert Window.objects.get(duty=subject.duty, day=timezone.localdate()).state == WindowState.DUE


def test_a_failed_item_opens_a_rectification_that_the_party_answers_and_a_reinspection_closes(
        world, tower):
    subject, inspection = failing(tower)
    assert not inspection.passed and inspection.failed == ["temperature-point"]
    assert Evidence.objects.filter(record_id=inspection.pk).count() == 1
    rectification = Rectification.objects.get()
    assert rectification.party == "甲科技" and rectification.enterprise == tower.firms[0]
    assert rectification.deadline == timezone.localdate() + timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        services.answer(rectification, actor=tower.liaison, note="")
    assert "Say what was put right" in exc.value.message_dict["note"][0]
    with pytest.raises(NotAllowed):
        services.answer(rectification, actor=tower.other_liaison, note="done")
    services.answer(rectification, actor=tower.liaison, note="已设置测温点", files=[photo()])
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.ANSWERED
    with pytest.raises(NotAllowed):  # the party does not close its own rectification
        services.reinspect(rectification, actor=tower.liaison, passed=True)
    with pytest.raises(ValidationError) as exc:
        services.reinspect(rectification, actor=subject.duty.owner, passed=False)
    assert "new deadline" in exc.value.message_dict["deadline"][0]
    later = timezone.localdate() + timedelta(days=5)
    services.reinspect(rectification, actor=subject.duty.owner, passed=False, deadline=later,
                       note="测温点无人值守")
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.OPEN and rectification.deadline == later
    services.answer(rectification, actor=tower.liaison, note="已安排专人值守")
    services.reinspect(rectification, actor=subject.duty.owner, passed=True, note="合格")
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.CLOSED and rectification.closed_at
    assert [s.state for s in rectification.steps.all()] == [
        "open", "answered", "open", "answered", "closed"]
    with pytest.raises(ValidationError) as exc:
        services.answer(rectification, actor=tower.liaison, note="again")
    assert "final" in exc.value.message_dict["state"][0]


def test_an_overdue_rectification_escalates_once_to_the_task_force(world, tower):
    failing(tower)
    rectification = Rectification.objects.get()
    assert services.escalate_overdue() == []
    after = rectification.deadline + timedelta(days=1)
    assert services.escalate_overdue(after) == [rectification.pk]
    assert services.escalate_overdue(after) == []  # exactly once
    rectification.refresh_from_db()
    assert rectification.escalated_at and "deadline" in rectification.escalation
    assert services.escalated_count(tower.supervisor) == 1
    assert services.escalated_count(tower.inspectors[0]) == 0


def test_the_same_item_failing_again_escalates_at_once(tower):
    subject, _inspection = failing(tower)
    first = Rectification.objects.get()
    assert first.escalated_at is None
    inspect(tower, subject, {**GOOD, "temperature-point": "no"},
            photos={"temperature-point": photo()})
    second = Rectification.objects.exclude(pk=first.pk).get()
    assert second.escalated_at is not None and "again" in second.escalation


@pytest.mark.parametrize("hh,mm", [(23, 30), (0, 30)])
def test_an_inspection_near_midnight_counts_for_its_local_day(world, hh, mm):
    day = timezone.localdate() + timedelta(days=2)
    with time_machine.travel(local(day, hh, mm), tick=False):
        tower = Tower(world)
        subject = tower.subjects[0]
        inspection = inspect(tower, subject, {**GOOD, "masks": "不足"})
        window = Window.objects.get(duty=subject.duty, record_id=inspection.pk)
        assert window.day == day and window.state == WindowState.DONE
        assert Rectification.objects.get().deadline == day + timedelta(days=3)
        assert [w.pk for w in services.todays_windows(subject.duty.owner)] == [
            w.pk for w in Window.objects.filter(duty__owner=subject.duty.owner, day=day)]


def test_the_morning_list_and_the_overdue_ones(world, tower, login):
    inspector = tower.subjects[0].duty.owner
    html = login(inspector).get(reverse("inspections:today")).content.decode()
    assert html.count('data-action="inspect"') == 1
    assert f'data-subject="{tower.subjects[0].pk}"' in html
    yesterday = timezone.localdate() - timedelta(days=1)
    Window.objects.create(duty=tower.subjects[0].duty, jurisdiction=world.community_a,
                          day=yesterday, starts_at=local(yesterday, 0),
                          ends_at=local(yesterday + timedelta(days=1), 0))
    html = login(inspector).get(reverse("inspections:today")).content.decode()
    assert "data-overdue-list" in html
    # the leader sees both inspectors' lists
    leader = login(world.commander).get(reverse("inspections:today")).content.decode()
    assert leader.count('data-action="inspect"') == 2


def test_the_inspection_page_records_one_with_a_photo(tower, login):
    subject = tower.subjects[0]
    client = login(subject.duty.owner)
    url = reverse("inspections:inspect", args=[subject.pk])
    page = client.get(url).content.decode()
    assert 'name="a-temperature-point"' in page and 'name="p-temperature-point"' in page
    bad = client.post(url, {"a-temperature-point": "no", "a-chlorine": "800", "a-masks": "充足",
                            "signed_by": "王经理"})
    assert bad.status_code == 200 and "add a photo" in bad.content.decode()
    assert not Inspection.objects.exists()
    response = client.post(url, {"a-temperature-point": "no", "a-chlorine": "800",
                                 "a-masks": "充足", "signed_by": "王经理",
                                 "p-temperature-point": photo()})
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.failed == ["temperature-point"] and inspection.rectifications.count() == 1
    detail = client.get(inspection.get_absolute_url()).content.decode()
    assert 'data-result="failed"' in detail and "data-evidence-item" in detail


def test_the_liaison_answers_on_the_page_and_the_inspector_closes_it(tower, login):
    failing(tower)
    rectification = Rectification.objects.get()
    url = rectification.get_absolute_url()
    client = login(tower.liaison)
    today = client.get(reverse("inspections:today")).content.decode()
    assert f'data-rectification="{rectification.pk}"' in today
    page = client.get(url).content.decode()
    assert 'data-form="answer"' in page and 'data-form="reinspect"' not in page
    empty = client.post(url, {"action": "answer", "note": ""})
    assert "Say what was put right" in empty.content.decode()
    assert client.post(url, {"action": "answer", "note": "已整改", "files": [photo()]}).status_code == 302
    inspector = login(tower.subjects[0].duty.owner if tower.subjects[0].enterprise_id ==
                      tower.firms[0].pk else tower.subjects[1].duty.owner)
    page = inspector.get(url).content.decode()
    assert 'data-form="reinspect"' in page and page.count("data-evidence-item") == 2
    assert inspector.post(url, {"action": "reinspect", "outcome": "passed"}).status_code == 302
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.CLOSED


def test_others_get_404_and_roles_without_inspections_403(world, tower, login):
    failing(tower)
    inspection, rectification = Inspection.objects.get(), Rectification.objects.get()
    outsider = user("lixia_worker", "community_worker", world.lixia_community)
    for who in (outsider, tower.other_liaison):
        client = login(who)
        assert client.get(inspection.get_absolute_url()).status_code == 404
        assert client.get(rectification.get_absolute_url()).status_code == 404
        assert client.get(reverse("inspections:inspect", args=[tower.subjects[0].pk])).status_code == 404
        api = APIClient()
        api.force_authenticate(who)
        assert api.get(f"/api/inspections/inspections/{inspection.pk}/").status_code == 404
        assert api.get(f"/api/inspections/rectifications/{rectification.pk}/").status_code == 404
        assert api.post(f"/api/inspections/rectifications/{rectification.pk}/answer/",
                        {"note": "x"}).status_code == 404
    assert login(world.volunteer).get(reverse("inspections:today")).status_code == 403
    # the liaison sees their own, not the neighbour's
    assert login(tower.liaison).get(rectification.get_absolute_url()).status_code == 200


def test_the_api_records_inspections_and_moves_rectifications(tower):
    subject = next(s for s in tower.subjects if s.enterprise_id == tower.firms[0].pk)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(subject.duty.owner)
    listed = api.get("/api/inspections/subjects/", {"duty": subject.duty_id}).json()["results"]
    assert [s["id"] for s in listed] == [subject.pk] and listed[0]["checklist_version"]
    bad = api.post("/api/inspections/inspections/", {"subject": subject.pk, "answers": "[1]",
                                                     "signed_by": "王经理"})
    assert bad.status_code == 400 and "JSON object" in str(bad.json()["answers"])
    missing = api.post("/api/inspections/inspections/", {
        "subject": subject.pk, "answers": {**GOOD, "temperature-point": "no"},
        "signed_by": "王经理"}, format="json")
    assert missing.status_code == 400 and "temperature-point" in missing.json()
    made = api.post("/api/inspections/inspections/", {
        "subject": subject.pk, "answers": '{"temperature-point": "no", "chlorine": "300", '
                                          '"masks": "充足"}',
        "signed_by": "王经理", "photo-temperature-point": photo()}, format="multipart")
    assert made.status_code == 201, made.json()
    assert made.json()["failed"] == ["temperature-point", "chlorine"]
    assert len(made.json()["rectifications"]) == 2
    rect = made.json()["rectifications"][0]
    liaison = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    liaison.force_authenticate(tower.liaison)
    assert len(liaison.get("/api/inspections/rectifications/").json()["results"]) == 2
    answered = liaison.post(f"/api/inspections/rectifications/{rect}/answer/",
                            {"note": "已整改", "files": [photo()]}, format="multipart")
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    assert liaison.post(f"/api/inspections/rectifications/{rect}/reinspect/",
                        {"passed": True}, format="json").status_code == 403
    closed = api.post(f"/api/inspections/rectifications/{rect}/reinspect/", {"passed": True},
                      format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_inspections_and_rectifications_export_through_the_ledgers(world, tower):
    failing(tower)
    inspect(tower, tower.subjects[1])
    job = ledgers.start_export(actor=world.commander, kind="inspections",
                               params=QueryDict("passed=false"))
    job.refresh_from_db()
    rows = [list(r) for r in load_workbook(job.result.open("rb"), read_only=True)
            .worksheets[0].iter_rows(values_only=True)]
    assert len(rows) == 2 and rows[1][1] == "甲科技" and "设置体温检测点" in rows[1][7]
    job = ledgers.start_export(actor=tower.liaison, kind="rectifications", params=QueryDict(""))
    job.refresh_from_db()
    rows = [list(r) for r in load_workbook(job.result.open("rb"), read_only=True)
            .worksheets[0].iter_rows(values_only=True)]
    assert len(rows) == 2 and rows[1][0] == "甲科技"


def test_the_enterprise_page_shows_its_inspections_and_open_rectifications(world, tower, login):
    failing(tower)
    firm = tower.firms[0]
    client = login(world.commander)
    page = client.get(reverse("resumption:enterprise-detail", args=[firm.pk])).content.decode()
    assert reverse("inspections:enterprise-panel", args=[firm.pk]) in page
    panel = client.get(reverse("inspections:enterprise-panel", args=[firm.pk])).content.decode()
    assert "data-last-inspection" in panel and "data-open-rectifications" in panel
    assert login(tower.liaison).get(
        reverse("inspections:enterprise-panel", args=[firm.pk])).content != b""
    assert login(tower.other_liaison).get(
        reverse("inspections:enterprise-panel", args=[firm.pk])).content == b""
    listed = login(world.commander).get(reverse("inspections:rectification-list"),
                                        {"enterprise": firm.pk})
    assert listed.content.decode().count("data-rectification=") == 1


def test_review_findings_bad_input_is_an_error_not_a_500(world, tower, login, settings,
                                                        media_root):
    client = login(world.commander)
    for url, params in (("duties:window-list", {"day": "0001-01-02", "week": "true"}),
                        ("disinfection:register", {"until": "9999-12-31"}),
                        ("inspections:inspection-list", {"day": "9999-12-31"})):
        response = client.get(reverse(url), params)
        assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.commander)
    assert api.get("/api/duties/windows/", {"day": "9999-12-31"}).status_code == 400
    # a duty of kind inspection that no plan made does not break the morning list
    from shoumen.duties import services as duties

    duties.create_duty(actor=world.commander, jurisdiction=world.luoyuan, title="x",
                       kind="inspection", frequency="daily", starts_on=timezone.localdate(),
                       owner=world.commander)
    assert client.get(reverse("inspections:today")).status_code == 200
    # a schedule that cannot work is refused before any duty is made
    with pytest.raises(ValidationError) as exc:
        services.create_plan(actor=world.commander, jurisdiction=world.luoyuan, name="x",
                             source="community_venues", area=world.community_a,
                             checklist=tower.checklist, team=tower.team, frequency="windows",
                             windows=[], starts_on=timezone.localdate())
    assert "windows" in exc.value.message_dict
    # an answer's upload kept on disk by Django (a large file) is read, not deep-copied
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    failing(tower)
    rect = Rectification.objects.get()
    liaison = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    liaison.force_authenticate(tower.liaison)
    answered = liaison.post(f"/api/inspections/rectifications/{rect.pk}/answer/",
                            {"note": "ok", "files": [photo()]}, format="multipart")
    assert answered.status_code == 200, answered.content


def test_a_bad_photo_after_a_good_one_leaves_no_file(tower, media_root):
    subject = tower.subjects[0]
    with pytest.raises(ValidationError) as exc:
        inspect(tower, subject, {**GOOD, "temperature-point": "no"},
                photos={"temperature-point": photo(), "": [SimpleUploadedFile("x.jpg", b"nope")]})
    assert "photos" in exc.value.message_dict
    stored = [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []
    assert stored == [] and not Evidence.objects.exists()


def test_a_window_open_across_midnight_is_on_the_morning_list(world, tower):
    day = timezone.localdate() + timedelta(days=5)
    subject = tower.subjects[0]
    evening = Window.objects.create(duty=subject.duty, jurisdiction=world.community_a,
                                    day=day, starts_at=local(day, 22),
                                    ends_at=local(day + timedelta(days=1), 2))
    with time_machine.travel(local(day + timedelta(days=1), 0, 30), tick=False):
        assert evening.pk in [w.pk for w in services.todays_windows(subject.duty.owner)]
