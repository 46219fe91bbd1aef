"""The one upload checker (shoumen.core.uploads): workbook bombs, lying zip directories, cells
longer than Excel allows, photos that decode to gigabytes, files whose name lies about their
type; refused at upload on the page and the API, and again by the import job; and the memory
an import takes, whatever the file.

Bombs are built here, streamed through zipfile so that the test never holds them unpacked:
a few hundred megabytes of repeated bytes pack into a few hundred kilobytes.
"""

import io
import random
import struct
import time
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from PIL import Image

from shoumen.core import uploads
from shoumen.core.models import AuditAction, AuditEvent
from shoumen.ledgers import importing, reading
from shoumen.ledgers.benchmark import SST_HEAD, excel_workbook, import_memory, openpyxl_memory
from shoumen.ledgers.models import ImportJob, JobStatus
from shoumen.people.models import Person
from tests.test_ledgers_api import api, post_import
from tests.test_ledgers_import import HEADER, row, run_import, upload, xlsx_bytes

MB = 1024 * 1024
# The most one import may add to the machine's memory, whatever the file: the task worker's
# growth plus that of its reading process (tests/…: measured in a fresh forked process). The
# issue's 2 MB workbook bomb took 7.6 GB + 4.2 GB before these checks; a real 100,000-row
# ledger takes far less (docs/benchmarks.md, issue 19).
IMPORT_MEMORY_BOUND_MB = 512
# "Refused within seconds": the checks read the zip directory (milliseconds) or unpack at most
# a megabyte of the offending part; an unchecked bomb took about a minute to fail.
REFUSAL_SECONDS = 5


pytestmark = pytest.mark.usefixtures("media_root", "english")


# --- building files ------------------------------------------------------------------------

def rebuilt(content: bytes, part: str, write, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """``content`` (an .xlsx) with ``part`` replaced by what ``write(handle)`` writes, streamed
    into the archive (force_zip64: the part may be larger than 2 GB declared)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for info in source.infolist():
            if info.filename != part:
                archive.writestr(info.filename, source.read(info.filename))
        with archive.open(part, "w", force_zip64=True) as handle:
            write(handle)
    return out.getvalue()


def repeated(head: bytes, size: int, tail: bytes, byte: bytes = b"A"):
    """A writer of head, ``size`` times ``byte`` (in 1 MB pieces) and tail."""
    def write(handle):
        handle.write(head)
        piece = byte * MB
        for _ in range(size // MB):
            handle.write(piece)
        handle.write(byte * (size % MB))
        handle.write(tail)
    return write


def shared_strings_bomb(size: int) -> bytes:
    """A people ledger whose shared strings table holds one string of ``size`` bytes, used by
    its one cell: the issue's bomb (there, 2 GB in a 2 MB file)."""
    return excel_workbook([["姓名"]], shared_strings=repeated(
        SST_HEAD + b"<si><t>", size, b"</t></si></sst>"))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """300 MB of one shared string in a file of about 300 KB, made once for the module."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    path.write_bytes(shared_strings_bomb(300 * MB))
    return path


def with_text(content: bytes, part: str, placeholder: str, text: str) -> bytes:
    """``content`` with ``placeholder`` in ``part`` replaced by ``text`` (openpyxl itself cuts
    what it writes at 32,767 characters, so longer cells are made by editing the XML)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                assert placeholder.encode() in data
                data = data.replace(placeholder.encode(), text.encode())
            archive.writestr(info.filename, data)
    return out.getvalue()


def ledger_with_cell(column: int, text: str, *, extra_header=None) -> bytes:
    """A two-row people ledger whose second row has ``text`` in column index ``column``."""
    header = HEADER + ([extra_header] if extra_header else [])
    values = row(1) + ([""] if extra_header else [])
    values[column] = text
    return excel_workbook([header, values])


def text_of(length: int) -> str:
    """Chinese text that packs as loosely as real text does (not a bomb)."""
    rng = random.Random(length)
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(length))


