"""Ledger pages: upload → job page → done, htmx polling, export confirm → download, who may see
and download what."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shoumen.core.models import AuditAction, AuditEvent
from shoumen.ledgers.models import ExportJob, ImportJob, JobStatus
from shoumen.people.models import Person
from tests.factories import person
from tests.test_ledgers_import import row, upload, xlsx_bytes

pytestmark = pytest.mark.usefixtures("media_root")


def post_upload(client, world, rows, mode="all_or_nothing", jurisdiction=None):
    return client.post(reverse("ledgers:import", kwargs={"kind": "people"}), {
        "file": upload(xlsx_bytes(rows)), "mode": mode,
        "jurisdiction": (jurisdiction or world.community_a).pk,
    })


def test_upload_then_job_page_shows_the_outcome(world, login):
    client = login(world.worker_a)
    page = client.get(reverse("ledgers:import", kwargs={"kind": "people"}))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'enctype="multipart/form-data"' in body and "身份证号" in body and "ID number" in body
    assert reverse("ledgers:template", kwargs={"kind": "people"}) in body

    r = post_upload(client, world, [row(i) for i in range(12)])
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("ledgers:job", kwargs={"pk": job.pk})
    assert job.status == JobStatus.DONE and job.created_by == world.worker_a
    page = client.get(r["Location"])
    body = page.content.decode()
    assert 'data-status="done"' in body and "Imported all 12 rows." in body
    assert 'data-created>12<' in body and 'aria-valuenow="100"' in body
    assert "hx-trigger" not in body  # finished: no polling
    assert Person.objects.count() == 12


def test_job_page_polls_while_running_and_htmx_gets_the_partial(world, login):
    client = login(world.worker_a)
    post_upload(client, world, [row(1)])
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, total_rows=200,
                                               processed_rows=50)
    url = reverse("ledgers:job", kwargs={"pk": job.pk})
    body = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in body and f'hx-get="{url}"' in body
    assert 'aria-valuenow="25"' in body and "<html" in body
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="job-progress"') and "<html" not in partial
    assert 'hx-trigger="every 1s"' in partial
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, processed_rows=200)
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial and 'data-status="done"' in partial


def test_bad_rows_show_on_the_page_with_the_error_report(world, login):
    client = login(world.worker_a)
    rows = [row(1), row(2, phone="123"), row(3)]
    r = post_upload(client, world, rows)
    job = ImportJob.objects.get()
    body = client.get(r["Location"]).content.decode()
    assert 'data-status="failed"' in body and "nothing was imported" in body
    assert "“123” is not a mainland phone number" in body
    report = reverse("ledgers:error-report", kwargs={"pk": job.pk})
    assert report in body
    response = client.get(report)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert [c.value for c in sheet[2]][:2] == [3, "手机号"]
    assert Person.objects.count() == 0


def test_wrong_file_is_refused_on_the_form(world, login):
    client = login(world.worker_a)
    r = client.post(reverse("ledgers:import", kwargs={"kind": "people"}), {
        "file": upload(b"name,id\n", name="people.csv"), "mode": "all_or_nothing",
        "jurisdiction": world.community_a.pk,
    })
    assert r.status_code == 200
    assert "not an Excel .xlsx workbook" in r.content.decode()
    assert ImportJob.objects.count() == 0


def test_too_large_file_is_refused_on_the_form(world, login, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    r = post_upload(login(world.worker_a), world, [row(i) for i in range(30)])
    assert r.status_code == 200 and "Split the ledger" in r.content.decode()
    assert ImportJob.objects.count() == 0


def test_import_into_another_community_is_not_offered(world, login):
    r = post_upload(login(world.worker_a), world, [row(1)], jurisdiction=world.community_b)
    assert r.status_code == 200 and ImportJob.objects.count() == 0
    assert 'data-field="jurisdiction"' in r.content.decode()


def test_volunteer_may_not_import_or_export(world, login):
    client = login(world.volunteer)
    for name in ("ledgers:import", "ledgers:template", "ledgers:export"):
        assert client.get(reverse(name, kwargs={"kind": "people"})).status_code == 403


def test_unknown_kind_is_404(world, login):
    client = login(world.worker_a)
    assert client.get(reverse("ledgers:import", kwargs={"kind": "nothing"})).status_code == 404
    assert client.get(reverse("ledgers:export", kwargs={"kind": "nothing"})).status_code == 404


def test_template_download(world, login):
    r = login(world.worker_a).get(reverse("ledgers:template", kwargs={"kind": "people"}))
    assert r.status_code == 200 and "people_template.xlsx" in r["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content))).worksheets[0]
    assert sheet["A1"].value in {"Name", "姓名"}


def test_other_users_get_404_for_jobs_and_files(world, login, client):
    login(world.worker_a)
    post_upload(client, world, [row(1), row(2, phone="1")])
    job = ImportJob.objects.get()
    person(world.worker_a, world.community_a, "张三")
    client.post(reverse("ledgers:export", kwargs={"kind": "people"}), {"filters": ""})
    export = ExportJob.objects.get()
    urls = [reverse("ledgers:job", kwargs={"pk": job.pk}),
            reverse("ledgers:error-report", kwargs={"pk": job.pk}),
            reverse("ledgers:export-job", kwargs={"pk": export.pk}),
            reverse("ledgers:download", kwargs={"pk": export.pk})]
    for url in urls:
        assert client.get(url).status_code == 200, url
    for other in (world.worker_b, world.commander):
        login(other)
        for url in urls:
            assert client.get(url).status_code == 404, (other, url)
    # an administrator sees the jobs but does not get the files
    login(world.admin)
    assert [client.get(u).status_code for u in urls] == [200, 404, 200, 404]


def test_export_confirm_then_job_page_then_download(world, login):
    person(world.worker_a, world.community_a, "张三", phone="13812345678")
    person(world.worker_a, world.community_a, "李四")
    person(world.worker_b, world.community_b, "王五")
    client = login(world.worker_a)
    url = reverse("ledgers:export", kwargs={"kind": "people"})
    page = client.get(url, {"q": "张", "page": "3"})
    body = page.content.decode()
    assert page.status_code == 200 and 'data-count>1<' in body
    assert 'name="filters" value="q=%E5%BC%A0"' in body  # page dropped, filters kept

    r = client.post(url, {"filters": "q=%E5%BC%A0"})
    job = ExportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("ledgers:export-job",
                                                             kwargs={"pk": job.pk})
    body = client.get(r["Location"]).content.decode()
    download = reverse("ledgers:download", kwargs={"pk": job.pk})
    assert 'data-status="done"' in body and download in body and "hx-trigger" not in body
    response = client.get(download)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["张三"] and rows[1][2] == "138****5678"
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=world.worker_a).count() == 1


def test_export_with_invalid_filters_says_so(world, login):
    client = login(world.worker_a)
    url = reverse("ledgers:export", kwargs={"kind": "people"})
    page = client.get(url, {"status": "bogus"})
    assert page.status_code == 200 and "data-form-errors" in page.content.decode()
    r = client.post(url, {"filters": "status=bogus"})
    assert r.status_code == 200 and ExportJob.objects.count() == 0


def test_job_list_shows_only_my_jobs(world, login, client):
    login(world.worker_b)
    post_upload(client, world, [row(7, community="370103001002")], jurisdiction=world.community_b)
    login(world.worker_a)
    post_upload(client, world, [row(1)])
    client.post(reverse("ledgers:export", kwargs={"kind": "people"}), {"filters": ""})
    body = client.get(reverse("ledgers:jobs")).content.decode()
    mine = ImportJob.objects.get(created_by=world.worker_a)
    theirs = ImportJob.objects.get(created_by=world.worker_b)
    assert reverse("ledgers:job", kwargs={"pk": mine.pk}) in body
    assert reverse("ledgers:job", kwargs={"pk": theirs.pk}) not in body
    assert reverse("ledgers:export-job", kwargs={"pk": ExportJob.objects.get().pk}) in body
