"""Checking uploaded files before anything parses them: the one gate every file passes.

Every app that takes a file from a user — the ledger import, the evidence store of the
inspections module (photos and documents), any later one — calls :func:`check_upload` on it
before storing or parsing it, and a background job that parses a stored file checks it again
(a file stored before a check existed, or stored by other means). There is no second upload
checker: a new kind of file gets its check here.

What is guaranteed, for a file that passes:

* its **type is its content's**: the first bytes (magic numbers) decide, never the file's name
  or the content type the client sent; a kind the caller did not allow is refused;
* its **size** is at most ``settings.MAX_UPLOAD_BYTES`` (or the caller's ``max_bytes``) and
  it is not empty;
* a **workbook** (.xlsx, a zip) is judged from its zip directory alone, without unpacking
  anything (:func:`check_xlsx`): at most ``UPLOAD_MAX_PARTS`` parts, no part unpacking to more
  than ``UPLOAD_MAX_PART_BYTES``, all of them together to no more than
  ``UPLOAD_MAX_UNCOMPRESSED_BYTES``, no sizeable part packed more than ``UPLOAD_MAX_RATIO``
  times, only the packing methods Excel uses, no zip password. A file whose directory would
  itself take much memory to read is refused before it is read. Before a workbook is parsed,
  :func:`scan_xlsx` unpacks its XML parts in small pieces — never keeping more than one piece,
  never unpacking more than a part's declared size, so a lying directory is caught — and
  refuses any text or markup longer than a cell can be (Excel's limit,
  :data:`EXCEL_MAX_CELL_CHARS`), and document type declarations (which OOXML forbids);
  the parser then never holds one huge string;
* a **photo** (JPEG, PNG, WebP) is opened lazily and its dimensions read from its header,
  before any pixel is decoded: more than ``UPLOAD_MAX_IMAGE_PIXELS`` pixels is refused, and
  Pillow's own decompression-bomb limit is set to the same figure (its warning is an error);
* a **PDF** starts with ``%PDF-`` and is within the size limit (it is stored, never parsed).

A refusal is a :class:`~django.core.exceptions.ValidationError` whose message, in the user's
language, says what is wrong and what to do; its ``code`` says which check refused. The file's
position is restored, so the caller can store it afterwards.
"""

from __future__ import annotations

import contextlib
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

# Excel's own limit on the characters of one cell.
EXCEL_MAX_CELL_CHARS = 32_767
# Excel's limit on a sheet's columns (XFD).
EXCEL_MAX_COLUMNS = 16_384
# The bytes one cell's text may take in XML: 32,767 characters of up to 4 bytes in UTF-8, or
# written as entities (&amp; is 5 bytes, Excel's _x000D_ 7): 8 bytes a character is generous.
# Any run of text or markup longer than this is no cell of a real workbook.
MAX_XML_RUN_BYTES = 8 * EXCEL_MAX_CELL_CHARS
# Parts smaller than this are not judged by their compression ratio (tiny XML parts can be
# packed tightly without meaning anything).
RATIO_MIN_BYTES = 1024 * 1024
# [Content_Types].xml is read at upload to tell a workbook from other Office files; a real
# one is a few kilobytes.
CONTENT_TYPES_MAX_BYTES = 1024 * 1024
# A real zip directory entry takes about 50–150 bytes; a directory declaring more than this
# per allowed part is refused before it is read.
DIRECTORY_BYTES_PER_PART = 256
# Unpacked bytes handled at a time by scan_xlsx.
SCAN_PIECE_BYTES = 1024 * 1024

XLSX, IMAGE, PDF = "xlsx", "image", "pdf"
ALL_KINDS = frozenset({XLSX, IMAGE, PDF})

_ZIP_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_XML_SUFFIXES = (".xml", ".rels")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^<>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')


# --- Sniffing ----------------------------------------------------------------------------------

def sniff(file) -> str | None:
    """What the content of ``file`` is, from its first bytes: "zip", "ole2", "png", "jpeg",
    "webp", "gif", "pdf", or None if none of these. The position is restored."""
    with _kept_position(file):
        file.seek(0)
        head = file.read(16)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


_SNIFFED_KIND = {"zip": XLSX, "ole2": XLSX, "png": IMAGE, "jpeg": IMAGE, "webp": IMAGE,
                 "pdf": PDF}


def _found_description(sniffed: str) -> str:
    return {
        "zip": _("a zip archive"), "ole2": _("an old-style Office file"),
        "png": _("a PNG image"), "jpeg": _("a JPEG image"), "webp": _("a WebP image"),
        "gif": _("a GIF image"), "pdf": _("a PDF document"),
    }[sniffed]


