"""Trace and close-contact pages: what they show, scoping (404 in another jurisdiction), the
xlsx export, home observation in one confirmed action, the movements panel."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shoumen.core.models import AuditEvent
from shoumen.ledgers.models import ExportJob, JobStatus
from shoumen.people.models import Person, PersonStatus, StatusChange
from tests import factories
from tests.helpers_gate_traces import add_entry, with_outbreak, with_sites


@pytest.fixture
def outbreak(world):
    return with_outbreak(with_sites(world))


def url(name, person, query=""):
    return reverse(f"gate:{name}", args=[person.pk]) + query


def graph_of_html(html: str) -> dict:
    match = re.search(r'<script id="contacts-graph-data" type="application/json">(.*?)</script>',
                      html, re.S)
    return json.loads(match.group(1))


def graph_of(response) -> dict:
    return graph_of_html(response.content.decode())


# --- trace -------------------------------------------------------------------------------------

def test_trace_shows_every_checkpoint_by_day_with_fever_marked(outbreak, login):
    w = outbreak
    now = timezone.now()
    add_entry(w.case, w.gate_c, now - timedelta(hours=3), "out", "37.8")  # 历下区: not w's
    add_entry(w.case, w.lobby_1, now - timedelta(hours=2), "in")
    html = login(w.worker_a).get(url("person-trace", w.case)).content.decode()
    assert "丙社区西门" in html and "丙社区" in html  # outside the worker's jurisdiction, named
    assert "绿地中心南大堂" in html and "· 绿地中心" in html  # a lobby names its building
    assert html.count("data-entry=") == 3
    assert html.count("data-fever") == 1 and "37.8" in html
    assert html.index("绿地中心南大堂") < html.index("丙社区西门")  # newest first
    assert f'data-day="{timezone.localtime(now - timedelta(days=2)):%Y-%m-%d}"' in html
    assert 'data-retention-note="28"' in html


@pytest.mark.parametrize("who", ["worker_b", "volunteer", "grid_worker"])
def test_pages_are_404_outside_the_trace_scope(outbreak, login, who):
    client = login(getattr(outbreak, who))
    for name in ("person-trace", "person-contacts", "person-contacts-observe"):
        assert client.get(url(name, outbreak.case)).status_code == 404, name
    assert client.post(url("person-contacts-observe", outbreak.case)).status_code == 404
    assert not StatusChange.objects.filter(reason__contains="病例").exists()


# --- contacts ----------------------------------------------------------------------------------

def test_contacts_page_lists_counts_and_draws_the_graph(outbreak, login):
    w = outbreak
    r = login(w.worker_a).get(url("person-contacts", w.case))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-count="first">5<' in html and 'data-count="outside">1<' in html
    assert html.count('data-degree="1"') == 5
    for p in (w.normal_1, w.normal_2, w.observed, w.confirmed, w.elsewhere):
        assert f'data-contact="{p.pk}"' in html and p.id_number_masked in html
        assert p.id_number not in html
    assert html.count("data-outside") == 1  # 乙社区人: notify their community
    graph = graph_of(r)
    assert [n["degree"] for n in graph["nodes"]] == [0, 1, 1, 1, 1, 1]
    assert {link["source"] for link in graph["links"]} == {str(w.case.pk)}
    assert "vendor/echarts/echarts.min.js" in html and "gate/contacts-graph.js" in html
    assert 'data-action="export"' in html and 'data-action="observe"' in html
    assert "Put the 2 listed people under home observation" in html


def test_second_degree_is_drawn_on_the_outer_ring(outbreak, login):
    w = outbreak
    later = factories.person(w.worker_a, w.community_a, "二级")
    at = timezone.now() - timedelta(days=1)
    add_entry(w.normal_1, w.lobby_1, at)
    add_entry(later, w.lobby_2, at + timedelta(minutes=20))
    r = login(w.worker_a).get(url("person-contacts", w.case))
    html = r.content.decode()
    assert 'data-count="second">1<' in html and f'data-contact="{later.pk}"' in html
    node = next(n for n in graph_of(r)["nodes"] if n["id"] == str(later.pk))
    assert node["degree"] == 2 and node["site"] == "绿地中心"
    assert {"source": str(w.normal_1.pk), "target": str(later.pk), "value": 1,
            "site": "绿地中心"} in graph_of(r)["links"]
    r = login(w.worker_a).get(url("person-contacts", w.case, "?degree=1"))
    assert f'data-contact="{later.pk}"' not in r.content.decode()


def test_the_list_pages_by_fifty_and_htmx_swaps_only_the_list(outbreak, login):
    w = outbreak
    at = timezone.now() - timedelta(days=3)
    add_entry(w.case, w.gate_b, at)
    for i in range(50):
        add_entry(factories.person(w.worker_b, w.community_b, f"路人{i}"), w.gate_b,
                  at + timedelta(seconds=i))
    client = login(w.commander)
    html = client.get(url("person-contacts", w.case, "?degree=1")).content.decode()
    assert 'data-count="first">55<' in html and html.count("data-contact=") == 50
    assert len(graph_of_html(html)["nodes"]) == 56
    page_2 = client.get(url("person-contacts", w.case, "?degree=1&page=2"), HTTP_HX_REQUEST="true")
    part = page_2.content.decode()
    assert part.count("data-contact=") == 5 and "<html" not in part
    assert "contacts-graph-data" not in part and "51–55 of 55" in part


def test_a_case_without_entries_has_no_contacts(outbreak, login):
    nobody = factories.person(outbreak.worker_a, outbreak.community_a, "宅家")
    html = login(outbreak.worker_a).get(url("person-contacts", nobody)).content.decode()
    assert "No close contacts in this period." in html and 'data-count="case-entries">0<' in html
    assert "contacts-graph.js" not in html
    html = login(outbreak.worker_a).get(url("person-trace", nobody)).content.decode()
    assert "No entries at any checkpoint in the retention period." in html


@pytest.mark.parametrize("query,field", [("?window=500", "window"), ("?days=0", "days"),
                                         ("?window=abc", "window"), ("?until=someday", "until")])
def test_bad_search_says_what_is_wrong(outbreak, login, query, field):
    r = login(outbreak.worker_a).get(url("person-contacts", outbreak.case, query))
    assert r.status_code == 200
    html = r.content.decode()
    assert f'id="id_{field}_error"' in html and "data-summary" not in html


def test_duty_officer_sees_contacts_but_no_observe_button(outbreak, login):
    officer = factories.user("duty", "duty_officer", outbreak.luoyuan)
    client = login(officer)
    html = client.get(url("person-contacts", outbreak.case)).content.decode()
    assert 'data-count="first">5<' in html and 'data-action="observe"' not in html
    assert client.post(url("person-contacts-observe", outbreak.case)).status_code == 403
    assert not StatusChange.objects.filter(reason__contains="病例").exists()


def _export(client, export_url):
    """Follow the page's export link: confirm, start the job, download the file."""
    r = client.get(export_url)
    assert r.status_code == 200, r.content
    filters = re.search(r'name="filters" value="([^"]*)"', r.content.decode()).group(1)
    r = client.post(export_url, {"filters": filters.replace("&amp;", "&")})
    assert r.status_code == 302 and "/ledgers/exports/" in r["Location"], r.content
    job = ExportJob.objects.get()
    assert job.status == JobStatus.DONE, job.message
    return client.get(reverse("ledgers:download", args=[job.pk]))