def png(width=4, height=3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header says width × height (the pixels never follow)."""
    data = bytearray(png())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:ihdr + 17])))
    return bytes(data)


def nothing_imported():
    return (Person.objects.count() == 0
            and not AuditEvent.objects.filter(action=AuditAction.IMPORT).exists())


def stored_job(world, content: bytes) -> ImportJob:
    """An import job for a file stored without the upload check (as before the check
    existed), processed by the background task."""
    job = ImportJob(kind="people", mode="good_rows", jurisdiction=world.community_a,
                    created_by=world.worker_a, original_name="old.xlsx")
    job.file.save("old.xlsx", ContentFile(content), save=False)
    job.save()
    importing.process_import(job.pk)
    job.refresh_from_db()
    return job


# --- the bomb: refused at upload, on the page, the API and in the job ---------------

def test_the_workbook_bomb_is_refused_at_upload_within_seconds(world, bomb):
    content = bomb.read_bytes()
    assert len(content) < 2 * MB  # the 50 MB upload limit lets it through
    start = time.perf_counter()
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_a, content=content)
    assert time.perf_counter() - start < REFUSAL_SECONDS
    message = exc.value.message_dict["file"][0]
    assert message == ("Part “xl/sharedStrings.xml” of the workbook unpacks to 300.0\xa0MB, more "
                       "than the 128.0\xa0MB allowed. Split the data into smaller files and "
                       "upload them one at a time.")
    assert ImportJob.objects.count() == 0 and nothing_imported()


def test_the_api_answers_400_with_the_message(world, bomb):
    r = post_import(api(world.worker_a), world, content=bomb.read_bytes())
    assert r.status_code == 400
    assert "unpacks to 300.0\xa0MB, more than the 128.0\xa0MB allowed" in r.json()["file"][0]
    assert ImportJob.objects.count() == 0 and nothing_imported()


def test_the_page_shows_the_message_on_the_form(world, login, bomb):
    r = login(world.worker_a).post(reverse("ledgers:import", kwargs={"kind": "people"}), {
        "file": upload(bomb.read_bytes()), "mode": "all_or_nothing",
        "jurisdiction": world.community_a.pk})
    assert r.status_code == 200
    assert "unpacks to 300.0\xa0MB, more than the 128.0\xa0MB allowed" in r.content.decode()
    assert ImportJob.objects.count() == 0 and nothing_imported()


def test_a_bomb_stored_before_the_checks_fails_its_job_at_once(world, bomb):
    start = time.perf_counter()
    job = stored_job(world, bomb.read_bytes())
    assert time.perf_counter() - start < REFUSAL_SECONDS
    assert job.status == JobStatus.FAILED and job.created_rows == 0
    # In the uploader's language (the job's, zh-hans here): the part and its size, named.
    assert "“xl/sharedStrings.xml”" in job.message and "300.0\xa0MB" in job.message
    assert nothing_imported() and not job.file  # the upload is discarded as usual


# --- the directory's other limits ---------------------------------------------------------

def test_a_part_packed_too_tightly_is_refused(world):
    content = rebuilt(xlsx_bytes([row(1)]), "xl/worksheets/sheet2.xml",
                      repeated(b"<worksheet>", 20 * MB, b"</worksheet>"))
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_a, content=content)
    message = exc.value.message_dict["file"][0]
    assert message.startswith("Part “xl/worksheets/sheet2.xml” of the workbook unpacks from ")
    assert "to 20.0\xa0MB" in message and "real workbooks unpack to at most 100 times" in message
    assert "refused as a possible attack" in message
    assert ImportJob.objects.count() == 0


def test_the_total_unpacked_size_is_limited(world, settings):
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = MB
    parts = {f"xl/media/image{i}.png": bytes(range(256)) * 1500 for i in range(3)}  # 384 KB each
    content = xlsx_bytes([row(1)])
    for name, data in parts.items():
        content = rebuilt(content, name, lambda handle, data=data: handle.write(data),
                          compression=zipfile.ZIP_STORED)
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_a, content=content)
    assert exc.value.message_dict["file"][0].startswith(
        "The workbook unpacks to 1.1\xa0MB, more than the 1.0\xa0MB allowed.")


def test_too_many_parts_are_refused_before_the_directory_is_read(world, settings, monkeypatch):
    settings.UPLOAD_MAX_PARTS = 40
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([row(1)])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        for i in range(60 - len(source.infolist())):
            archive.writestr(f"xl/media/{i}.bin", b"x")
    read = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents",
                        lambda self: read.append(1) or pytest.fail("directory read"))
    with pytest.raises(ValidationError) as exc:
        run_import(world.worker_a, world.community_a, content=buffer.getvalue())
    assert exc.value.message_dict["file"][0] == (
        "The workbook is made of 60 parts, more than the 40 allowed. Open it in Excel or WPS, "
        "save it as a new .xlsx file and upload that.")
    assert not read and ImportJob.objects.count() == 0


@pytest.mark.parametrize(("content", "expected"), [
    (b"PK\x03\x04 this is no zip at all, only its first bytes", "not an Excel .xlsx workbook"),
    (png(), "The file is a PNG image, not an Excel .xlsx workbook, whatever its name says"),
    (b"%PDF-1.7\n%...", "The file is a PDF document, not an Excel .xlsx workbook"),
], ids=["broken-zip", "png-named-xlsx", "pdf-named-xlsx"])
def test_the_content_decides_not_the_name(world, content, expected):
    r = post_import(api(world.worker_a), world, content=content)  # named 人员台账.xlsx
    assert r.status_code == 400 and expected in r.json()["file"][0]
    assert ImportJob.objects.count() == 0


def test_a_zip_packed_as_excel_never_does_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_LZMA) as archive:
        for info in zipfile.ZipFile(io.BytesIO(xlsx_bytes([row(1)]))).infolist():
            archive.writestr(info.filename, b"<x/>")
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(io.BytesIO(buffer.getvalue()), kinds={"xlsx"})
    assert exc.value.code == "packing" and "Excel and WPS never use" in exc.value.messages[0]


# --- what only unpacking shows: in the job, before openpyxl --------------------------------

def lying_directory(content: bytes, part: str, declared: int) -> bytes:
    """``content`` with ``part``'s sizes in the local header and the directory changed to
    ``declared`` (the data unpacks to its real size)."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(part)
    assert info.file_size < 0xFFFFFFFF  # not zip64
    struct.pack_into("<L", data, info.header_offset + 22, declared)
    name = part.encode()
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<L", data, entry + 24, declared)
    return bytes(data)


def test_a_directory_that_lies_about_a_size_fails_the_job_without_unpacking_it(world):
    big = rebuilt(xlsx_bytes([row(1)]), "xl/sharedStrings.xml",
                  repeated(SST_HEAD + b"<si><t>", 60 * MB, b"</t></si></sst>"))
    big = zipfile.ZipFile(io.BytesIO(big))
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as archive:  # no zip64 extras
        for info in big.infolist():
            with big.open(info) as source, archive.open(info.filename, "w") as target:
                while piece := source.read(MB):
                    target.write(piece)
    content = lying_directory(plain.getvalue(), "xl/sharedStrings.xml", 1000)
    uploads.check_upload(io.BytesIO(content), kinds={"xlsx"})  # the directory looks harmless
    start = time.perf_counter()
    job = run_import(world.worker_a, world.community_a, content=content)
    assert time.perf_counter() - start < REFUSAL_SECONDS
    assert job.status == JobStatus.FAILED
    assert job.message == ("The workbook is damaged: its part “xl/sharedStrings.xml” does not hold "
                           "what the workbook's directory says. Open it in Excel or WPS, save it "
                           "as a new .xlsx file and upload that.")
    assert nothing_imported()


def test_a_huge_inline_cell_is_refused_by_row_and_column_before_openpyxl(world, monkeypatch):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员台账")
    sheet.append(HEADER)
    values = row(1)
    values[4] = "PLACEHOLDER"
    sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = with_text(buffer.getvalue(), "xl/worksheets/sheet1.xml", "PLACEHOLDER",
                        text_of(400_000))  # 1.2 MB: a run no cell can be
    monkeypatch.setattr(reading, "load_workbook",
                        lambda *a, **k: pytest.fail("openpyxl must not see this file"))
    job = run_import(world.worker_a, world.community_a, content=content)
    assert job.status == JobStatus.FAILED
    assert job.message == ("Row 2, column E holds more than 32,767 characters; a cell can hold at "
                           "most 32,767 (Excel's own limit). Shorten it and upload the file again.")
    assert nothing_imported()


def test_a_document_type_declaration_is_refused(world):
    content = with_text(excel_workbook([HEADER, row(1)]), "xl/sharedStrings.xml", "<sst ",
                        '<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]><sst ')
    job = run_import(world.worker_a, world.community_a, content=content)
    assert job.status == JobStatus.FAILED
    assert "XML that Excel and WPS never write (a document type declaration in " \
           "“xl/sharedStrings.xml”)" in job.message
    assert nothing_imported()


def scan(text: bytes, *, pieces: int = 1, sheet=True) -> None:
    size = -(-len(text) // pieces)
    uploads._scan_xml([text[i:i + size] for i in range(0, len(text), size)], "xl/worksheets/"
                      "sheet1.xml", sheet=sheet)


@pytest.mark.parametrize("pieces", [1, 3, 7, 1000])
def test_the_scan_measures_runs_across_pieces_comments_and_cdata(pieces):
    limit = uploads.MAX_XML_RUN_BYTES
    cell = b'<c r="C7" t="inlineStr"><is><t>'
    # A run is counted from a tag's "<" to the next tag's: here "t>" and the text.
    scan(b"<?xml?><x>" + cell + b"a" * (limit - 2) + b"</t></is></c></x>", pieces=pieces)
    scan(b"<x><!-- a short comment --><![CDATA[<ok>]]></x>", pieces=pieces)
    for text in [
        cell + b"a" * (limit + 1) + b"</t>",
        # Text on both sides of comments, CDATA and PIs is one string to the parser.
        cell + (b"a" * 1000 + b"<!--<-->") * (limit // 1000) + b"</t>",
        cell + (b"a" * 1000 + b"<![CDATA[<<]]>") * (limit // 1000) + b"</t>",
        cell + b"<?pi " + b"<" * (limit + 10) + b"?></t>",
    ]:
        with pytest.raises(ValidationError) as exc:
            scan(text, pieces=pieces)
        assert exc.value.messages[0].startswith("Row 7, column C holds more than 32,767")
    with pytest.raises(ValidationError) as exc:
        scan(b"<x>" + b"a" * (limit + 1), pieces=pieces, sheet=False)
    assert exc.value.messages[0].startswith("A cell of the workbook holds more than 32,767")


# --- cells longer than Excel allows, while the rows stream --------------------------------

@pytest.mark.parametrize("mode", ["all_or_nothing", "good_rows"])
def test_a_cell_of_32768_characters_fails_the_import_naming_it(world, mode):
    content = ledger_with_cell(4, "x" * 32_768)
    job = run_import(world.worker_a, world.community_a, content=content, mode=mode)
    assert job.status == JobStatus.FAILED and job.created_rows == 0
    assert job.message == ("Row 2, column E (地址) holds 32,768 characters; a cell can hold at "
                           "most 32,767 (Excel's own limit). Nothing was imported: shorten the "
                           "cell and upload the file again.")
    assert nothing_imported()


def test_a_long_cell_is_found_by_the_reading_process_too(world, monkeypatch):
    monkeypatch.setattr(reading, "PARALLEL_READ_MIN_BYTES", 0)
    rows = [row(i) for i in range(1200)]  # past the first batches of the reading process
    rows[1100][7] = "标" * 40_000
    content = excel_workbook([HEADER, *rows])
    job = run_import(world.worker_a, world.community_a, content=content, mode="good_rows")
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("Row 1102, column H (标签) holds 40,000 characters")
    assert nothing_imported()


def test_a_cell_of_exactly_32767_characters_is_accepted(world):
    content = ledger_with_cell(8, "x" * 32_767, extra_header="备注")  # a column nobody reads
    job = run_import(world.worker_a, world.community_a, content=content)
    assert job.status == JobStatus.DONE, job.message
    assert job.created_rows == 1 and Person.objects.count() == 1


# --- photos and documents -------------------------------------------------------------------

def test_photos_pass_and_say_what_they_are(settings):
    for fmt in ("PNG", "JPEG", "WEBP"):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), "blue").save(buffer, fmt)
        buffer.seek(5)
        assert uploads.check_upload(buffer, kinds={"image"}) == "image"
        assert buffer.tell() == 5  # the caller can store the file afterwards
    assert Image.MAX_IMAGE_PIXELS == settings.UPLOAD_MAX_IMAGE_PIXELS


def test_an_image_bomb_is_refused_from_its_header():
    content = png_declaring(50_000, 50_000)
    assert len(content) < 200
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(SimpleUploadedFile("photo.jpg", content), kinds={"image", "pdf"})
    assert exc.value.code == "image_too_large"
    assert exc.value.messages[0] == ("The image has more than 50 megapixels; send a smaller photo "
                                     "(a phone's normal setting is fine).")


def test_an_image_over_the_limit_is_refused_with_its_size(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1_000_000  # Pillow warns (not errs) up to twice that
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(io.BytesIO(png_declaring(1200, 1000)), kinds={"image"})
    assert exc.value.messages[0] == ("The image is 1,200 × 1,000 pixels, more than 1 megapixels; "
                                     "send a smaller photo (a phone's normal setting is fine).")


def test_a_damaged_image_is_refused():
    content = bytearray(png())
    idat = content.index(b"IDAT")
    (length,) = struct.unpack(">I", content[idat - 4:idat])
    content[idat + 4 + length] ^= 0xFF  # the image data's checksum
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(io.BytesIO(bytes(content)), kinds={"image"})
    assert exc.value.code == "image_damaged" and "cannot be read" in exc.value.messages[0]


def test_pdfs_by_their_magic_and_size():
    assert uploads.check_upload(io.BytesIO(b"%PDF-1.7\n..."), kinds={"pdf"}) == "pdf"
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(SimpleUploadedFile("report.pdf", b"<html>not a pdf</html>"),
                             kinds={"pdf"})
    assert exc.value.messages[0] == ("The file is not a PDF document, whatever its name says; "
                                     "choose the right file and upload it again.")
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(io.BytesIO(b"%PDF-" + b"x" * 2000), kinds={"pdf"}, max_bytes=1000)
    assert exc.value.code == "too_large" and exc.value.messages[0] == (
        "The file is 2.0\xa0KB; files up to 1000\xa0bytes can be uploaded.")
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(io.BytesIO(png()), kinds={"pdf", "xlsx"})
    assert exc.value.messages[0].startswith(
        "The file is a PNG image, not a PDF document or an Excel .xlsx workbook")
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(io.BytesIO(b""), kinds={"pdf"})
    assert exc.value.code == "empty"


# --- memory: any import stays under the bound --------------------------------------------------

def test_the_memory_of_an_import_is_bounded_whatever_the_file(world, bomb, tmp_path,
                                                                monkeypatch):
    from shoumen.people.bench.ledger_files import make_people_workbook

    monkeypatch.setattr(reading, "PARALLEL_READ_MIN_BYTES", 0)  # read as a large upload is
    user, node = world.worker_a, world.community_a
    refused = import_memory(bomb, user=user, jurisdiction=node)
    assert refused["status"] == JobStatus.FAILED and "300.0\xa0MB" in refused["message"]
    assert refused["seconds"] < REFUSAL_SECONDS
    assert refused["total_mb"] < IMPORT_MEMORY_BOUND_MB

    path = tmp_path / "ledger.xlsx"
    make_people_workbook(path, 3000, community=node.code)
    imported = import_memory(path, user=user, jurisdiction=node)
    assert imported["status"] == JobStatus.DONE and imported["created"] == 3000, imported
    assert imported["helpers_mb"] > 0  # the reading process was measured too
    assert imported["total_mb"] < IMPORT_MEMORY_BOUND_MB, imported
    assert openpyxl_memory(path)["rows"] == 3001


def test_a_workbook_that_needs_too_much_memory_to_read_is_refused(world, settings, monkeypatch):
    monkeypatch.setattr(reading, "PARALLEL_READ_MIN_BYTES", 0)
    settings.IMPORT_READ_MAX_MEMORY_BYTES = 16 * MB

    def many_strings(handle):  # 400,000 distinct short strings: 9 MB of XML, ~30 MB read
        handle.write(SST_HEAD)
        for start in range(0, 400_000, 10_000):
            handle.write(b"".join(b"<si><t>%07d</t></si>" % i
                                  for i in range(start, start + 10_000)))
        handle.write(b"</sst>")

    content = excel_workbook([HEADER, row(1)], shared_strings=many_strings)
    job = run_import(world.worker_a, world.community_a, content=content)
    assert job.status == JobStatus.FAILED
    assert job.message == ("Reading the workbook would take more than 16.0\xa0MB of memory, far "
                           "more than a ledger of 100,000 rows needs; it was refused and nothing "
                           "was imported. Open it in Excel or WPS, save it as a new .xlsx file "
                           "and upload that.")
    assert nothing_imported()
