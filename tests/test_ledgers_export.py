"""Exporting the people list: scope, filters, masking, audit, progress, permissions."""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from openpyxl import load_workbook

from shoumen.core.authz import NotAllowed
from shoumen.core.models import AuditAction, AuditEvent
from shoumen.ledgers import jobs, services
from shoumen.ledgers.models import ExportJob, JobStatus
from shoumen.people import services as people_services
from shoumen.people.models import PersonTag
from tests.factories import force_update, person

pytestmark = pytest.mark.usefixtures("media_root", "english")


@pytest.fixture
def people(world):
    tag = PersonTag.objects.create(code="elderly_alone", name="独居老人")
    a1 = person(world.worker_a, world.community_a, "张三", phone="13812345678", address="文化西路1号",
                household="H-1", tags=[tag])
    a2 = person(world.worker_a, world.grid_a1, "李四", phone="13900001111")
    b1 = person(world.worker_b, world.community_b, "王五", phone="13700002222")
    c1 = person(world.admin, world.lixia_community, "赵六")
    return {"a1": a1, "a2": a2, "b1": b1, "c1": c1, "tag": tag}


def export(user, params=""):
    return services.start_export(actor=user, kind="people", params=QueryDict(params))


def read(job):
    sheet = load_workbook(job.result.open("rb"), read_only=True).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_export_holds_only_rows_in_scope_with_masked_numbers(world, people):
    job = export(world.worker_a)
    assert job.status == JobStatus.DONE, job.message
    rows = read(job)
    assert rows[0] == ["Name", "ID number", "Phone", "Gender", "Birth date", "Community", "Address",
                       "Household", "Kind", "Status", "Tags"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"张三", "李四"}
    zhang = people["a1"]
    assert by_name["张三"][1] == zhang.id_number_masked and "*" in by_name["张三"][1]
    assert by_name["张三"][2] == "138****5678"
    assert by_name["张三"][5] == "甲社区" and by_name["李四"][5] == "甲社区一网格"
    assert by_name["张三"][6:] == ["文化西路1号", "H-1", "Registered resident", "Normal", "独居老人"]
    cells = " ".join(str(v) for r in rows for v in r)
    for p in (people["a1"], people["a2"]):
        assert p.id_number not in cells and p.phone not in cells
    assert (job.total_rows, job.processed_rows) == (2, 2)


def test_commander_exports_the_subdistrict_and_filters_apply(world, people):
    rows = read(export(world.commander))
    assert {r[0] for r in rows[1:]} == {"张三", "李四", "王五"}
    people_services.change_status(people["b1"], actor=world.commander, status="home_observation",
                                  reason="密接")
    rows = read(export(world.commander, "status=home_observation"))
    assert [r[0] for r in rows[1:]] == ["王五"]
    rows = read(export(world.commander, f"node={world.community_a.pk}&q=zs"))
    assert [r[0] for r in rows[1:]] == ["张三"]
    rows = read(export(world.commander, f"tag={people['tag'].pk}"))
    assert [r[0] for r in rows[1:]] == ["张三"]


def test_invalid_filters_are_refused_not_ignored(world, people):
    with pytest.raises(ValidationError) as exc:
        export(world.worker_a, "status=no_such_status")
    assert "no_such_status" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):  # a node outside the user's scope
        export(world.worker_a, f"node={world.community_b.pk}")
    assert ExportJob.objects.count() == 0


def test_export_needs_people_export(world, people):
    with pytest.raises(NotAllowed):
        export(world.volunteer)
    assert ExportJob.objects.count() == 0


def test_export_is_audited_with_count_and_filters(world, people):
    job = export(world.worker_a, "q=张")
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == world.worker_a
    assert "1 rows" in event.note and "张" in event.note and f"job {job.pk}" in event.note
    assert event.jurisdiction == world.community_a
    assert job.filters == {"q": ["张"]} and "张" in job.filters_text


def test_formulas_in_data_stay_text(world):
    person(world.worker_a, world.community_a, "=HYPERLINK(\"http://x\",\"y\")")
    job = export(world.worker_a)
    sheet = load_workbook(job.result.open("rb")).worksheets[0]
    cell = sheet["A2"]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


def test_progress_is_updated_while_writing(world, people, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 1)
    seen = []
    real = jobs.update

    def spy(job, **fields):
        if "processed_rows" in fields:
            seen.append(fields["processed_rows"])
        real(job, **fields)

    monkeypatch.setattr(jobs, "update", spy)
    job = export(world.commander)
    assert seen == [0, 1, 2, 3, 3]
    job.refresh_from_db()
    assert job.processed_rows == job.total_rows == 3 and job.percent == 100


def test_export_of_nothing_is_an_empty_ledger(world):
    job = export(world.worker_a)
    assert job.status == JobStatus.DONE and read(job)[1:] == []


def test_jobs_are_visible_to_their_creator_while_they_keep_the_capability(world, people):
    job = export(world.worker_a)
    assert ExportJob.objects.for_user(world.worker_a).filter(pk=job.pk).exists()
    assert not ExportJob.objects.for_user(world.worker_b).filter(pk=job.pk).exists()
    assert ExportJob.objects.for_user(world.admin).filter(pk=job.pk).exists()
    force_update(world.worker_a.role_assignments.all(), active=False)
    world.worker_a._shoumen_scope = None
    del world.worker_a._shoumen_scope
    assert not ExportJob.objects.for_user(world.worker_a).filter(pk=job.pk).exists()
