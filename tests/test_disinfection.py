"""Disinfection and patrol sites: set up with a named, trained person and a three-a-day duty;
each operation recorded with its agent, concentration and protective equipment (sewage lines
in full PPE), fulfilling its window; untrained staff cannot be assigned or record; the
register on screen, printed and exported; the year as a heat map; others get 404."""

import io
import json
import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image
from rest_framework.test import APIClient

from shoumen.accounts import teams
from shoumen.accounts.models import TeamKind, TeamPosition
from shoumen.core.authz import NotAllowed
from shoumen.disinfection import services
from shoumen.disinfection.models import Record
from shoumen.duties.models import Window, WindowState
from shoumen.evidence.models import Evidence
from shoumen.geo.models import PlaceKind
from shoumen.ledgers import services as ledgers
from tests.factories import place, user

THREE_A_DAY = [["08:00", "10:00"], ["13:00", "15:00"], ["18:00", "20:00"]]
FULL = ["gown", "goggles", "mask", "shoe_covers"]


def local(day, hh, mm=0):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def train(world, who, on=None, days=180):
    on = on or timezone.localdate() - timedelta(days=1)
    return teams.record_training(actor=world.commander, user=who, jurisdiction=world.luoyuan,
                                 topic="disinfection", trained_on=on,
                                 valid_until=on + timedelta(days=days))


pytestmark = pytest.mark.usefixtures("media_root", "english")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def crew(world):
    member = user("crew_1", "disinfection_crew", world.community_a)
    train(world, member)
    return member


@pytest.fixture
def isolation(world):
    return place(world.community_a, "某隔离观察点", kind=PlaceKind.ISOLATION_SITE)


@pytest.fixture
def segment(world, crew, isolation, today):
    group = teams.create_team(actor=world.commander, jurisdiction=world.luoyuan,
                              kind=TeamKind.WORKING_GROUP, name="隔离点工作专班", place=isolation,
                              members=[(crew, TeamPosition.MEMBER, "排水科")])
    with time_machine.travel(local(today, 0, 1), tick=False):
        return services.create_site(
            actor=world.commander, jurisdiction=world.community_a, kind="pipeline",
            name="东侧污水管段", place=isolation, party="排水科", responsible=crew, team=group,
            concentration_min=500, concentration_max=1000, windows=THREE_A_DAY)


def patrol(site, who, at, **kwargs):
    fields = {"operation": "patrolled", "protection": FULL, "concentration": 800, **kwargs}
    return services.record(site, actor=who, done_at=at, **fields)


def test_a_site_is_set_up_with_its_three_a_day_duty(segment, today):
    assert segment.duty.kind == "patrol" and segment.duty.subject == segment
    assert segment.duty.place == segment.place and segment.duty.owner == segment.responsible
    assert Window.objects.filter(duty=segment.duty, day=today).count() == 3


def test_untrained_or_expired_staff_cannot_be_assigned(world, isolation):
    fresh = user("crew_new", "disinfection_crew", world.community_a)
    lapsed = user("crew_old", "disinfection_crew", world.community_a)
    train(world, lapsed, on=timezone.localdate() - timedelta(days=200), days=30)
    for who, reason in ((fresh, "has no recorded training"), (lapsed, "ran out on")):
        with pytest.raises(ValidationError) as exc:
            services.create_site(actor=world.commander, jurisdiction=world.community_a,
                                 kind="lobby", name="大堂", party="物业", responsible=who,
                                 windows=THREE_A_DAY)
        assert reason in exc.value.message_dict["responsible"][0]
    trained = user("crew_ok", "disinfection_crew", world.community_a)
    train(world, trained)
    group = teams.create_team(actor=world.commander, jurisdiction=world.luoyuan,
                              kind=TeamKind.CREW, name="消杀队",
                              members=[(trained, TeamPosition.LEADER, ""),
                                       (fresh, TeamPosition.MEMBER, "")])
    with pytest.raises(ValidationError) as exc:
        services.create_site(actor=world.commander, jurisdiction=world.community_a, kind="lobby",
                             name="大堂", party="物业", responsible=trained, team=group,
                             windows=THREE_A_DAY)
    assert "crew_new" in exc.value.message_dict["team"][0]
    assert not Window.objects.exists()


