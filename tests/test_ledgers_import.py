"""Importing the people ledger: header checks, cell checks, modes, duplicates, scope, bad files,
atomicity, progress and audit. The task runs immediately (tests use the immediate backend)."""

import io
import zipfile
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook, load_workbook

from shoumen.core import audit, pii, request_context
from shoumen.core.authz import NotAllowed
from shoumen.core.models import AuditAction, AuditEvent
from shoumen.ledgers import jobs, reading, registry, reports, services
from shoumen.ledgers.models import ImportJob, JobStatus
from shoumen.people import fake
from shoumen.people import services as people_services
from shoumen.people.models import Person, PersonTag
from tests.factories import person

HEADER = ["姓名", "身份证号", "手机号", "社区", "地址", "户号", "类型", "标签"]
A = "370103001001"  # 甲社区
B = "370103001002"  # 乙社区


pytestmark = pytest.mark.usefixtures("media_root", "english")


@pytest.fixture
def tags(db):
    return [PersonTag.objects.create(code="elderly_alone", name="独居老人"),
            PersonTag.objects.create(code="from_hubei", name="湖北返济")]


def valid_id(seq: int, birth=date(1990, 5, 17)) -> str:
    return fake.id_number("370103", birth, seq)


def row(seq, name="王五", community=A, phone=None, address="文化西路1号", household="0001",
        kind="户籍居民", tags=""):
    phone = fake.mobile(seq) if phone is None else phone
    return [name, valid_id(seq), phone, community, address, household, kind, tags]


def xlsx_bytes(rows, header=HEADER, before=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for extra in before:
        sheet.append(list(extra))
    if header is not None:
        sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="人员台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def run_import(actor, jurisdiction, rows=None, *, mode="all_or_nothing", content=None,
               header=HEADER, before=()) -> ImportJob:
    content = content if content is not None else xlsx_bytes(rows, header, before)
    return services.start_import(actor=actor, kind="people", upload=upload(content),
                                 mode=mode, jurisdiction=jurisdiction)


