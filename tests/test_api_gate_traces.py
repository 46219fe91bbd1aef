"""Trace and close-contact API: shapes, scoping (404 in another jurisdiction), bad parameters
(400 by field), home observation (scope, 403 without people.status), the xlsx export."""

import io
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoumen.core.models import AuditEvent
from shoumen.people.models import Person, PersonStatus
from tests import factories
from tests.helpers_gate_traces import add_entry, with_outbreak, with_sites


@pytest.fixture
def outbreak(world):
    return with_outbreak(with_sites(world))


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def path(person, suffix):
    return f"/api/gate/people/{person.pk}/{suffix}"


def test_trace_lists_every_entry_with_checkpoint_and_pair(outbreak):
    w = outbreak
    now = timezone.now()
    out = add_entry(w.case, w.gate_c, now - timedelta(hours=3), "out", "37.6")
    back = add_entry(w.case, w.gate_c, now - timedelta(hours=1), "in")
    r = api(w.worker_a).get(path(w.case, "trace/"))
    assert r.status_code == 200
    body = r.json()
    assert body["person"]["id"] == w.case.pk and body["person"]["community"] == "甲社区"
    assert body["retention_days"] == 28
    assert [e["id"] for e in body["entries"]][:2] == [back.pk, out.pk]
    first = body["entries"][1]
    assert first["checkpoint"]["name"] == "丙社区西门"
    assert first["checkpoint"]["jurisdiction"]["name"] == "丙社区"
    assert (first["temperature"], first["fever"]) == ("37.6", True)
    assert first["paired_with"]["entry"] == back.pk and first["minutes_between"] == 120
    assert body["last_entry"]["id"] == back.pk
    assert body["entries"][2]["paired_with"] is None  # the gate_a entry two days ago


def test_contacts_with_exposures_and_counts(outbreak):
    w = outbreak
    r = api(w.worker_a).get(path(w.case, "contacts/"), {"window": 30, "days": 7, "degree": 2})
    assert r.status_code == 200
    body = r.json()
    assert (body["window_minutes"], body["days"], body["degree"]) == (30, 7, 2)
    assert body["counts"] == {"case_entries": 1, "first": 5, "second": 0, "in_scope": 4,
                              "outside_scope": 1, "exposures": 5}
    assert body["truncated"] is False
    by_name = {c["person"]["name"]: c for c in body["contacts"]}
    assert set(by_name) == {"接触一", "接触二", "已观察", "确诊", "乙社区人"}
    assert by_name["乙社区人"]["in_scope"] is False and by_name["接触一"]["in_scope"] is True
    (x,) = by_name["接触二"]["exposures"]
    assert x["linked_person"] == {"id": w.case.pk, "name": "病例"}
    assert x["minutes_apart"] == 2.0 and x["checkpoint"]["site_id"] == w.gate_a.pk
    assert x["linked_entry"] == body["case_entries"][0]["entry"]
    assert by_name["接触二"]["person"]["id_number_masked"] == w.normal_2.id_number_masked


@pytest.mark.parametrize("query,field", [({"window": 1}, "window"), ({"days": 100}, "days"),
                                         ({"degree": 5}, "degree"), ({"window": "x"}, "window"),
                                         ({"until": "not a time"}, "until")])
def test_bad_parameters_are_400_by_field(outbreak, query, field):
    r = api(outbreak.worker_a).get(path(outbreak.case, "contacts/"), query)
    assert r.status_code == 400 and list(r.json()) == [field]


@pytest.mark.parametrize("who", ["worker_b", "volunteer", "grid_worker"])
def test_other_jurisdictions_get_404(outbreak, who):
    client = api(getattr(outbreak, who))
    for suffix in ("trace/", "contacts/"):
        assert client.get(path(outbreak.case, suffix)).status_code == 404, suffix
    assert client.post(path(outbreak.case, "contacts/observe/"), {}, format="json"
                       ).status_code == 404
    assert api(outbreak.worker_a).get("/api/gate/people/999999/trace/").status_code == 404


def test_anonymous_is_refused(outbreak):
    assert api().get(path(outbreak.case, "contacts/")).status_code in (401, 403)