def test_a_patrol_fulfils_its_window_and_a_late_one_counts_late(segment, crew, today):
    with time_machine.travel(local(today, 9), tick=False):
        entry = patrol(segment, crew, local(today, 9))
    window = Window.objects.get(duty=segment.duty, record_id=entry.pk)
    assert window.state == WindowState.DONE and entry.concentration_ok
    with time_machine.travel(local(today, 16), tick=False):  # 13–15, entered after 15:00
        patrol(segment, crew, local(today, 14, 30), concentration=300)
    window = Window.objects.get(duty=segment.duty, starts_at=local(today, 13))
    assert window.state == WindowState.LATE
    assert not Record.objects.get(concentration=300).concentration_ok


def test_bad_records_say_why_and_save_nothing(segment, crew, world, today):
    with pytest.raises(ValidationError) as exc:
        services.record(segment, actor=crew, operation="patrolled", protection=["mask"],
                        concentration="")
    errors = exc.value.message_dict
    assert "full protective equipment" in errors["protection"][0]
    assert "Isolation gown" in errors["protection"][0]
    assert "expected 含氯消毒液 500–1000 mg/L" in errors["concentration"][0]
    with pytest.raises(ValidationError) as exc:
        patrol(segment, crew, None, concentration="a lot")
    assert "whole number" in exc.value.message_dict["concentration"][0]
    with pytest.raises(ValidationError) as exc:
        patrol(segment, crew, None, photos=[SimpleUploadedFile("x.jpg", b"GIF89a....")])
    assert "photos" in exc.value.message_dict
    untrained = user("crew_x", "disinfection_crew", world.community_a)
    with pytest.raises(NotAllowed) as refused:
        patrol(segment, untrained, None)
    assert "no recorded training" in str(refused.value)
    assert not Record.objects.exists() and not Evidence.objects.exists()
    assert not Window.objects.filter(duty=segment.duty).exclude(state="due").exists()


@pytest.mark.parametrize("hh,mm", [(23, 30), (0, 30)])
def test_a_record_near_midnight_belongs_to_its_local_day(world, crew, hh, mm):
    day = timezone.localdate() + timedelta(days=3)
    with time_machine.travel(local(day - timedelta(days=1), 0, 1), tick=False):
        site = services.create_site(actor=world.commander, jurisdiction=world.community_a,
                                    kind="entrance", name="北门", party="社区",
                                    responsible=crew, windows=[["22:00", "02:00"]])
    at = local(day, hh, mm)
    with time_machine.travel(at, tick=False):
        entry = services.record(site, actor=crew, operation="disinfected", protection=["mask"])
    window = Window.objects.get(record_id=entry.pk, duty=site.duty)
    # 23:30 is in the window starting that evening; 00:30 in the one from the evening before
    assert window.day == (day if hh == 23 else day - timedelta(days=1))
    assert window.state == WindowState.DONE


def test_the_pages_show_sites_record_and_print_the_register(world, login, segment, crew, today,
                                                            isolation):
    with time_machine.travel(local(today, 9), tick=False):
        client = login(crew)
        listing = client.get(reverse("disinfection:site-list")).content.decode()
        assert f'data-site="{segment.pk}"' in listing and listing.count("data-window=") == 3
        url = reverse("disinfection:record-new", args=[segment.pk])
        bad = client.post(url, {"operation": "patrolled", "protection": ["mask"],
                                "concentration": "800"})
        assert bad.status_code == 200 and "full protective equipment" in bad.content.decode()
        done = client.post(url, {"operation": "patrolled", "protection": FULL,
                                 "concentration": "800", "photos": [photo()]})
        assert done.status_code == 302
        detail = client.get(segment.get_absolute_url()).content.decode()
        data = json.loads(re.search(r'id="heatmap-data" type="application/json">(.*?)</script>',
                                    detail).group(1))
        days = {d[0]: d for d in data["days"]}
        assert data["year"] == today.year and days[today.isoformat()][2:4] == [1, 1]  # 08–10
        register = client.get(reverse("disinfection:register"), {"place": isolation.pk})
        assert register.content.decode().count("data-record=") == 1
        printed = client.get(reverse("disinfection:register-print"), {"site": segment.pk})
        assert printed.status_code == 200 and "东侧污水管段" in printed.content.decode()
        too_long = client.get(reverse("disinfection:register-print"),
                              {"since": "2026-01-01", "until": today.isoformat()})
        assert too_long.status_code == 400 and "93 days" in too_long.content.decode()
    untrained = user("crew_y", "disinfection_crew", world.community_a)
    refused = login(untrained).get(url)
    assert refused.status_code == 403 and "no recorded training" in refused.content.decode()