def errors_of(job):
    """(row, column, message) of every problem in the job's error report."""
    sheet = load_workbook(job.error_report.open("rb"), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return rows[0], [tuple(r) for r in rows[1:]]


# --- the good path ---------------------------------------------------------------------------

def test_good_file_imports_every_row_encrypted_scoped_and_audited(world, tags):
    rows = [row(i, name="张三丰" if i % 2 else "李四", tags="独居老人，湖北返济" if i == 3 else "")
            for i in range(60)]
    rows[5][3] = "甲社区一网格"  # a grid by name
    job = run_import(world.worker_a, world.community_a, rows)
    assert job.status == JobStatus.DONE, job.message
    assert (job.total_rows, job.processed_rows, job.created_rows, job.error_count) == (60, 60, 60, 0)
    assert job.percent == 100
    assert not job.error_report
    assert Person.objects.count() == 60

    p = Person.objects.get(id_number_index=pii.blind_index("id", valid_id(3)))
    assert p.name == "张三丰" and p.name_initials == "zsf" and p.name_pinyin == "zhangsanfeng"
    assert p.id_number == valid_id(3) and p.id_number_masked == pii.mask_id_number(valid_id(3))
    assert valid_id(3) not in p.id_number_encrypted
    assert p.phone == fake.mobile(3) and p.phone_masked == pii.mask_phone(fake.mobile(3))
    assert p.birth_date == date(1990, 5, 17) and p.gender in {"M", "F"}
    assert p.jurisdiction == world.community_a and p.kind == "resident"
    assert p.household == "0001" and p.address == "文化西路1号"
    assert sorted(t.name for t in p.tags.all()) == ["湖北返济", "独居老人"]
    assert Person.objects.get(id_number_index=pii.blind_index("id", valid_id(5))).jurisdiction \
        == world.grid_a1

    person_type = ContentType.objects.get_for_model(Person)
    creates = AuditEvent.objects.filter(action=AuditAction.CREATE, content_type=person_type)
    assert creates.count() == 60
    assert set(creates.values_list("actor", flat=True)) == {world.worker_a.pk}
    assert set(creates.values_list("jurisdiction", flat=True)) <= {world.community_a.pk,
                                                                    world.grid_a1.pk}
    event = creates.get(object_id=str(p.pk))
    assert event.after["id_number_masked"] == p.id_number_masked
    assert "id_number_encrypted" not in event.after
    imports = AuditEvent.objects.filter(action=AuditAction.IMPORT)
    assert imports.count() == 1
    assert imports.get().actor == world.worker_a and "60 created" in imports.get().note


def test_english_headers_aliases_title_row_and_any_column_order(world):
    header = ["ID number", "Name ", "联系电话", "Household no", "Kind", "备注"]
    rows = [[valid_id(1), "Tom", "0531-86001234", "7", "visitor", "ignored"],
            [valid_id(2), "赵六", "", "", "务工人员", ""]]
    job = run_import(world.worker_a, world.community_a, rows, header=header,
                     before=[["甲社区人员台账（2020年2月）"]])
    assert job.status == JobStatus.DONE, job.message
    tom = Person.objects.get(name="Tom")
    assert tom.kind == "visitor" and tom.phone == "053186001234" and tom.household == "7"
    assert tom.jurisdiction == world.community_a  # the job's community: no community column
    assert Person.objects.get(name="赵六").kind == "worker"


def test_blank_rows_are_skipped_and_rows_numbered_as_excel_shows_them(world):
    rows = [row(1), [None] * 8, ["", " ", None, "", "", "", "", ""], row(2, phone="12345")]
    job = run_import(world.worker_a, world.community_a, rows, before=[["标题"]])
    assert job.total_rows == 2 and job.error_count == 1  # rows 3 and 6; blanks skipped
    header, problems = errors_of(job)
    assert problems[0][0] == 6 and problems[0][1] == "手机号"


def test_numeric_serial_column_does_not_make_a_row(world):
    header = ["序号", *HEADER]
    rows = [[1, *row(1)], [2, *row(2)], [3], [4], [5]]
    job = run_import(world.worker_a, world.community_a, rows, header=header)
    assert job.status == JobStatus.DONE and job.created_rows == 2 and job.total_rows == 2


# --- header problems ---------------------------------------------------------------------------

def test_missing_required_column_fails_naming_it(world):
    header = ["姓名", "手机号", "社区"]
    job = run_import(world.worker_a, world.community_a, [["王五", "13800000001", A]], header=header)
    assert job.status == JobStatus.FAILED
    assert "身份证号/ID number" in job.message and "row 1" in job.message
    assert Person.objects.count() == 0


def test_no_header_row_found(world):
    job = run_import(world.worker_a, world.community_a, [["a", "b"]] * 12, header=None)
    assert job.status == JobStatus.FAILED
    assert "No header row found" in job.message and "姓名/Name" in job.message


def test_duplicate_header_fails(world):
    header = ["姓名", "身份证号", "Name"]
    job = run_import(world.worker_a, world.community_a, [["a", valid_id(1), "b"]], header=header)
    assert job.status == JobStatus.FAILED
    assert "appears twice" in job.message and "columns A and C" in job.message


def test_header_only_and_empty_sheet(world):
    job = run_import(world.worker_a, world.community_a, [])
    assert job.status == JobStatus.FAILED and "no data" in job.message
    job = run_import(world.worker_a, world.community_a, [], header=None)
    assert job.status == JobStatus.FAILED and "No header row" in job.message


# --- cell problems -----------------------------------------------------------------------------

def test_each_bad_cell_is_reported_with_row_column_masked_value_and_fix(world, tags):
    good = valid_id(7)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        row(1),                                                        # row 2: fine
        ["王五", wrong_check, "13800000001", A, "", "", "", ""],       # 3: check digit
        ["王五", "370103900517001", "13800000002", A, "", "", "", ""],  # 4: 15 digits
        row(4, phone="1234"),                                          # 5: phone
        row(5, name=""),                                               # 6: name
        row(6, community="不存在社区"),                                 # 7: unknown community
        row(8, kind="外星人"),                                          # 8: unknown kind
        row(9, tags="独居老人,不存在标签"),                              # 9: unknown tag
        ["王五", int(valid_id(10)[:15]) * 1000, "", A, "", "", "", ""],  # 10: number cell
        ["", "", "", "", "", "", "", "x"],                              # 11: name and ID
    ]
    job = run_import(world.worker_a, world.community_a, rows)
    assert job.status == JobStatus.FAILED
    assert Person.objects.count() == 0
    header, problems = errors_of(job)
    assert len(header) == 4
    found = {(r, c): (v, m) for r, c, v, m in problems}
    assert ("check digit" in found[(3, "身份证号")][1]
            and f"should be {good[17]}" in found[(3, "身份证号")][1])
    assert found[(3, "身份证号")][0] == pii.mask_id_number(wrong_check)
    assert "15-digit" in found[(4, "身份证号")][1]
    assert "*" in found[(4, "身份证号")][0] and found[(4, "身份证号")][0] != "370103900517001"
    assert "mainland phone" in found[(5, "手机号")][1]
    assert "Name is required" in found[(6, "姓名")][1]
    assert "不存在社区" in found[(7, "社区")][1]
    assert "Unknown kind" in found[(8, "类型")][1] and "户籍居民" in found[(8, "类型")][1]
    assert "不存在标签" in found[(9, "标签")][1] and "独居老人" in found[(9, "标签")][1]
    assert "format the column as Text" in found[(10, "身份证号")][1]
    assert (11, "姓名") in found and (11, "身份证号") in found and (11, "标签") in found
    assert len(problems) == job.error_count == 11
    assert job.error_rows == 9
    # no full ID number anywhere in the report
    text = " ".join(str(v) for p in problems for v in p)
    assert valid_id(1) not in text and wrong_check not in text
    # the page/API preview carries the same problems
    assert job.errors_preview[0] == {"row": 3, "column": "身份证号", "value": found[(3, "身份证号")][0],
                                     "message": found[(3, "身份证号")][1]}


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(world):
    rows = [row(i) for i in range(20)] + [row(99, phone="000")]
    before = AuditEvent.objects.count()
    job = run_import(world.worker_a, world.community_a, rows, mode="all_or_nothing")
    assert job.status == JobStatus.FAILED and "nothing was imported" in job.message
    assert (job.error_count, job.created_rows, job.processed_rows, job.total_rows) == (1, 0, 21, 21)
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_good_rows_mode_writes_only_the_good_rows(world):
    rows = [row(i) for i in range(20)]
    rows[4][2] = "000"
    rows[11][0] = ""
    job = run_import(world.worker_a, world.community_a, rows, mode="good_rows")
    assert job.status == JobStatus.DONE, job.message
    assert (job.created_rows, job.error_rows, job.total_rows) == (18, 2, 20)
    assert Person.objects.count() == 18
    assert not Person.objects.filter(id_number_index__in=[
        pii.blind_index("id", valid_id(4)), pii.blind_index("id", valid_id(11))]).exists()
    _, problems = errors_of(job)
    assert [p[0] for p in problems] == [6, 13]
    assert "18 of 20" in job.message


