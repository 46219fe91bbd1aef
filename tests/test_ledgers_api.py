"""The ledgers API: upload → poll → error report; export → poll → download; 404 for others."""

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from shoumen.ledgers.models import ExportJob, ImportJob
from shoumen.people.models import Person
from tests.factories import person
from tests.test_ledgers_import import row, upload, xlsx_bytes

IMPORTS = "/api/ledgers/imports/"
EXPORTS = "/api/ledgers/exports/"


pytestmark = pytest.mark.usefixtures("media_root")


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def post_import(client, world, rows=None, content=None, mode="good_rows", jurisdiction=None):
    content = content if content is not None else xlsx_bytes(rows)
    return client.post(IMPORTS, {"file": upload(content), "kind": "people", "mode": mode,
                                 "jurisdiction": (jurisdiction or world.community_a).pk},
                       format="multipart")


def file_rows(response):
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content)))
                .worksheets[0].iter_rows(values_only=True))


def test_import_flow(world):
    client = api(world.worker_a)
    r = post_import(client, world, [row(1), row(2, phone="99"), row(3)])
    assert r.status_code == 202, r.content
    job = r.json()
    assert job["status"] == "done" and job["created_rows"] == 2 and job["error_rows"] == 1
    assert job["processed_rows"] == job["total_rows"] == 3 and job["percent"] == 100
    assert job["errors_preview"][0]["row"] == 3 and job["errors_preview"][0]["column"] == "手机号"
    assert r["Location"].endswith(f"{IMPORTS}{job['id']}/")
    assert client.get(f"{IMPORTS}{job['id']}/").json()["created_rows"] == 2
    assert [j["id"] for j in client.get(IMPORTS).json()["results"]] == [job["id"]]

    report = client.get(job["error_report_url"])
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = file_rows(report)
    assert rows[1][:2] == (3, "手机号") and "99" in rows[1][3]
    assert Person.objects.count() == 2


def test_error_report_by_accept_header(world):
    client = api(world.worker_a)
    job = post_import(client, world, [row(1, phone="1")]).json()
    r = client.get(f"{IMPORTS}{job['id']}/error-report/",
                   HTTP_ACCEPT="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.status_code == 200


def test_bad_files_and_fields_are_400_with_messages(world, settings):
    client = api(world.worker_a)
    r = post_import(client, world, content=b"a,b\n1,2\n")
    assert r.status_code == 400 and "not an Excel .xlsx workbook" in r.json()["file"][0]
    r = post_import(client, world, [row(1)], jurisdiction=world.community_b)
    assert r.status_code == 400 and "jurisdiction" in r.json()
    r = client.post(IMPORTS, {"file": upload(xlsx_bytes([row(1)])), "kind": "nothing",
                              "jurisdiction": world.community_a.pk}, format="multipart")
    assert r.status_code == 400 and "kind" in r.json()
    settings.MAX_UPLOAD_BYTES = 10
    r = post_import(client, world, [row(1)])
    assert r.status_code == 400 and "Split the ledger" in r.json()["file"][0]
    assert ImportJob.objects.count() == 0 and Person.objects.count() == 0


def test_huge_body_is_refused_before_it_is_read(world, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    client = api(world.worker_a)
    r = post_import(client, world, content=b"PK" + b"0" * 100_000)
    assert r.status_code == 400 and "Split the ledger" in r.json()["file"][0]


def test_volunteer_gets_403(world):
    r = post_import(api(world.volunteer), world, [row(1)])
    assert r.status_code == 403
    r = api(world.volunteer).post(EXPORTS, {"kind": "people"}, format="json")
    assert r.status_code == 403


def test_export_flow(world):
    person(world.worker_a, world.community_a, "张三", phone="13812345678")
    person(world.worker_b, world.community_b, "王五")
    client = api(world.worker_a)
    r = client.post(EXPORTS, {"kind": "people", "filters": {"q": "张", "status": ["normal"]}},
                    format="json")
    assert r.status_code == 202, r.content
    job = r.json()
    assert job["status"] == "done" and job["total_rows"] == 1
    assert job["filters"] == {"q": ["张"], "status": ["normal"]}
    detail = client.get(f"{EXPORTS}{job['id']}/").json()
    download = client.get(detail["download_url"])
    assert download.status_code == 200
    rows = file_rows(download)
    assert [r[0] for r in rows[1:]] == ["张三"] and rows[1][2] == "138****5678"


def test_export_with_bad_filter_is_400(world):
    r = api(world.worker_a).post(EXPORTS, {"kind": "people", "filters": {"status": "bogus"}},
                                 format="json")
    assert r.status_code == 400 and ExportJob.objects.count() == 0


def test_other_users_get_404(world):
    job = post_import(api(world.worker_a), world, [row(1, phone="1")]).json()
    export = api(world.worker_a).post(EXPORTS, {"kind": "people"}, format="json").json()
    urls = [f"{IMPORTS}{job['id']}/", f"{IMPORTS}{job['id']}/error-report/",
            f"{EXPORTS}{export['id']}/", f"{EXPORTS}{export['id']}/download/"]
    assert [api(world.worker_a).get(u).status_code for u in urls] == [200, 200, 200, 200]
    for other in (world.worker_b, world.commander):
        assert [api(other).get(u).status_code for u in urls] == [404] * 4, other
    # an administrator may follow anyone's job but not download their files
    assert [api(world.admin).get(u).status_code for u in urls] == [200, 404, 200, 404]
    assert api(world.worker_b).get(IMPORTS).json()["count"] == 0


def test_schema_lists_the_ledger_endpoints(world):
    body = APIClient().get("/api/schema/").content.decode()
    for path in ("/api/ledgers/imports/", "/api/ledgers/imports/{id}/error-report/",
                 "/api/ledgers/exports/", "/api/ledgers/exports/{id}/download/"):
        assert path in body