def test_a_places_page_shows_its_sites_group_and_compliance(world, login, segment, isolation,
                                                            today):
    client = login(world.commander)
    page = client.get(reverse("geo:place-detail", args=[isolation.pk])).content.decode()
    assert reverse("disinfection:place-panel", args=[isolation.pk]) in page
    panel = client.get(reverse("disinfection:place-panel", args=[isolation.pk])).content.decode()
    assert "隔离点工作专班" in panel and "排水科" in panel and f'data-site="{segment.pk}"' in panel
    with time_machine.travel(local(today, 16), tick=False):  # signed in then: no stale session
        duties = login(world.commander).get(
            reverse("duties:place-panel", args=[isolation.pk])).content.decode()
    assert 'data-kind="patrol"' in duties and "state=missed" in duties
    other = user("lixia_worker", "community_worker", world.lixia_community)
    assert login(other).get(reverse("disinfection:place-panel", args=[isolation.pk])).content == b""


def test_the_register_exports_with_its_period(world, segment, crew, today):
    with time_machine.travel(local(today, 9), tick=False):
        patrol(segment, crew, local(today, 9))
        job = ledgers.start_export(actor=world.commander, kind="disinfection",
                                   params=QueryDict(f"site={segment.pk}"))
    job.refresh_from_db()
    assert job.filters["since"] in ((today - timedelta(days=6)).isoformat(),
                                    [(today - timedelta(days=6)).isoformat()])
    rows = [list(r) for r in load_workbook(job.result.open("rb"), read_only=True)
            .worksheets[0].iter_rows(values_only=True)]
    assert len(rows) == 2 and rows[1][2] == "东侧污水管段" and rows[1][5] == 800
    assert "隔离服" in rows[1][6] or "Isolation gown" in rows[1][6]


def test_the_api_sets_up_sites_and_records_and_hides_others(world, crew, isolation, today):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.commander)
    made = api.post("/api/disinfection/sites/", {
        "jurisdiction": world.community_a.pk, "place": isolation.pk, "kind": "manhole",
        "name": "1号检查井", "party": "排水科", "responsible": crew.pk,
        "windows": THREE_A_DAY}, format="json")
    assert made.status_code == 201, made.json()
    site = made.json()["id"]
    me = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    me.force_authenticate(crew)
    bad = me.post("/api/disinfection/records/", {"site": site, "operation": "patrolled",
                                                 "protection": ["mask"]}, format="json")
    assert bad.status_code == 400 and "protection" in bad.json()
    good = me.post("/api/disinfection/records/", {"site": site, "operation": "patrolled",
                                                  "protection": FULL, "photos": [photo()]},
                   format="multipart")
    assert good.status_code == 201, good.json()
    assert len(me.get("/api/disinfection/records/").json()["results"]) == 1
    other = APIClient()
    other.force_authenticate(user("lixia_worker", "community_worker", world.lixia_community))
    assert other.get(f"/api/disinfection/sites/{site}/").status_code == 404
    assert other.get(f"/api/disinfection/records/{good.json()['id']}/").status_code == 404
    assert other.post("/api/disinfection/records/", {"site": site, "operation": "patrolled",
                                                     "protection": FULL},
                      format="json").status_code in (400, 403)
    assert date.fromisoformat(good.json()["done_at"][:10]) in (today, today + timedelta(days=1))