def test_good_rows_mode_with_no_good_row_fails(world):
    job = run_import(world.worker_a, world.community_a, [row(1, phone="1")], mode="good_rows")
    assert job.status == JobStatus.FAILED and Person.objects.count() == 0


# --- duplicates ---------------------------------------------------------------------------------

def test_duplicate_id_within_the_file(world):
    rows = [row(1), row(2), row(1, name="重复")]
    job = run_import(world.worker_a, world.community_a, rows, mode="good_rows")
    assert job.created_rows == 2
    _, problems = errors_of(job)
    assert problems == [(4, "身份证号", pii.mask_id_number(valid_id(1)), problems[0][3])]
    assert "row 2" in problems[0][3]


def test_duplicate_id_against_the_database_anywhere(world):
    # registered in 乙社区, which worker_a cannot even see: still a duplicate
    existing = person(world.worker_b, world.community_b, "已登记")
    rows = [row(1), ["重复", existing.id_number, "", A, "", "", "", ""]]
    job = run_import(world.worker_a, world.community_a, rows)
    assert job.status == JobStatus.FAILED
    _, problems = errors_of(job)
    assert [(p[0], p[1]) for p in problems] == [(3, "身份证号")]
    assert "already registered" in problems[0][3]
    assert existing.id_number not in problems[0][2]
    assert Person.objects.count() == 1


def test_duplicates_are_found_across_chunks_with_one_query_per_chunk(world, monkeypatch):
    importer = registry.get_importer("people")
    monkeypatch.setattr(importer, "chunk_size", 10)
    for seq in (3, 25):  # one in the first chunk of ten, one in the third
        people_services.create_person(actor=world.worker_a, jurisdiction=world.community_a,
                                      name="已有", id_number=valid_id(seq))
    job = run_import(world.worker_a, world.community_a, [row(i) for i in range(40)],
                     mode="good_rows")
    assert [p["row"] for p in job.errors_preview] == [5, 27]
    assert job.created_rows == 38