def _expected_description(kinds: Iterable[str]) -> str:
    names = {XLSX: _("an Excel .xlsx workbook"), IMAGE: _("a photo (JPEG, PNG or WebP)"),
             PDF: _("a PDF document")}
    return get_text_list([str(names[k]) for k in sorted(kinds)], _("or"))


# --- The one entry point -------------------------------------------------------------------

def check_upload(file, *, kinds: Iterable[str] = ALL_KINDS, max_bytes: int | None = None) -> str:
    """Check an uploaded ``file`` (any seekable binary file, e.g. Django's ``UploadedFile``)
    and return its kind ("xlsx", "image" or "pdf"); ValidationError if it is not one of
    ``kinds`` or fails that kind's checks (see the module's docstring)."""
    kinds = frozenset(kinds)
    if not kinds or not kinds <= ALL_KINDS:
        raise ValueError(f"kinds must be among {sorted(ALL_KINDS)}")
    size = _size(file)
    limit = max_bytes if max_bytes is not None else settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; files up to %(limit)s can be uploaded.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}, code="too_large")
    if size == 0:
        raise ValidationError(_("The file is empty; choose the right file and upload it again."),
                              code="empty")
    sniffed = sniff(file)
    kind = _SNIFFED_KIND.get(sniffed)
    if kind not in kinds:
        if kinds == {XLSX} and sniffed is None:
            raise ValidationError(not_xlsx_message(), code="not_xlsx")
        expected = _expected_description(kinds)
        if sniffed is None:
            message = _("The file is not %(expected)s, whatever its name says; choose the right "
                        "file and upload it again.") % {"expected": expected}
        else:
            message = _("The file is %(found)s, not %(expected)s, whatever its name says; "
                        "choose the right file and upload it again.") % {
                "found": _found_description(sniffed), "expected": expected}
        raise ValidationError(message, code="wrong_type")
    {XLSX: check_xlsx, IMAGE: check_image, PDF: check_pdf}[kind](file)
    return kind


# --- Workbooks -----------------------------------------------------------------------------

def not_xlsx_message() -> str:
    return _("The file is not an Excel .xlsx workbook; save it as .xlsx (Excel or WPS: File → "
             "Save As → Excel Workbook) and upload again.")


def old_xls_message() -> str:
    return _("This is an old-style .xls workbook or a password-protected one; open it in "
             "Excel or WPS, remove any password, save it as .xlsx and upload again.")


def _resave_advice() -> str:
    return _("Open it in Excel or WPS, save it as a new .xlsx file and upload that.")


def check_xlsx(file) -> None:
    """ValidationError unless ``file`` is a workbook whose zip directory is within the limits
    (see the module's docstring). Reads the directory and ``[Content_Types].xml`` (at most
    a megabyte) only, so it is cheap enough to run while the upload request is open."""
    with _kept_position(file), _workbook_archive(file) as archive:
        content_types = archive.getinfo("[Content_Types].xml")
        if content_types.file_size > CONTENT_TYPES_MAX_BYTES:
            raise ValidationError(not_xlsx_message(), code="not_xlsx")
        try:
            with archive.open(content_types) as handle:
                text = handle.read(CONTENT_TYPES_MAX_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError):
            raise ValidationError(not_xlsx_message(), code="not_xlsx") from None
    if b"spreadsheetml" not in text and b"ms-excel" not in text:
        raise ValidationError(not_xlsx_message(), code="not_xlsx")


@contextlib.contextmanager
def _workbook_archive(file) -> Iterator[zipfile.ZipFile]:
    """The workbook as a ZipFile whose directory passed every check; ValidationError else."""
    file.seek(0)
    head = file.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # OLE2: the old .xls format, or an .xlsx protected with a password.
        raise ValidationError(old_xls_message(), code="xls")
    if not head.startswith(b"PK"):
        raise ValidationError(not_xlsx_message(), code="not_xlsx")
    max_parts = settings.UPLOAD_MAX_PARTS
    declared = _declared_directory(file)
    if declared is not None:
        entries, directory_bytes = declared
        if entries > max_parts or directory_bytes > max_parts * DIRECTORY_BYTES_PER_PART:
            raise _too_many_parts(entries, max_parts)
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise ValidationError(not_xlsx_message(), code="not_xlsx") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > max_parts:
            raise _too_many_parts(len(infos), max_parts)
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise ValidationError(not_xlsx_message(), code="not_xlsx")
        _check_sizes(infos)
        yield archive