def test_trainings_are_listed_and_recorded_on_their_page(world, login, crew):
    client = login(world.commander)
    listing = client.get(reverse("duties:training-list")).content.decode()
    assert "crew_1" in listing and 'data-action="new-training"' in listing
    fresh = user("crew_new", "disinfection_crew", world.community_a)
    today = timezone.localdate()
    bad = client.post(reverse("duties:training-new"), {
        "user": fresh.pk, "jurisdiction": world.luoyuan.pk, "topic": "disinfection",
        "trained_on": today.isoformat(), "valid_until": (today - timedelta(days=1)).isoformat()})
    assert bad.status_code == 200 and "on or after" in bad.content.decode()
    good = client.post(reverse("duties:training-new"), {
        "user": fresh.pk, "jurisdiction": world.luoyuan.pk, "topic": "disinfection",
        "trained_on": today.isoformat(), "valid_until": (today + timedelta(days=90)).isoformat(),
        "trainer": "区疾控中心"})
    assert good.status_code == 302
    assert login(crew).get(reverse("duties:training-new")).status_code == 403
    outsider = user("lixia_worker", "community_worker", world.lixia_community)
    assert "crew_1" not in login(outsider).get(reverse("duties:training-list")).content.decode()


def test_the_api_records_trainings(world, crew):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.commander)
    today = timezone.localdate()
    fresh = user("crew_new", "disinfection_crew", world.community_a)
    bad = api.post("/api/duties/trainings/", {"user": fresh.pk, "jurisdiction": world.luoyuan.pk,
                                              "topic": "disinfection",
                                              "trained_on": (today + timedelta(days=3)).isoformat(),
                                              "valid_until": (today + timedelta(days=9)).isoformat()},
                   format="json")
    assert bad.status_code == 400 and "trained_on" in bad.json()
    good = api.post("/api/duties/trainings/", {"user": fresh.pk, "jurisdiction": world.luoyuan.pk,
                                               "topic": "disinfection",
                                               "trained_on": today.isoformat(),
                                               "valid_until": (today + timedelta(days=9)).isoformat()},
                    format="json")
    assert good.status_code == 201
    assert len(api.get("/api/duties/trainings/").json()["results"]) == 2
    reader = APIClient()
    reader.force_authenticate(crew)
    assert reader.post("/api/duties/trainings/", {}, format="json").status_code == 403


def test_review_findings_nobody_names_or_trains_people_outside_their_reach(world, crew, login):
    far = user("lixia_crew", "disinfection_crew", world.lixia_community)
    with pytest.raises(ValidationError) as exc:
        teams.record_training(actor=world.admin, user=far, jurisdiction=world.community_a,
                              topic="disinfection", trained_on=timezone.localdate(),
                              valid_until=timezone.localdate() + timedelta(days=9))
    assert "does not work in" in exc.value.message_dict["user"][0]
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.worker_a)
    refused = api.post("/api/duties/trainings/", {
        "user": far.pk, "jurisdiction": world.community_a.pk, "topic": "disinfection",
        "trained_on": timezone.localdate().isoformat(),
        "valid_until": (timezone.localdate() + timedelta(days=9)).isoformat()}, format="json")
    assert refused.status_code == 400 and "within your area" in str(refused.json()["user"])
    site = api.post("/api/disinfection/sites/", {
        "jurisdiction": world.community_a.pk, "kind": "lobby", "name": "大堂", "party": "物业",
        "responsible": far.pk, "windows": THREE_A_DAY}, format="json")
    assert site.status_code == 400 and "lixia_crew" not in str(site.json())
    made = api.post("/api/disinfection/sites/", {
        "jurisdiction": world.community_a.pk, "kind": "lobby", "name": "大堂", "party": "物业",
        "responsible": crew.pk, "windows": THREE_A_DAY}, format="json")  # no place: fine
    assert made.status_code == 201, made.json()
    form = login(world.worker_a).get(reverse("duties:training-new")).content.decode()
    assert "lixia_crew" not in form


def test_another_jurisdiction_gets_404_on_the_sites_pages(world, login, segment, crew, today):
    with time_machine.travel(local(today, 9), tick=False):
        entry = patrol(segment, crew, local(today, 9))
    client = login(user("lixia_worker", "community_worker", world.lixia_community))
    for url in (segment.get_absolute_url(), reverse("disinfection:record-new", args=[segment.pk]),
                entry.get_absolute_url()):
        assert client.get(url).status_code == 404, url
    register = client.get(reverse("disinfection:register")).content.decode()
    assert f'data-record="{entry.pk}"' not in register


def test_the_demo_leaves_a_database_without_its_staff_alone(world):
    from shoumen.checklists.models import Checklist
    from shoumen.demo.duties import seed_duties

    assert seed_duties(seed=1, actor=world.admin).lines == []  # 泺源街道 exists, its staff not
    assert not Checklist.objects.exists()