# --- scope ----------------------------------------------------------------------------------------

def test_community_outside_the_users_scope_is_rejected(world):
    rows = [row(1), row(2, community=B), row(3, community="乙社区"), row(4, community="370102001001")]
    job = run_import(world.worker_a, world.community_a, rows)
    assert job.status == JobStatus.FAILED
    _, problems = errors_of(job)
    assert [(p[0], p[1]) for p in problems] == [(3, "社区"), (4, "社区"), (5, "社区")]
    assert "where you may register people" in problems[0][3]
    assert Person.objects.count() == 0


def test_commander_imports_into_several_communities_but_must_name_them(world):
    rows = [row(1, community=A), row(2, community="乙社区"), row(3, community="")]
    job = run_import(world.commander, world.luoyuan, rows, mode="good_rows")
    assert job.created_rows == 2
    assert set(Person.objects.values_list("jurisdiction__name", flat=True)) == {"甲社区", "乙社区"}
    assert "not a single community" in job.errors_preview[0]["message"]


def test_cannot_start_an_import_into_a_jurisdiction_out_of_scope(world):
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_b, [row(1)])
    assert "jurisdiction" in exc.value.message_dict
    with pytest.raises(NotAllowed):  # a volunteer has no people.import at all
        run_import(world.volunteer, world.community_a, [row(1)])
    assert ImportJob.objects.count() == 0 and Person.objects.count() == 0


# --- bad files ------------------------------------------------------------------------------------

def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("content", [
    "姓名,身份证号\n王五,370103199005170019\n".encode(),  # a CSV
    b"just some text renamed to .xlsx",
    _zip({"readme.txt": "not a workbook"}),
    b"",
], ids=["csv", "text", "zip", "empty"])
def test_files_that_are_not_xlsx_are_refused_at_upload(world, content):
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_a, content=content)
    message = " ".join(exc.value.message_dict["file"])
    assert ".xlsx" in message or "empty" in message
    assert ImportJob.objects.count() == 0 and Person.objects.count() == 0


def test_old_xls_gets_its_own_advice(world):
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_a,
                   content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100)
    assert ".xls" in exc.value.message_dict["file"][0]


def test_broken_workbook_that_passes_the_quick_check_fails_the_job(world):
    content = _zip({"[Content_Types].xml": "<Types>spreadsheetml</Types>", "xl/workbook.xml": "<"})
    job = run_import(world.worker_a, world.community_a, content=content)
    assert job.status == JobStatus.FAILED
    assert "not an Excel .xlsx workbook" in job.message
    assert Person.objects.count() == 0


def test_too_large_file_is_refused_before_processing(world, settings):
    content = xlsx_bytes([row(1)])
    settings.MAX_UPLOAD_BYTES = len(content) - 1
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_a, content=content)
    assert "Split the ledger" in exc.value.message_dict["file"][0]
    assert ImportJob.objects.count() == 0


