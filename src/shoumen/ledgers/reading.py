"""Reading an uploaded workbook: open it safely, stream its rows, find the header row.

Rows come as tuples of cell values, numbered as Excel numbers them. A large upload is parsed in
a forked child process (:func:`sheet_rows`) whose memory is capped; a cell longer than Excel
allows or a header row that cannot be found stops the import with :class:`.jobs.LedgerFileError`.
"""

import contextlib
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from shoumen.core import uploads

from . import jobs
from .forking import can_fork, forked_child
from .jobs import LedgerFileError
from .models import ImportJob
from .registry import Importer, normalize_header
from .xlsx import long_cell, not_xlsx_message

logger = logging.getLogger(__name__)

# Uploads from this size on (about 5,000 rows of the people ledger) are read by a second
# process while this one checks the rows (see sheet_rows).
PARALLEL_READ_MIN_BYTES = 256 * 1024
READ_BATCH = 500  # rows per message from the reading process
HEADER_SEARCH_ROWS = 10


def open_sheet(job: ImportJob):
    """(workbook, first worksheet) of the job's file; LedgerFileError if it cannot be read."""
    try:
        size = job.file.size
    except OSError:
        raise LedgerFileError(_("The uploaded file is missing; upload it again.")) from None
    if size > settings.MAX_UPLOAD_BYTES:
        raise LedgerFileError(_("The file is %(size)s; files up to %(limit)s can be imported.")
                              % {"size": filesizeformat(size),
                                 "limit": filesizeformat(settings.MAX_UPLOAD_BYTES)})
    handle = job.file.storage.open(job.file.name, "rb")
    try:
        # Again here (the file may have been stored before a check existed), and deeper: the
        # XML is unpacked in pieces first so that openpyxl never meets a cell or string that
        # would take much memory (openpyxl holds all shared strings from the start).
        uploads.scan_xlsx(handle)
    except ValidationError as exc:
        handle.close()
        raise LedgerFileError(" ".join(exc.messages)) from None
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except MemoryError:
        handle.close()
        raise  # the reading process's limit (_read_in_child), not a broken file
    except Exception:  # noqa: BLE001 - any parse failure means "not a workbook we can read"
        handle.close()
        logger.info("import job %s: workbook could not be opened", job.pk, exc_info=True)
        raise LedgerFileError(not_xlsx_message()) from None
    if not workbook.worksheets:
        workbook.close()
        handle.close()
        raise LedgerFileError(_("The workbook has no worksheet; put the ledger on the first "
                                "sheet and upload again."))
    workbook._shoumen_handle = handle
    return workbook, workbook.worksheets[0]


def close_workbook(workbook) -> None:
    workbook.close()
    handle = getattr(workbook, "_shoumen_handle", None)
    if handle is not None:
        handle.close()


class SheetRows:
    """The rows of the job's sheet (``rows``, tuples of values), its recorded size (``size``,
    None if the file does not say) and, when a second process reads the file, ``idle``: set it
    to a function that does some useful work and says whether it did any, and it is called
    whenever the next rows are not there yet."""

    def __init__(self, size: int | None, rows: Iterator[tuple] | None = None):
        self.size = size
        self.rows = rows
        self.idle: Callable[[], bool] | None = None


@contextlib.contextmanager
def sheet_rows(job: ImportJob):
    """A :class:`SheetRows` of the job's file; LedgerFileError if it cannot be read.

    openpyxl takes as long to parse a sheet as checking its rows takes, so a large upload is
    read in a forked child process that streams the rows here in batches while this process
    checks them: on two cores the check pass then lasts about as long as the parse alone. The
    child only reads the file (it never touches the database connection it inherits) and is
    killed if the check stops early.
    """
    if not _read_in_parallel(job):
        workbook, sheet = open_sheet(job)
        try:
            yield SheetRows(sheet.max_row, sheet.iter_rows(values_only=True))
        finally:
            close_workbook(workbook)
        return
    with forked_child(_read_in_child, job, name=f"ledger-import-{job.pk}-reader") as receiver:
        kind, payload = _receive(receiver)
        if kind == "file_error":
            raise LedgerFileError(payload)
        source = SheetRows(payload)
        source.rows = _received_rows(receiver, source)
        yield source


def _read_in_parallel(job: ImportJob) -> bool:
    if not can_fork():
        return False
    try:
        return job.file.size >= PARALLEL_READ_MIN_BYTES
    except (OSError, ValueError):
        return False  # open_sheet says what is wrong