def _too_many_parts(count: int, limit: int) -> ValidationError:
    return ValidationError(
        _("The workbook is made of %(count)s parts, more than the %(limit)s allowed. %(advice)s")
        % {"count": f"{count:,}", "limit": f"{limit:,}", "advice": _resave_advice()},
        code="too_many_parts")


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    part_limit = settings.UPLOAD_MAX_PART_BYTES
    total_limit = settings.UPLOAD_MAX_UNCOMPRESSED_BYTES
    max_ratio = settings.UPLOAD_MAX_RATIO
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ValidationError(old_xls_message(), code="encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValidationError(
                _("The workbook is packed in a way Excel and WPS never use. %(advice)s")
                % {"advice": _resave_advice()}, code="packing")
        if info.file_size > part_limit:
            raise ValidationError(
                _("Part “%(part)s” of the workbook unpacks to %(size)s, more than the %(limit)s "
                  "allowed. Split the data into smaller files and upload them one at a time.")
                % {"part": info.filename[:80], "size": filesizeformat(info.file_size),
                   "limit": filesizeformat(part_limit)}, code="part_too_large")
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > max_ratio * max(
                info.compress_size, 1):
            raise ValidationError(
                _("Part “%(part)s” of the workbook unpacks from %(packed)s to %(size)s, "
                  "%(ratio)s times its size; real workbooks unpack to at most %(limit)s times. "
                  "The file was refused as a possible attack on the server. %(advice)s")
                % {"part": info.filename[:80], "packed": filesizeformat(info.compress_size),
                   "size": filesizeformat(info.file_size),
                   "ratio": f"{info.file_size / max(info.compress_size, 1):,.0f}",
                   "limit": max_ratio, "advice": _resave_advice()}, code="ratio")
        total += info.file_size
    if total > total_limit:
        raise ValidationError(
            _("The workbook unpacks to %(size)s, more than the %(limit)s allowed. Split the data "
              "into smaller files and upload them one at a time.")
            % {"size": filesizeformat(total), "limit": filesizeformat(total_limit)},
            code="too_large_unpacked")


def _declared_directory(file) -> tuple[int, int] | None:
    """(entries, bytes) the zip's end record declares for its directory, read from the last
    64 KB; None if there is no readable end record (zipfile then decides)."""
    size = _size(file)
    tail_size = min(size, _ZIP_EOCD.size + 0xFFFF)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _ZIP_EOCD.size:
        return None
    record = _ZIP_EOCD.unpack_from(tail, at)
    entries, directory_bytes = record[4], record[5]
    if entries != 0xFFFF and directory_bytes != 0xFFFFFFFF:
        return entries, directory_bytes
    # Zip64: the real figures are in the zip64 end record the locator points to.
    if at < _ZIP64_LOCATOR.size:
        return None
    locator = _ZIP64_LOCATOR.unpack_from(tail, at - _ZIP64_LOCATOR.size)
    if locator[0] != b"PK\x06\x07" or locator[2] > size:
        return None
    file.seek(locator[2])
    data = file.read(_ZIP64_EOCD.size)
    if len(data) < _ZIP64_EOCD.size or not data.startswith(b"PK\x06\x06"):
        return None
    record64 = _ZIP64_EOCD.unpack(data)
    return record64[7], record64[8]


def scan_xlsx(file) -> None:
    """:func:`check_xlsx`, then unpack every XML part in pieces of at most a megabyte and
    refuse (ValidationError) what would make a parser hold much memory: text or markup longer
    than a cell can be between two tags, a document type declaration, a part that unpacks to
    more (or other) than its directory entry says. Memory stays at about one piece whatever
    the file; time is a small fraction of openpyxl's (docs/benchmarks.md, issue 19)."""
    check_xlsx(file)
    with _kept_position(file):
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
        for info in infos:
            name = info.filename
            if not name.lower().endswith(_XML_SUFFIXES) or name.startswith("customXml/"):
                # Pictures, VML drawings, custom metadata: openpyxl's read-only mode never
                # reads them.
                continue
            _scan_xml(_unpacked(file, info), name, sheet=name.startswith("xl/worksheets/"))


def _damaged(part: str) -> ValidationError:
    return ValidationError(
        _("The workbook is damaged: its part “%(part)s” does not hold what the workbook's "
          "directory says. %(advice)s") % {"part": part[:80], "advice": _resave_advice()},
        code="damaged")


