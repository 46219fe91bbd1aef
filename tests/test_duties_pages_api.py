"""The duties page and API: today's windows in the user's jurisdictions with their compliance;
another jurisdiction sees none of them (a window by id is a 404); duties set through the API
with their schedule checked."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from shoumen.duties import services
from shoumen.duties.models import Duty, Window
from shoumen.duties.schedules import Frequency

THREE_A_DAY = [["08:00", "10:00"], ["13:00", "15:00"], ["18:00", "20:00"]]


def local(day, hh, mm=0):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def patrol(world, today):
    with time_machine.travel(local(today, 0, 1), tick=False):
        duty = services.create_duty(actor=world.worker_a, jurisdiction=world.community_a,
                                    title="管网巡查", kind="patrol", frequency=Frequency.WINDOWS,
                                    windows=THREE_A_DAY, starts_on=today, owner=world.worker_a,
                                    leader=world.commander)
    services.mark_done(duty, at=local(today, 9), record=duty, recorded_at=local(today, 9))
    return duty


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_the_page_shows_todays_windows_and_their_compliance(world, login, patrol, today):
    with time_machine.travel(local(today, 16), tick=False):
        html = login(world.worker_a).get(reverse("duties:window-list")).content.decode()
    assert html.count('data-window="') == 3
    assert 'data-state="done"' in html and html.count('data-state="missed"') == 1  # 13–15
    assert 'data-count="due">2<' in html and 'data-count="missed">1<' in html
    assert 'data-count="rate">50.0%<' in html


def test_another_jurisdiction_sees_no_window_and_a_role_without_duties_is_refused(world, login,
                                                                                 patrol):
    html = login(world.worker_b).get(reverse("duties:window-list")).content.decode()
    assert 'data-window="' not in html and 'data-count="due">0<' in html
    assert login(world.volunteer).get(reverse("duties:window-list")).status_code == 403


def test_the_day_filter_shows_another_day(world, login, patrol, today):
    tomorrow = today + timedelta(days=1)
    services.lay_out(tomorrow)
    client = login(world.worker_a)
    html = client.get(reverse("duties:window-list"), {"day": tomorrow.isoformat()}).content.decode()
    assert html.count('data-window="') == 3 and 'data-state="done"' not in html
    bad = client.get(reverse("duties:window-list"), {"day": "someday"}).content.decode()
    assert "invalid-feedback" in bad and 'data-window="' not in bad


def test_the_api_lists_windows_and_counts_compliance(world, patrol, today):
    with time_machine.travel(local(today, 16), tick=False):
        client = api(world.worker_a)
        rows = client.get("/api/duties/windows/").json()["results"]
        assert [r["state"] for r in rows] == ["done", "missed", "due"]
        counts = client.get("/api/duties/windows/compliance/").json()
        assert (counts["due"], counts["done"], counts["missed"], counts["open"]) == (2, 1, 1, 1)
        assert counts["rate"] == 50.0
        mine = client.get("/api/duties/windows/compliance/", {"mine": "true"}).json()
        assert mine["total"] == 3
    other = api(world.worker_b)
    assert other.get("/api/duties/windows/").json()["count"] == 0
    window = Window.objects.filter(duty=patrol).first()
    assert other.get(f"/api/duties/windows/{window.pk}/").status_code == 404
    assert other.get(f"/api/duties/duties/{patrol.pk}/").status_code == 404
    assert api(world.volunteer).get("/api/duties/windows/").json()["count"] == 0


def test_a_duty_set_through_the_api_has_its_schedule_checked(world, today):
    client = api(world.worker_a)
    body = {"jurisdiction": world.community_a.pk, "title": "大堂消毒", "kind": "disinfection",
            "frequency": "windows", "windows": [["08:00", "10:00"], ["09:00", "11:00"]],
            "starts_on": today.isoformat()}
    bad = client.post("/api/duties/duties/", body, format="json")
    assert bad.status_code == 400 and "overlap" in str(bad.json()["windows"])
    body["windows"] = [["22:00", "02:00"]]
    ok = client.post("/api/duties/duties/", body, format="json")
    assert ok.status_code == 201, ok.content
    assert Duty.objects.get().windows == [["22:00", "02:00"]]
    elsewhere = api(world.worker_b).post("/api/duties/duties/", body, format="json")
    assert elsewhere.status_code == 400 and "jurisdiction" in elsewhere.json()


def test_the_page_compares_the_children_and_drills_down_to_their_missed_windows(world, login,
                                                                                patrol, today):
    with time_machine.travel(local(today, 0, 1), tick=False):
        services.create_duty(actor=world.worker_b, jurisdiction=world.community_b,
                             title="乙社区大堂消杀", kind="disinfection",
                             frequency=Frequency.DAILY, starts_on=today, owner=world.worker_b)
    with time_machine.travel(local(today + timedelta(days=1), 0, 30), tick=False):
        client = login(world.commander)
        html = client.get(reverse("duties:window-list"), {"day": today.isoformat()}).content.decode()
        assert f'data-child="{world.community_a.pk}"' in html
        assert f'data-child="{world.community_b.pk}"' in html
        drill = client.get(reverse("duties:window-list"), {
            "day": today.isoformat(), "node": world.community_b.pk, "state": "missed"})
        assert drill.content.decode().count('data-state="missed"') == 1
        week = client.get(reverse("duties:window-list"), {"day": today.isoformat(),
                                                         "week": "true"}).content.decode()
        assert (today - timedelta(days=6)).isoformat() in week
        rows = services.counts_by_child(Window.objects.filter(day=today), world.luoyuan)
        assert [(child.name, c["due"], c["missed"]) for child, c in rows] == [
            ("甲社区", 3, 2), ("乙社区", 1, 1)]