def test_export_holds_the_list_and_exposures_masked_and_is_audited(outbreak, login, settings,
                                                                   tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = outbreak
    client = login(w.worker_a)
    html = client.get(url("person-contacts", w.case, "?window=30&days=7")).content.decode()
    export_url = re.search(r'href="([^"]+)" data-action="export"', html).group(1)
    export_url = export_url.replace("&amp;", "&")
    assert f"case={w.case.pk}" in export_url and "window=30" in export_url
    r = _export(client, export_url)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    assert 'filename="contacts_' in r["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    search, people, exposures = (list(ws.iter_rows(values_only=True)) for ws in book.worksheets)
    assert len(people) == 6 and len(exposures) == 6  # header + 5 contacts, one exposure each
    rows = {row[1]: row for row in people[1:]}
    assert set(rows) == {"接触一", "接触二", "已观察", "确诊", "乙社区人"}
    assert rows["接触一"][2] == w.normal_1.id_number_masked
    assert w.normal_1.id_number not in str(people)
    assert rows["乙社区人"][6].startswith("No")
    assert exposures[1][6] == "病例" and exposures[1][4] == "甲社区东门"
    event = AuditEvent.objects.get(action="export", object_id=str(w.case.pk))
    assert event.actor == w.worker_a and f"case #{w.case.pk}" in event.note
    assert "contacts: 5 rows" not in event.note and "window" not in event.note


def test_bad_export_search_says_what_is_wrong_and_starts_nothing(outbreak, login):
    client = login(outbreak.worker_a)
    export = reverse("ledgers:export", args=["contacts"])
    r = client.get(f"{export}?case={outbreak.case.pk}&days=99")
    html = r.content.decode()
    assert r.status_code == 200 and "data-form-errors" in html and "Period (days)" in html
    assert f"/gate/people/{outbreak.case.pk}/contacts/?days=99" in html  # back to the search
    r = client.post(export, {"filters": f"case={outbreak.case.pk}&days=99"})
    assert r.status_code == 200 and ExportJob.objects.count() == 0


@pytest.mark.parametrize("who,status", [("worker_b", 200), ("volunteer", 403)])
def test_another_jurisdictions_case_cannot_be_exported(outbreak, login, who, status):
    client = login(getattr(outbreak, who))
    export = reverse("ledgers:export", args=["contacts"])
    r = client.post(export, {"filters": f"case={outbreak.case.pk}"})
    assert r.status_code == status and ExportJob.objects.count() == 0
    assert status == 403 or "gate.trace scope" in r.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_home_observation_is_confirmed_then_done_in_one_action(outbreak, login):
    w = outbreak
    client = login(w.worker_a)
    confirm = client.get(url("person-contacts-observe", w.case, "?degree=1&days=7"))
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "2 people will be put under home observation" in html
    assert "乙社区人" in html and "1 person outside your jurisdiction" in html
    assert Person.objects.get(pk=w.normal_1.pk).status == PersonStatus.NORMAL  # nothing yet
    r = client.post(url("person-contacts-observe", w.case), {
        "degree": "1", "days": "7", "people": [w.normal_1.pk, w.normal_2.pk]}, follow=True)
    assert r.redirect_chain[-1][0].endswith("/contacts/?degree=1&days=7")
    assert "2 put under home observation; 1 already were; 1 kept a stricter status; 1 outside" \
        in r.content.decode(), re.findall(r'role="alert">(.*?)<', r.content.decode(), re.S)
    statuses = dict(Person.objects.values_list("name", "status"))
    assert statuses["接触一"] == statuses["接触二"] == PersonStatus.HOME_OBSERVATION
    assert statuses["乙社区人"] == PersonStatus.NORMAL
    assert AuditEvent.objects.filter(action="action", object_id=str(w.case.pk)).count() == 1
    assert "Nobody listed in your jurisdiction needs a status change." in r.content.decode()


def test_posted_people_limit_the_action(outbreak, login):
    w = outbreak
    login(w.worker_a).post(url("person-contacts-observe", w.case), {"people": [w.normal_2.pk]})
    assert Person.objects.get(pk=w.normal_1.pk).status == PersonStatus.NORMAL
    assert Person.objects.get(pk=w.normal_2.pk).status == PersonStatus.HOME_OBSERVATION


# --- the panel on a person's page ----------------------------------------------------------------

def test_person_page_loads_the_movements_panel(outbreak, login):
    client = login(outbreak.worker_a)
    html = client.get(reverse("people:detail", args=[outbreak.case.pk])).content.decode()
    assert f'hx-get="{url("person-movements", outbreak.case)}"' in html
    panel = client.get(url("person-movements", outbreak.case)).content.decode()
    assert url("person-trace", outbreak.case) in panel
    assert url("person-contacts", outbreak.case) in panel
    assert "1 entry in the retention period" in panel and "甲社区东门" in panel


def test_movements_panel_is_empty_for_users_who_may_not_trace(outbreak, login):
    # The volunteer sees the person (people.view) but may not trace them.
    assert login(outbreak.volunteer).get(url("person-movements", outbreak.case)).content == b""
    assert login(outbreak.grid_worker).get(url("person-movements", outbreak.case)).content == b""


@pytest.mark.parametrize("seconds,shown,chinese", [
    (20, "under a minute", "不到1分钟"), (40 * 60, "40 min", "40分钟"),
    (2 * 3600 + 5 * 60 + 10, "2 h 5 min", "2小时5分钟")])
def test_the_time_between_an_entry_and_its_other_half(seconds, shown, chinese):
    from datetime import UTC, datetime

    from django.utils import translation

    from shoumen.gate.entries.models import Entry
    from shoumen.gate.traces.services import TraceEntry

    out = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    item = TraceEntry(entry=Entry(at=out), partner=Entry(at=out + timedelta(seconds=seconds)))
    with translation.override("en"):
        assert item.time_between == shown
    with translation.override("zh-hans"):
        assert item.time_between == chinese
    assert TraceEntry(entry=Entry(at=out)).time_between == ""


def test_the_graph_keeps_places_for_the_second_degree(outbreak, login):
    """More first-degree contacts than places: the most exposed are drawn with the people they
    link, instead of first-degree contacts only."""
    from shoumen.gate.traces.contacts import contact_params, find_contacts
    from shoumen.gate.traces.views import _graph

    w = outbreak
    at = timezone.now() - timedelta(days=1)
    add_entry(w.normal_1, w.gate_a, w.case.entries.get().at + timedelta(minutes=3))  # most exposed
    add_entry(w.normal_1, w.lobby_1, at)
    later = factories.person(w.worker_a, w.community_a, "二级")
    add_entry(later, w.lobby_2, at + timedelta(minutes=20))
    result = find_contacts(w.case, contact_params(degree=2))
    graph = _graph(result, limit=3)
    assert [n["degree"] for n in graph["nodes"]] == [0, 1, 2]
    assert [n["id"] for n in graph["nodes"]][1:] == [str(w.normal_1.pk), str(later.pk)]
    assert graph["hidden"] == 4
    everyone = _graph(result, limit=100)  # room for all: every first-degree contact too
    assert sorted(n["degree"] for n in everyone["nodes"]) == [0, 1, 1, 1, 1, 1, 2]
