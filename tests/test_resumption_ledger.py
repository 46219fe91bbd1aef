"""The enterprise registry as an Excel ledger: import with row-level errors, all or nothing,
and export through the ledger registry with the list's filters."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from openpyxl import Workbook, load_workbook
from stdnum.cn import uscc

from shoumen.core.models import AuditAction, AuditEvent
from shoumen.ledgers import services
from shoumen.ledgers.models import JobStatus
from shoumen.resumption.models import Enterprise
from tests.factories import enterprise, place

pytestmark = pytest.mark.usefixtures("media_root", "english")

HEADER = ["序号", "企业名称", "统一社会信用代码", "法定代表人", "社区", "所在楼宇", "楼层房间", "企业类别",
          "行业", "九小场所类型", "员工人数", "是否面向公众", "重点企业", "联系人", "联系电话"]


def code(n: int) -> str:
    body = f"91370103MA3D{n:05d}"
    return body + uscc.calc_check_digit(body)


def row(n, **changes):
    values = {"name": f"企业{n}", "code": code(n), "rep": "王芳", "community": "甲社区",
              "building": "绿地中心", "room": "3层301", "category": "餐饮", "industry": "餐饮",
              "venue": "小餐饮", "employees": 38, "public": "是", "key": "否", "contact": "王芳",
              "phone": "13800000001"}
    values.update(changes)
    return [n, *values.values()]


def run(actor, node, rows, mode="all_or_nothing"):
    workbook = Workbook()
    workbook.active.append(HEADER)
    for r in rows:
        workbook.active.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("企业台账.xlsx", buffer.getvalue())
    return services.start_import(actor=actor, kind="enterprises", upload=upload, mode=mode,
                                 jurisdiction=node)


def problems(job):
    sheet = load_workbook(job.error_report.open("rb"), read_only=True).worksheets[0]
    return [tuple(r) for r in list(sheet.iter_rows(values_only=True))[1:]]


@pytest.fixture
def tower(world):
    return place(world.community_a, "绿地中心", property_company="绿地物业")


def test_an_import_registers_every_row_with_its_fields_and_audit(world, tower):
    job = run(world.commander, world.luoyuan, [row(1), row(2, category="", venue="", public="",
                                                           key="是", building="", phone="")])
    assert job.status == JobStatus.DONE, job.message
    first, second = Enterprise.objects.order_by("name")
    assert (first.jurisdiction, first.building, first.category, first.venue_category,
            first.public_facing, first.key_enterprise, first.legal_representative) == (
        world.community_a, tower, "catering", "restaurant", True, False, "王芳")
    assert first.contact_phone == "13800000001" and first.contact_phone_masked == "138****0001"
    assert "13800000001" not in first.contact_phone_encrypted
    assert (second.category, second.venue_category, second.public_facing, second.key_enterprise,
            second.building) == ("office", "", False, True, None)
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(first.pk)).exists()


def test_bad_rows_are_named_and_nothing_is_saved(world, tower):
    enterprise(world.community_a, "已有企业", credit_code=code(9))
    rows = [row(1), row(2, code=code(2)[:-1] + "0" if code(2)[-1] != "0" else code(2)[:-1] + "1"),
            row(3, community="不存在社区"), row(4, category="航天"), row(5, venue="大商场"),
            row(6, public="也许"), row(7, phone="12"), row(8, code=code(1)), row(9),
            row(10, building="别的楼")]
    job = run(world.commander, world.luoyuan, rows)
    assert job.status == JobStatus.FAILED
    found = {(r[0], r[1]) for r in problems(job)}
    assert {r for r, _ in found} == {3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert Enterprise.objects.count() == 1
    messages = " ".join(str(r[-1]) for r in problems(job))
    assert "already in row 2" in messages and "already registered" in messages


def test_correct_rows_only_keeps_the_good_ones(world, tower):
    job = run(world.commander, world.luoyuan, [row(1), row(2, category="航天")],
              mode="good_rows")
    assert job.status == JobStatus.DONE, job.message
    assert list(Enterprise.objects.values_list("name", flat=True)) == ["企业1"]


def test_an_import_outside_ones_reach_is_refused(world, tower):
    job = run(world.commander, world.luoyuan, [row(1, community="历下某社区")])
    assert job.status == JobStatus.FAILED and not Enterprise.objects.exists()


def test_the_export_follows_the_lists_filters_and_masks_the_phone(world, tower):
    run(world.commander, world.luoyuan, [row(1), row(2, category="办公", venue="")])
    enterprise(world.lixia_community, "外区企业", credit_code=code(20))
    job = services.start_export(actor=world.commander, kind="enterprises",
                                params=QueryDict("category=catering"))
    assert job.status == JobStatus.DONE, job.message
    rows = list(load_workbook(job.result.open("rb"), read_only=True).worksheets[0]
                .iter_rows(values_only=True))
    assert rows[0][0] == "Name" and "Property company" in rows[0]
    assert [r[0] for r in rows[1:]] == ["企业1"]
    assert "138****0001" in rows[1] and "13800000001" not in rows[1] and "绿地物业" in rows[1]
    everything = services.start_export(actor=world.commander, kind="enterprises",
                                       params=QueryDict(""))
    names = [r[0] for r in list(load_workbook(everything.result.open("rb"), read_only=True)
                                .worksheets[0].iter_rows(values_only=True))[1:]]
    assert sorted(names) == ["企业1", "企业2"]