def test_observe_changes_in_scope_people_and_reports_the_rest(outbreak):
    w = outbreak
    r = api(w.worker_a).post(path(w.case, "contacts/observe/"), {"degree": 1}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert body["counts"] == {"changed": 2, "already": 1, "stricter": 1, "outside_scope": 1}
    assert {p["name"] for p in body["changed"]} == {"接触一", "接触二"}
    assert all(p["status"] == "home_observation" and p["confined"] for p in body["changed"])
    assert [p["community"] for p in body["outside_scope"]] == ["乙社区"]
    assert Person.objects.get(pk=w.elsewhere.pk).status == PersonStatus.NORMAL
    assert AuditEvent.objects.filter(action="action", object_id=str(w.case.pk)).count() == 1


def test_observe_only_the_listed_people(outbreak):
    w = outbreak
    r = api(w.commander).post(path(w.case, "contacts/observe/"),
                              {"people": [w.elsewhere.pk]}, format="json")
    assert r.json()["counts"]["changed"] == 1
    assert Person.objects.get(pk=w.elsewhere.pk).status == PersonStatus.HOME_OBSERVATION
    assert Person.objects.get(pk=w.normal_1.pk).status == PersonStatus.NORMAL


def test_observe_needs_people_status(outbreak):
    officer = factories.user("duty", "duty_officer", outbreak.luoyuan)
    client = api(officer)
    assert client.get(path(outbreak.case, "contacts/")).status_code == 200
    r = client.post(path(outbreak.case, "contacts/observe/"), {}, format="json")
    assert r.status_code == 403 and "people.status" in r.json()["detail"]
    assert Person.objects.filter(status=PersonStatus.HOME_OBSERVATION).count() == 1


def test_observe_bad_body_is_400(outbreak):
    r = api(outbreak.worker_a).post(path(outbreak.case, "contacts/observe/"),
                                    {"people": ["abc"], "window": 500}, format="json")
    assert r.status_code == 400 and "people" in r.json()
    assert Person.objects.filter(status=PersonStatus.HOME_OBSERVATION).count() == 1


EXPORTS = "/api/ledgers/exports/"


def test_export_is_a_ledger_export_job_and_audited_on_the_case(outbreak, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = outbreak
    client = api(w.worker_a)
    r = client.post(EXPORTS, {"kind": "contacts", "filters": {"case": w.case.pk, "degree": 1}},
                    format="json")
    assert r.status_code == 202, r.content
    job = r.json()
    assert job["status"] == "done" and job["total_rows"] > 5
    assert job["filters"]["until"] == [timezone.localdate().isoformat()]  # fixed when queued
    download = client.get(client.get(f"{EXPORTS}{job['id']}/").json()["download_url"])
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert [ws.title for ws in book.worksheets] == ["Search", "Close contacts", "Exposures"]
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert {row[1] for row in rows[1:]} == {"接触一", "接触二", "已观察", "确诊", "乙社区人"}
    assert isinstance(rows[1][8], datetime)  # the first exposure: a time cell, local time
    assert AuditEvent.objects.filter(action="export", object_id=str(w.case.pk),
                                     actor=w.worker_a).count() == 1
    bad = client.post(EXPORTS, {"kind": "contacts", "filters": {"case": w.case.pk, "days": 0}},
                      format="json")
    assert bad.status_code == 400 and "days" in str(bad.json()).lower()


@pytest.mark.parametrize("who,status", [("worker_b", 400), ("volunteer", 403)])
def test_another_jurisdictions_case_is_refused_as_unknown(outbreak, who, status, settings,
                                                          tmp_path):
    """A tracer elsewhere: the case is unknown to them (400, as for a missing id); someone who
    traces nowhere may not export contacts at all (403)."""
    settings.MEDIA_ROOT = tmp_path
    r = api(getattr(outbreak, who)).post(EXPORTS, {"kind": "contacts",
                                                   "filters": {"case": outbreak.case.pk}},
                                         format="json")
    assert r.status_code == status
    assert status == 403 or "gate.trace scope" in str(r.json())
    assert not AuditEvent.objects.filter(action="export").exists()


def test_times_from_epoch_read_as_drf_writes_datetimes():
    from datetime import UTC, datetime

    from django.utils import timezone as tz

    from shoumen.gate.api.common import iso_datetime, iso_from_epoch

    moment = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    assert iso_from_epoch(moment.timestamp()) == iso_datetime(moment)
    assert iso_from_epoch(moment.timestamp()).endswith("+08:00")  # the site's time zone
    with tz.override("UTC"):
        assert iso_from_epoch(moment.timestamp()) == iso_datetime(moment)
        assert iso_from_epoch(moment.timestamp()).endswith("Z")
    assert iso_from_epoch(None) is None


def test_contacts_come_a_page_at_a_time_with_counts_of_the_whole_search(outbreak):
    w = outbreak
    query = {"window": 30, "days": 7, "degree": 2, "page_size": 2}
    first = api(w.worker_a).get(path(w.case, "contacts/"), query).json()
    assert first["count"] == 5 and len(first["contacts"]) == 2 and first["previous"] is None
    assert first["counts"]["first"] == 5 and "page=2" in first["next"]
    last = api(w.worker_a).get(path(w.case, "contacts/"), {**query, "page": 3}).json()
    assert len(last["contacts"]) == 1 and last["next"] is None and last["previous"]
    names = [c["person"]["name"] for page in (1, 2, 3) for c in api(w.worker_a).get(
        path(w.case, "contacts/"), {**query, "page": page}).json()["contacts"]]
    assert sorted(names) == sorted(["接触一", "接触二", "已观察", "确诊", "乙社区人"])
    assert api(w.worker_a).get(path(w.case, "contacts/"), {**query, "page": 9}).status_code == 404