def _read_in_child(sender, job: ImportJob) -> None:
    """The reading process: sends ("size", max_row), then ("rows", [tuples]) batches and
    ("end", None); or ("file_error", message) / ("error", traceback), also after rows.

    It may grow by at most ``settings.IMPORT_READ_MAX_MEMORY_BYTES``: a workbook that needs
    more is refused (with the checks of :func:`uploads.scan_xlsx`, no real ledger comes near).
    """
    _limit_memory(settings.IMPORT_READ_MAX_MEMORY_BYTES)
    try:
        workbook, sheet = open_sheet(job)
    except LedgerFileError as exc:
        sender.send(("file_error", str(exc)))
        return
    except MemoryError:
        sender.send(("file_error", _needs_too_much_memory_message()))
        return
    except Exception:  # noqa: BLE001 - reported to the parent, which fails the job
        sender.send(("error", traceback.format_exc()))
        return
    try:
        sender.send(("size", sheet.max_row))
        batch = []
        for values in sheet.iter_rows(values_only=True):
            batch.append(values)
            if len(batch) >= READ_BATCH:
                sender.send(("rows", batch))
                batch = []
        sender.send(("rows", batch))
        sender.send(("end", None))
    except MemoryError:
        batch = None
        sender.send(("file_error", _needs_too_much_memory_message()))
    except Exception:  # noqa: BLE001
        sender.send(("error", traceback.format_exc()))
    finally:
        close_workbook(workbook)


def _limit_memory(extra: int) -> None:
    """Let this process (a forked reader) grow by at most ``extra`` bytes; past that an
    allocation fails with MemoryError instead of taking the machine's memory. Linux counts
    every private mapping in RLIMIT_DATA; where it cannot be read or set, nothing changes."""
    try:
        import resource

        with open("/proc/self/status") as status:
            used = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmData:"))
        _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = used + extra if hard == resource.RLIM_INFINITY else min(used + extra, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, OSError, StopIteration, ValueError):
        logger.info("could not limit the memory of the reading process", exc_info=True)


def _needs_too_much_memory_message() -> str:
    return _("Reading the workbook would take more than %(limit)s of memory, far more than a "
             "ledger of %(max)s rows needs; it was refused and nothing was imported. Open it in "
             "Excel or WPS, save it as a new .xlsx file and upload that.") % {
        "limit": filesizeformat(settings.IMPORT_READ_MAX_MEMORY_BYTES), "max": f"{jobs.MAX_ROWS:,}"}


def _receive(receiver) -> tuple[str, Any]:
    try:
        kind, payload = receiver.recv()
    except EOFError:
        raise RuntimeError("the process reading the workbook ended unexpectedly") from None
    if kind == "error":
        raise RuntimeError(f"reading the workbook failed:\n{payload}")
    return kind, payload


def _received_rows(receiver, source: SheetRows) -> Iterator[tuple]:
    while True:
        if source.idle is not None:
            while not receiver.poll() and source.idle():
                pass
        kind, payload = _receive(receiver)
        if kind == "end":
            return
        if kind == "file_error":
            raise LedgerFileError(payload)
        yield from payload


def refusing_long_cells(rows: Iterator[tuple], column_names: dict[int, str]) -> Iterator[tuple]:
    """``rows``, numbered as Excel numbers them (from 1); LedgerFileError at the first cell
    longer than Excel allows (no real workbook has one: the file was made to harm), naming it
    by row and column (its header in ``column_names`` once the header row is known)."""
    for row_no, values in enumerate(rows, start=1):
        index = long_cell(values)
        if index is not None:
            letter = get_column_letter(index + 1)
            name = column_names.get(index)
            raise LedgerFileError(
                _("Row %(row)d, column %(column)s holds %(length)s characters; a cell can hold "
                  "at most %(max)s (Excel's own limit). Nothing was imported: shorten the cell "
                  "and upload the file again.")
                % {"row": row_no, "column": f"{letter} ({name})" if name else letter,
                   "length": f"{len(values[index]):,}",
                   "max": f"{uploads.EXCEL_MAX_CELL_CHARS:,}"})
        yield values


def read_header(rows: Iterator[tuple], importer: Importer) -> tuple[int, dict[str, int],
                                                                       dict[str, str]]:
    """Find the header row among the first rows (ledgers often carry a title above it).

    Returns (its row number, column index by column key, header text by key as the file
    spells it). LedgerFileError if there is none, a column is doubled or required ones are
    missing.
    """
    lookup = {name: column for column in importer.columns for name in column.matches()}
    for row_no, values in enumerate(rows, start=1):
        found: dict[str, int] = {}
        texts: dict[str, str] = {}
        for index, value in enumerate(values):
            column = lookup.get(normalize_header(value))
            if column is None:
                continue
            if column.key in found:
                raise LedgerFileError(
                    _("The column “%(header)s” appears twice (columns %(first)s and %(second)s); "
                      "keep one and upload again.")
                    % {"header": column.bilingual,
                       "first": get_column_letter(found[column.key] + 1),
                       "second": get_column_letter(index + 1)})
            found[column.key] = index
            texts[column.key] = str(value).strip()
        if found:
            missing = [c.bilingual for c in importer.columns if c.required and c.key not in found]
            if missing:
                raise LedgerFileError(
                    _("Required column missing: %(columns)s. Add a column with this header to "
                      "row %(row)d (see the template) and upload again.")
                    % {"columns": ", ".join(missing), "row": row_no})
            return row_no, found, texts
        if row_no >= HEADER_SEARCH_ROWS:
            break
    required = ", ".join(c.bilingual for c in importer.columns if c.required)
    raise LedgerFileError(
        _("No header row found. The first row must name the columns, at least: %(columns)s. "
          "Download the template to see the expected headers.") % {"columns": required})