def test_too_many_rows_fails_with_a_clear_message(world, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_ROWS", 5)
    job = run_import(world.worker_a, world.community_a, [row(i) for i in range(6)])
    assert job.status == JobStatus.FAILED
    assert "more than 5 rows" in job.message and "split it" in job.message
    assert Person.objects.count() == 0


def test_row_limit_counts_filled_rows_not_the_sheet_size(world, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_ROWS", 5)
    job = run_import(world.worker_a, world.community_a, [row(1)] + [[None] * 8] * 30 + [row(2)])
    assert job.status == JobStatus.DONE and job.created_rows == 2
    job = run_import(world.worker_a, world.community_a,
                     [row(3)] + [[None] * 8] * 3 + [["x"]] * 6, mode="good_rows")
    assert job.status == JobStatus.FAILED and "more than 5 rows" in job.message


# --- atomicity -------------------------------------------------------------------------------------

def test_a_crash_half_way_through_writing_leaves_nothing(world, monkeypatch):
    importer = registry.get_importer("people")
    monkeypatch.setattr(importer, "chunk_size", 10)
    real = audit.BulkCreateAudit.save
    calls = []

    def crash_on_second_chunk(self):
        calls.append(len(self._rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(self)

    # The second chunk's people are in, their audit rows not: all of it must go.
    monkeypatch.setattr(audit.BulkCreateAudit, "save", crash_on_second_chunk)
    before = AuditEvent.objects.count()
    job = run_import(world.worker_a, world.community_a, [row(i) for i in range(30)])
    assert calls == [10, 10]
    assert job.status == JobStatus.FAILED and "nothing was imported" in job.message
    assert job.created_rows == 0
    assert Person.objects.count() == 0
    assert Person.tags.through.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_someone_registering_the_same_person_meanwhile_fails_cleanly(world, monkeypatch):
    existing = person(world.worker_a, world.community_a, "抢先")
    importer = registry.get_importer("people")
    monkeypatch.setattr(importer, "validate_chunk", lambda ctx, rows: [])  # the check "missed" it
    rows = [row(1), ["同一人", existing.id_number, "", A, "", "", "", ""]]
    job = run_import(world.worker_a, world.community_a, rows)
    assert job.status == JobStatus.FAILED and "someone else registered" in job.message
    assert Person.objects.count() == 1


# --- progress and efficiency -----------------------------------------------------------------------

def test_progress_is_reported_during_the_check(world, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 10)
    seen = []
    real_update = jobs.update

    def spy(job, **fields):
        if "processed_rows" in fields:
            seen.append(fields["processed_rows"])
        real_update(job, **fields)

    monkeypatch.setattr(jobs, "update", spy)
    job = run_import(world.worker_a, world.community_a, [row(i) for i in range(35)])
    assert seen == [0, 10, 20, 30, 35]
    job.refresh_from_db()
    assert job.processed_rows == job.total_rows == job.created_rows == 35
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at


def test_no_queries_per_row(world, tags):
    def queries(n, offset):
        rows = [row(offset + i, tags="独居老人" if i % 3 == 0 else "") for i in range(n)]
        content = xlsx_bytes(rows)
        with CaptureQueriesContext(connection) as ctx:
            job = run_import(world.worker_a, world.community_a, content=content)
        assert job.status == JobStatus.DONE, job.message
        return len(ctx.captured_queries)

    small, large = queries(20, 0), queries(200, 300)
    # A few queries per chunk of rows, and multi-row INSERTs (SQLite caps their size): ten times
    # the rows may add a few statements, never one per row.
    assert large - small < 180 / 20, (small, large)


def test_the_template_has_headers_and_imports_nobody_unchanged(world):
    importer = registry.get_importer("people")
    content = reports.template_workbook(importer)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Name", "ID number", "Phone"]
    with translation.override("zh-hans"):
        chinese = load_workbook(io.BytesIO(reports.template_workbook(importer))).worksheets[0]
    assert [c.value for c in chinese[1]][:4] == ["姓名", "身份证号", "手机号", "社区"]
    assert chinese["B2"].number_format == "@"  # ID numbers typed as text
    # Headers only: the example row is on the instructions sheet.
    assert all(c.value is None for row in sheet.iter_rows(min_row=2) for c in row)
    notes = load_workbook(io.BytesIO(content)).worksheets[1]
    assert "张三" in [c.value for row in notes.iter_rows() for c in row]
    job = run_import(world.worker_a, world.community_a, content=content)
    assert job.status == JobStatus.FAILED and job.created_rows == 0, job.message
    assert not Person.objects.exists()


def test_make_people_workbook_is_valid_and_distinct(world, tmp_path):
    from shoumen.people.bench.ledger_files import make_people_workbook

    path = tmp_path / "p.xlsx"
    make_people_workbook(path, 150, community=A, title_row=True)
    with path.open("rb") as fh:
        job = services.start_import(actor=world.worker_a, kind="people", mode="all_or_nothing",
                                    upload=SimpleUploadedFile("p.xlsx", fh.read()),
                                    jurisdiction=world.community_a)
    assert job.status == JobStatus.DONE and job.created_rows == 150, job.message


def test_elderly_residents_and_unknown_regions(world):
    # 370103 (市中区) exists since 1983; people born before hold it too.
    elderly = fake.id_number("370103", date(1938, 2, 1), 5)
    unknown = fake.id_number("370199", date(1990, 1, 1), 6)  # province known, county not
    rows = [["王奶奶", elderly, "", A, "", "", "", ""], ["某人", unknown, "", A, "", "", "", ""]]
    job = run_import(world.worker_a, world.community_a, rows, mode="good_rows")
    assert job.created_rows == 1 and Person.objects.get().birth_date == date(1938, 2, 1)
    assert job.errors_preview[0]["row"] == 3
    assert "region code 370199" in job.errors_preview[0]["message"]


def test_the_upload_is_deleted_once_processed(world, settings):
    for rows in ([row(1)], [row(2, phone="1")]):
        job = run_import(world.worker_a, world.community_a, rows)
        assert job.file.name == ""
    uploads = settings.MEDIA_ROOT / "ledgers" / "imports"
    assert not any(p.is_file() for p in uploads.rglob("*"))
    assert job.error_report  # the masked report stays


def test_pinyin_keys_are_those_of_set_name(world):
    names = ["曾伟", "单于长乐", "张三丰", "Tom", "王-小明", "欧阳娜娜", "吕"]
    rows = [row(i, name=name) for i, name in enumerate(names)]
    job = run_import(world.worker_a, world.community_a, rows)
    assert job.created_rows == len(names), job.message
    for imported in Person.objects.all():
        expected = Person()
        expected.set_name(imported.name)
        assert (imported.name_initials, imported.name_pinyin) == (expected.name_initials,
                                                                    expected.name_pinyin)
    assert Person.objects.get(name="曾伟").name_pinyin == "zengwei"


def test_benchmark_helper_times_the_import_beside_openpyxl(world, tmp_path):
    from shoumen.ledgers.benchmark import time_import
    from shoumen.people.bench.ledger_files import make_people_workbook

    path = tmp_path / "bench.xlsx"
    make_people_workbook(path, 80, community=A)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size" if connection.vendor == "sqlite" else "SELECT 1")
        before = cursor.fetchone()[0]
    result = time_import(path, user=world.worker_a, jurisdiction=world.community_a)
    assert result["status"] == "done" and result["rows"] == result["created"] == 80
    assert result["openpyxl_seconds"] > 0 and result["ratio"] > 0
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size" if connection.vendor == "sqlite" else "SELECT 1")
        assert cursor.fetchone()[0] == before  # the bigger import cache is given back


def test_the_import_writes_every_column_of_a_person():
    # A field added to Person must be given a value by the import (its COPY names columns).
    from shoumen.people.ledger import WRITE_FIELDS

    assert sorted(WRITE_FIELDS) == sorted(f.attname for f in Person._meta.concrete_fields)


# --- large files: read in a second process, numbers encrypted while waiting for it ----------------

@pytest.fixture
def read_in_child(monkeypatch, tmp_path):
    """Every upload counts as large (read by a forked process); returns the pids that opened
    the workbook."""
    import os

    monkeypatch.setattr(reading, "PARALLEL_READ_MIN_BYTES", 0)
    log = tmp_path / "openers"
    real_open = reading.open_sheet

    def open_sheet(job):
        with log.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real_open(job)

    monkeypatch.setattr(reading, "open_sheet", open_sheet)
    return lambda: [int(pid) for pid in log.read_text().split()] if log.exists() else []


def test_a_large_file_is_read_by_another_process_with_the_same_result(world, tags, read_in_child):
    import os

    rows = [row(i, name="张三丰" if i % 2 else "李四", tags="独居老人" if i == 3 else "")
            for i in range(900)]  # two batches from the reading process
    rows[7][1] = "370103199005171234"  # bad check digit
    job = run_import(world.worker_a, world.community_a, rows, mode="good_rows")
    assert read_in_child() and os.getpid() not in read_in_child()
    assert job.status == JobStatus.DONE, job.message
    assert (job.processed_rows, job.created_rows, job.error_rows) == (900, 899, 1)
    assert job.errors_preview[0]["row"] == 9
    p = Person.objects.get(id_number_index=pii.blind_index("id", valid_id(3)))
    assert p.id_number == valid_id(3) and p.phone == fake.mobile(3)
    assert p.name_pinyin == "zhangsanfeng" and [t.name for t in p.tags.all()] == ["独居老人"]
    assert AuditEvent.objects.filter(action=AuditAction.CREATE,
                                     content_type__model="person").count() == 899


def test_problems_with_a_large_file_are_reported_as_for_a_small_one(world, read_in_child,
                                                                      monkeypatch):
    broken = _zip({"[Content_Types].xml": "<Types>spreadsheetml</Types>", "xl/workbook.xml": "<"})
    job = run_import(world.worker_a, world.community_a, content=broken)
    assert job.status == JobStatus.FAILED and "not an Excel .xlsx workbook" in job.message
    job = run_import(world.worker_a, world.community_a, [row(1)], header=["姓名", "电话"])
    assert job.status == JobStatus.FAILED and "Required column missing" in job.message
    # The check stops early: the reading process is stopped, nothing is written.
    monkeypatch.setattr(jobs, "MAX_ROWS", 5)
    job = run_import(world.worker_a, world.community_a, [row(i) for i in range(2000)])
    assert job.status == JobStatus.FAILED and "more than 5 rows" in job.message
    assert Person.objects.count() == 0
    assert len(read_in_child()) == 3


def test_the_reading_process_failing_half_way_fails_the_job(world, read_in_child, monkeypatch):
    def broken_rows(*args, **kwargs):
        yield tuple(HEADER)
        yield tuple(row(1))
        raise ValueError("corrupt sheet XML")

    monkeypatch.setattr("openpyxl.worksheet._read_only.ReadOnlyWorksheet.iter_rows", broken_rows)
    job = run_import(world.worker_a, world.community_a, [row(i) for i in range(3)])
    assert job.status == JobStatus.FAILED and "unexpected error" in job.message
    assert Person.objects.count() == 0


def test_prepared_and_unprepared_rows_are_written_alike(world):
    """The people importer encrypts ahead of the write when it can (prepare); rows it did not
    reach are encrypted by the write: both store the same."""
    from shoumen.ledgers.registry import ImportContext

    importer = registry.get_importer("people")
    job = ImportJob(kind="people", jurisdiction=world.community_a, created_by=world.worker_a)
    ctx = ImportContext(job=job, user=world.worker_a)
    importer.begin(ctx)
    cells = [dict(zip(["name", "id_number", "phone", "community"], row(i)[:4], strict=True))
             for i in range(4)]
    records = [importer.validate_row(ctx, n + 2, c)[0] for n, c in enumerate(cells)]
    importer.prepare(ctx, records[:2])
    assert records[0].numbers and records[1].numbers and records[2].numbers is None
    job.save()
    with request_context.acting_as(world.worker_a):
        assert importer.write(ctx, records) == 4
    for i in range(4):
        p = Person.objects.get(id_number_index=pii.blind_index("id", valid_id(i)))
        assert (p.id_number, p.phone, p.id_number_masked, p.phone_masked) == (
            valid_id(i), fake.mobile(i), pii.mask_id_number(valid_id(i)),
            pii.mask_phone(fake.mobile(i)))
        assert p.phone_index == pii.blind_index("phone", fake.mobile(i))
        assert p.birth_date == date(1990, 5, 17) and p.gender == pii.gender_from_id(valid_id(i))


def test_many_numbers_left_to_encrypt_are_shared_with_a_helper_process(world, monkeypatch,
                                                                       tmp_path):
    import os
    import time

    from shoumen.people import ledger

    monkeypatch.setattr(ledger, "ENCRYPT_HELPER_MIN", 0)
    monkeypatch.setattr(ledger, "ENCRYPT_HELPER_BATCH", 10)
    main, log = os.getpid(), tmp_path / "encrypted-by"
    real = ledger._numbers

    def helper_has_started():
        return log.exists() and any(int(pid) != main for pid in log.read_text().split())

    def numbers(person, record):
        if os.getpid() == main:  # the write waits for the helper's first number, however slow
            deadline = time.monotonic() + 60
            while not helper_has_started() and time.monotonic() < deadline:
                time.sleep(0.01)
        with log.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(person, record)

    monkeypatch.setattr(ledger, "_numbers", numbers)
    job = run_import(world.worker_a, world.community_a, [row(i) for i in range(300)])
    assert job.status == JobStatus.DONE and job.created_rows == 300, job.message
    pids = {int(pid) for pid in log.read_text().split()}
    assert len(pids) == 2 and main in pids
    for i in (0, 150, 299):
        p = Person.objects.get(id_number_index=pii.blind_index("id", valid_id(i)))
        assert (p.id_number, p.phone, p.phone_masked) == (valid_id(i), fake.mobile(i),
                                                          pii.mask_phone(fake.mobile(i)))