def _unpacked(file, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes in pieces of at most SCAN_PIECE_BYTES, unpacked here rather than by
    zipfile so that no more than the declared size is ever produced (zipfile may unpack up to
    1 GB in one step before it cuts the data at the declared size), and its checksum checked."""
    file.seek(info.header_offset)
    header = file.read(_ZIP_LOCAL_HEADER.size)
    if len(header) < _ZIP_LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise _damaged(info.filename)
    fields = _ZIP_LOCAL_HEADER.unpack(header)
    file.seek(info.header_offset + _ZIP_LOCAL_HEADER.size + fields[10] + fields[11])
    deflated = info.compress_type == zipfile.ZIP_DEFLATED
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    packed_left = info.compress_size
    pending = b""
    unpacked = 0
    crc = 0
    while True:
        if not deflated:
            if packed_left <= 0:
                break
            piece = file.read(min(packed_left, SCAN_PIECE_BYTES))
            if not piece:
                raise _damaged(info.filename)
            packed_left -= len(piece)
        else:
            if not pending:
                if inflater.eof or packed_left <= 0:
                    break
                pending = file.read(min(packed_left, 64 * 1024))
                if not pending:
                    raise _damaged(info.filename)
                packed_left -= len(pending)
            try:
                piece = inflater.decompress(pending, SCAN_PIECE_BYTES)
            except zlib.error:
                raise _damaged(info.filename) from None
            pending = b"" if inflater.eof else inflater.unconsumed_tail
        if piece:
            unpacked += len(piece)
            if unpacked > info.file_size:  # a lying directory: never unpack past its figure
                raise _damaged(info.filename)
            crc = zlib.crc32(piece, crc)
            yield piece
    if (deflated and not inflater.eof) or unpacked != info.file_size or crc != info.CRC:
        raise _damaged(info.filename)


def _scan_xml(pieces: Iterable[bytes], part: str, *, sheet: bool) -> None:
    """Refuse a run longer than MAX_XML_RUN_BYTES after an element tag, and any <!DOCTYPE or
    <!ENTITY. Comments, CDATA sections and processing instructions count in the run around
    them: a parser joins the text on either side into one string."""
    limit = MAX_XML_RUN_BYTES
    offset = 0  # where data[0] is in the part
    last_tag = -1  # where the last '<' opening an element (or end) tag is in the part
    closing: bytes | None = None  # inside a comment, CDATA section or PI: what ends it
    carry = b""  # bytes to decide with the next piece
    context = b""  # the bytes before last_tag, to name the cell of a long run
    for piece in pieces:
        data = carry + piece
        carry = b""
        i, end = 0, len(data)
        while i < end:
            if closing is not None:
                found = data.find(closing, i)
                if found < 0:
                    keep = min(len(closing) - 1, end - i)
                    carry, end = data[end - keep:], end - keep
                    break
                i, closing = found + len(closing), None
                continue
            special = _next_special(data, i)
            if special < 0:
                if data.endswith(b"<"):  # perhaps "<!" across two pieces
                    carry, end = b"<", end - 1
                last_tag, context = _check_runs(data, i, end, offset, last_tag, context,
                                                part, sheet)
                break
            last_tag, context = _check_runs(data, i, special, offset, last_tag, context,
                                            part, sheet)
            if end - special < 9:  # too few bytes to tell what it is: wait for the next piece
                carry, end = data[special:], special
                break
            if data.startswith(b"<!--", special):
                closing, i = b"-->", special + 4
            elif data.startswith(b"<![CDATA[", special):
                closing, i = b"]]>", special + 9
            elif data.startswith(b"<?", special):
                closing, i = b"?>", special + 2
            else:  # <!DOCTYPE, <!ENTITY: OOXML forbids them (entity expansion bombs)
                raise ValidationError(
                    _("The workbook holds XML that Excel and WPS never write (a document type "
                      "declaration in “%(part)s”). %(advice)s")
                    % {"part": part[:80], "advice": _resave_advice()}, code="xml")
        offset += end
        if offset - last_tag - 1 > limit:
            raise _too_long(part, sheet, context)


def _next_special(data: bytes, start: int) -> int:
    """Where the next "<!" or "<?" is in data from start, or -1."""
    bang, question = data.find(b"<!", start), data.find(b"<?", start)
    if bang < 0 or question < 0:
        return max(bang, question)
    return min(bang, question)


def _check_runs(data: bytes, start: int, stop: int, offset: int, last_tag: int, context: bytes,
                part: str, sheet: bool) -> tuple[int, bytes]:
    """Check the runs between tags in data[start:stop] (which holds no comment, CDATA or PI)
    and return the new (last_tag, context). Fast on any file: a run longer than the limit
    holds a whole block of half the limit without '<', so only blocks are searched, each
    once, and a run is measured exactly only where a block has no '<'."""
    limit = MAX_XML_RUN_BYTES
    first = data.find(b"<", start, stop)
    if first < 0:
        if offset + stop - last_tag - 1 > limit:
            raise _too_long(part, sheet, context)
        return last_tag, context
    if offset + first - last_tag - 1 > limit:
        raise _too_long(part, sheet, context)
    block = limit // 2
    position = first
    while position + block <= stop:
        if data.find(b"<", position, position + block) >= 0:
            position += block
            continue
        before = data.rfind(b"<", start, position)
        after = data.find(b"<", position + block, stop)
        if after < 0:
            break  # the run goes on past stop: measured from last_tag later
        if after - before - 1 > limit:
            raise _too_long(part, sheet, data[max(0, before - 4096):before + 1])
        position = after
    last = data.rfind(b"<", start, stop)
    return offset + last, data[max(0, last - 4096):last + 1]


def _too_long(part: str, sheet: bool, context: bytes) -> ValidationError:
    cells = _CELL_REF.findall(context) if sheet else []
    if cells:
        column, row = cells[-1]
        message = _("Row %(row)s, column %(column)s holds more than %(max)s characters; a cell "
                    "can hold at most %(max)s (Excel's own limit). Shorten it and upload the "
                    "file again.") % {"row": int(row), "column": column.decode(),
                                      "max": f"{EXCEL_MAX_CELL_CHARS:,}"}
    else:
        message = _("A cell of the workbook holds more than %(max)s characters; a cell can hold "
                    "at most %(max)s (Excel's own limit). Shorten it and upload the file again.") \
            % {"max": f"{EXCEL_MAX_CELL_CHARS:,}"}
    return ValidationError(message, code="cell_too_long")


# --- Photos and documents ------------------------------------------------------------------

def check_image(file) -> None:
    """ValidationError unless ``file`` is a JPEG, PNG or WebP image of at most
    ``settings.UPLOAD_MAX_IMAGE_PIXELS`` pixels, judged from its header before decoding."""
    from PIL import Image, UnidentifiedImageError

    limit = settings.UPLOAD_MAX_IMAGE_PIXELS
    # Pillow's own decompression-bomb check, in Image.open, uses the same limit; every later
    # decode in this process (re-encoding evidence, thumbnails) obeys it too. Its warning
    # (over the limit) is refused below with the image's size; its error (over twice the
    # limit) comes before the size is known.
    Image.MAX_IMAGE_PIXELS = limit
    with _kept_position(file), warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        file.seek(0)
        try:
            with Image.open(file, formats=("JPEG", "PNG", "WEBP")) as image:
                width, height = image.size  # from the header: no pixel decoded yet
                if width * height > limit:
                    raise _image_too_large(width, height, limit)
                image.verify()  # structure and checksums, without decoding the pixels
        except Image.DecompressionBombError:
            raise _image_too_large(None, None, limit) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                struct.error):
            raise ValidationError(_("The image cannot be read; it may be damaged. Take or "
                                    "export the photo again and upload it."),
                                  code="image_damaged") from None


def _image_too_large(width: int | None, height: int | None, limit: int) -> ValidationError:
    megapixels = f"{limit / 1_000_000:,.0f}"
    if width is None:
        message = _("The image has more than %(limit)s megapixels; send a smaller photo (a "
                    "phone's normal setting is fine).") % {"limit": megapixels}
    else:
        message = _("The image is %(width)s × %(height)s pixels, more than %(limit)s "
                    "megapixels; send a smaller photo (a phone's normal setting is fine).") % {
            "width": f"{width:,}", "height": f"{height:,}", "limit": megapixels}
    return ValidationError(message, code="image_too_large")


def check_pdf(file) -> None:
    """ValidationError unless ``file`` starts as a PDF does. PDFs are stored and offered for
    download, never parsed here; the size limit is :func:`check_upload`'s."""
    with _kept_position(file):
        file.seek(0)
        head = file.read(5)
    if head != b"%PDF-":
        raise ValidationError(
            _("The file is not %(expected)s, whatever its name says; choose the right file and "
              "upload it again.") % {"expected": _expected_description({PDF})},
            code="wrong_type")


# --- Helpers -------------------------------------------------------------------------------

def _size(file) -> int:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    with _kept_position(file):
        return file.seek(0, 2)


@contextlib.contextmanager
def _kept_position(file):
    start = file.tell() if hasattr(file, "tell") else 0
    try:
        yield
    finally:
        file.seek(start)
