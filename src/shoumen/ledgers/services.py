"""Importing and exporting Excel ledgers (台账): the generic pipeline.

Views and the API call :func:`start_import` / :func:`start_export`; they check the request,
create the job and queue the background task, which runs :func:`process_import` /
:func:`process_export`. What a ledger holds comes from its definition in the registry
(:mod:`shoumen.ledgers.registry`).

Guarantees of an import:

* nothing is written until every row has been read and checked (the checking pass runs outside
  any write transaction and reports progress as it goes);
* all writes happen in ONE transaction, so a crash or a clash half-way leaves nothing behind;
* ``all_or_nothing`` writes nothing if any row has a problem; ``good_rows`` writes exactly the
  rows without problems; every problem is in the downloadable error report with the row as
  Excel numbers it, the column header, the value (ID numbers masked) and how to fix it;
* every created object gets its own audit row and the import one more (``AuditAction.IMPORT``).

Speed: a large upload is parsed by openpyxl in a forked child process while this one checks
the rows it streams (:func:`_sheet_rows`); an importer may use the moments it waits for rows
(:meth:`~shoumen.ledgers.registry.Importer.prepare`) and :func:`forked_child` for its own work;
writes go through :mod:`shoumen.core.bulk` (COPY on PostgreSQL).

Guarantees of an export: it holds only rows the user may export under the same filters as the
list page, personal numbers are masked, and it is audited (``AuditAction.EXPORT``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from shoumen.core import audit, authz, request_context, uploads
from shoumen.core.models import AuditAction
from shoumen.core.scoping import scope_for
from shoumen.core.services import service

from . import registry
from .models import ExportJob, ImportJob, ImportMode, JobStatus
from .registry import CellError, ImportContext, Importer, normalize_header
from .xlsx import header_cells, long_cell, not_xlsx_message, save_to_bytes, text_cells

logger = logging.getLogger(__name__)

# Rows of one file. An import keeps every checked row until its one all-or-nothing write:
# 100,000 rows of the people ledger take 313 MB, 200,000 took 610 MB (docs/benchmarks.md,
# issue 19), over the 512 MB an import may use. Bigger ledgers come as several files.
MAX_ROWS = 100_000
PROGRESS_EVERY = 1000
# Uploads from this size on (about 5,000 rows of the people ledger) are read by a second
# process while this one checks the rows (see _sheet_rows).
PARALLEL_READ_MIN_BYTES = 256 * 1024
READ_BATCH = 500  # rows per message from the reading process
PIPE_BYTES = 1 << 20
PREPARE_BATCH = 25  # records prepared at a time while waiting for the reading process
PREVIEW_ERRORS = 100
HEADER_SEARCH_ROWS = 10


class LedgerFileError(Exception):
    """The uploaded file cannot be imported at all; the message says why and what to do."""


# --- Starting jobs (in the request) --------------------------------------------------------

def check_upload(upload) -> None:
    """Raise ValidationError unless ``upload`` is a non-empty .xlsx within the size limit and
    the limits of :mod:`shoumen.core.uploads` (what it unpacks to, how tightly it is packed).

    Cheap checks only (size, zip directory): they run before anything is stored, so a wrong
    file — a workbook bomb too — is refused at once with a message saying what to do.
    """
    size = getattr(upload, "size", None) or 0
    limit = settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; files up to %(limit)s can be imported. Split the ledger "
              "into smaller files and upload them one at a time.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty; choose the filled-in ledger and upload "
                                "again."), code="empty")
    uploads.check_upload(upload, kinds={uploads.XLSX})


def body_too_large(request) -> str | None:
    """The message for a request body (multipart upload) over the limit, judged from its
    Content-Length before anything is read; None if it is within the limit."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.MAX_UPLOAD_BYTES
    # The multipart envelope adds a little around the file itself.
    if length > limit + 64 * 1024:
        return _("The file is %(size)s; files up to %(limit)s can be imported. Split the ledger "
                 "into smaller files and upload them one at a time.") % {
            "size": filesizeformat(length), "limit": filesizeformat(limit)}
    return None


def importable_nodes(user, importer: Importer):
    """Jurisdictions ``user`` may import ``importer``'s ledger into."""
    from shoumen.geo.models import Node

    return Node.objects.visible_to(user, importer.capability)


@service(atomic=False)  # the job is committed before its task is queued
def start_import(*, actor, kind: str, upload, mode: str, jurisdiction) -> ImportJob:
    """Store the upload as a new :class:`ImportJob` and queue its processing.

    Raises ValidationError (by field) for an unknown kind or mode, a jurisdiction the actor may
    not import into, or a file that is not an .xlsx within the size limit; nothing is stored
    then.
    """
    try:
        importer = registry.get_importer(kind)
    except LookupError:
        raise ValidationError({"kind": _("There is no ledger import called “%(kind)s”.")
                               % {"kind": kind}}) from None
    if mode not in ImportMode.values:
        raise ValidationError({"mode": _("Choose how to import: all or nothing, or the correct "
                                         "rows only.")})
    authz.authorize(actor, ImportJob, importer.capability)
    if jurisdiction is None:
        raise ValidationError({"jurisdiction": _("Choose the jurisdiction to import into.")})
    authz.authorize(actor, jurisdiction, importer.capability,
                    _("You may not import this ledger into %(node)s; choose one of your own "
                      "jurisdictions.") % {"node": jurisdiction}, field="jurisdiction")
    try:
        check_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    job = ImportJob(
        kind=kind, mode=mode, jurisdiction=jurisdiction, created_by=actor,
        original_name=os.path.basename(upload.name or "upload.xlsx")[:255],
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    upload.seek(0)
    job.file.save(f"{uuid.uuid4().hex}.xlsx", upload, save=False)
    job.save()
    _enqueue(job, "import")
    job.refresh_from_db()
    return job


def exportable(user, exporter) -> bool:
    return authz.holds(user, exporter.capability)


def filters_from(params) -> QueryDict:
    """A QueryDict from a QueryDict, a dict of lists or a dict of single values."""
    if isinstance(params, QueryDict):
        return params
    result = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        result.setlist(key, [str(v) for v in values if v is not None])
    return result


@service(atomic=False)  # the job is committed before its task is queued
def start_export(*, actor, kind: str, params) -> ExportJob:
    """Create an :class:`ExportJob` for ``kind`` with the list page's filters and queue it.

    Raises NotAllowed if the actor may not export this ledger, ValidationError for an
    unknown kind or filters that are not valid (the export would otherwise ignore them and
    contain more than asked for).
    """
    try:
        exporter = registry.get_exporter(kind)
    except LookupError:
        raise ValidationError({"kind": _("There is no ledger export called “%(kind)s”.")
                               % {"kind": kind}}) from None
    authz.authorize(actor, ExportJob, exporter.capability)
    params = filters_from(params)
    exporter.queryset(actor, params)  # validates the filters
    filters = {k: v for k, v in params.lists() if k not in {"page", "csrfmiddlewaretoken"}}
    job = ExportJob.objects.create(
        kind=kind, filters=filters, created_by=actor,
        filters_text=exporter.describe_filters(filters_from(filters))[:500],
        jurisdiction=_home_node(actor, exporter.capability),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    _enqueue(job, "export")
    job.refresh_from_db()
    return job


def _home_node(user, capability):
    """The one node where ``user`` holds ``capability``, if there is exactly one."""
    from shoumen.geo.models import Node

    paths = scope_for(user).paths(capability)
    return Node.objects.filter(path=paths[0]).first() if len(paths) == 1 else None


def _enqueue(job, direction: str) -> None:
    from . import tasks

    task = tasks.import_ledger if direction == "import" else tasks.export_ledger
    result = task.enqueue(job.pk)
    type(job).objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


# --- Job bookkeeping ------------------------------------------------------------------------

def _update(job, **fields) -> None:
    """Write progress fields at once, in their own tiny statement (never inside the import's
    write transaction, so progress is visible while it runs)."""
    for key, value in fields.items():
        setattr(job, key, value)
    type(job).objects.filter(pk=job.pk).update(**fields)


def _finish(job, status: str, message: str, **fields) -> None:
    _update(job, status=status, message=message, finished_at=timezone.now(), **fields)


# --- Reading the workbook -------------------------------------------------------------------

def _open_sheet(job: ImportJob):
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


def _close(workbook) -> None:
    workbook.close()
    handle = getattr(workbook, "_shoumen_handle", None)
    if handle is not None:
        handle.close()


class _SheetRows:
    """The rows of the job's sheet (``rows``, tuples of values), its recorded size (``size``,
    None if the file does not say) and, when a second process reads the file, ``idle``: set it
    to a function that does some useful work and says whether it did any, and it is called
    whenever the next rows are not there yet."""

    def __init__(self, size: int | None, rows: Iterator[tuple] | None = None):
        self.size = size
        self.rows = rows
        self.idle: Callable[[], bool] | None = None


@contextlib.contextmanager
def _sheet_rows(job: ImportJob):
    """A :class:`_SheetRows` of the job's file; LedgerFileError if it cannot be read.

    openpyxl takes as long to parse a sheet as checking its rows takes, so a large upload is
    read in a forked child process that streams the rows here in batches while this process
    checks them: on two cores the check pass then lasts about as long as the parse alone. The
    child only reads the file (it never touches the database connection it inherits) and is
    killed if the check stops early.
    """
    if not _read_in_parallel(job):
        workbook, sheet = _open_sheet(job)
        try:
            yield _SheetRows(sheet.max_row, sheet.iter_rows(values_only=True))
        finally:
            _close(workbook)
        return
    with forked_child(_read_in_child, job, name=f"ledger-import-{job.pk}-reader") as receiver:
        kind, payload = _receive(receiver)
        if kind == "file_error":
            raise LedgerFileError(payload)
        source = _SheetRows(payload)
        source.rows = _received_rows(receiver, source)
        yield source


def _read_in_parallel(job: ImportJob) -> bool:
    if not can_fork():
        return False
    try:
        return job.file.size >= PARALLEL_READ_MIN_BYTES
    except (OSError, ValueError):
        return False  # _open_sheet says what is wrong


def can_fork() -> bool:
    """Whether :func:`forked_child` can run here (POSIX, and not inside a daemonic process,
    which may not have children)."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


@contextlib.contextmanager
def forked_child(target: Callable, *args, name: str = "ledger-worker"):
    """Run ``target(sender, *args)`` in a forked process; yield the receiving end of its pipe.

    For CPU work beside this process on another core (an import reads the file, or encrypts,
    there). The child shares this process's memory as it was at the fork, so it needs no
    arguments pickled, but it must never use the database connection it inherits. Signals
    get their default handlers in the child (an inherited graceful-shutdown handler must not
    keep it alive); on leaving the block the child is killed if still running.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Linux: a 1 MB pipe instead of 64 KB lets the child run further ahead of this process.
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(sender.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    child = context.Process(target=_child_main, args=(target, sender, *args), daemon=True,
                            name=name)
    child.start()
    sender.close()
    try:
        yield receiver
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()


def _child_main(target, sender, *args) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    target(sender, *args)


def _read_in_child(sender, job: ImportJob) -> None:
    """The reading process: sends ("size", max_row), then ("rows", [tuples]) batches and
    ("end", None); or ("file_error", message) / ("error", traceback), also after rows.

    It may grow by at most ``settings.IMPORT_READ_MAX_MEMORY_BYTES``: a workbook that needs
    more is refused (with the checks of :func:`uploads.scan_xlsx`, no real ledger comes near).
    """
    _limit_memory(settings.IMPORT_READ_MAX_MEMORY_BYTES)
    try:
        workbook, sheet = _open_sheet(job)
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
        _close(workbook)


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
        "limit": filesizeformat(settings.IMPORT_READ_MAX_MEMORY_BYTES), "max": f"{MAX_ROWS:,}"}


def _receive(receiver) -> tuple[str, Any]:
    try:
        kind, payload = receiver.recv()
    except EOFError:
        raise RuntimeError("the process reading the workbook ended unexpectedly") from None
    if kind == "error":
        raise RuntimeError(f"reading the workbook failed:\n{payload}")
    return kind, payload


def _received_rows(receiver, source: _SheetRows) -> Iterator[tuple]:
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


def _refusing_long_cells(rows: Iterator[tuple], column_names: dict[int, str]) -> Iterator[tuple]:
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


def _read_header(rows: Iterator[tuple], importer: Importer) -> tuple[int, dict[str, int],
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


def _too_many_rows_message() -> str:
    return _("The sheet has more than %(max)s rows; split it into several files of at most "
             "%(max)s rows and upload them one at a time.") % {"max": f"{MAX_ROWS:,}"}


# --- The import -----------------------------------------------------------------------------

def process_import(job_id: int) -> None:
    """Run one import job to the end (the background task calls this). Never raises for bad
    input: the job ends ``done`` or ``failed`` with a message saying what happened."""
    job = ImportJob.objects.select_related("jurisdiction", "created_by").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return  # already handled (a retried task)
    with translation.override(job.language), request_context.acting_as(job.created_by):
        _update(job, status=JobStatus.RUNNING, started_at=timezone.now(), message="")
        try:
            _run_import(job)
        except LedgerFileError as exc:
            _finish(job, JobStatus.FAILED, str(exc))
        except IntegrityError:
            logger.warning("import job %s: integrity error while writing", job.pk, exc_info=True)
            _finish(job, JobStatus.FAILED,
                    _("While the file was being imported, someone else registered one of the "
                      "same records; nothing was imported. Upload the file again: the rows "
                      "that now exist will be listed as problems."), created_rows=0)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            _finish(job, JobStatus.FAILED,
                    _("The import stopped because of an unexpected error; nothing was imported. "
                      "Try again; if it happens again, send the file to your administrator."),
                    created_rows=0)
        finally:
            _discard_upload(job)


def _discard_upload(job: ImportJob) -> None:
    """Delete the uploaded workbook once it has been processed: it holds full ID and phone
    numbers in plain text, which the registry keeps only encrypted. The error report (masked)
    and the job's counts remain."""
    name = job.file.name
    if not name:
        return
    try:
        job.file.storage.delete(name)
    except OSError:
        logger.warning("import job %s: could not delete the upload %s", job.pk, name,
                       exc_info=True)
        return
    _update(job, file="")


def _run_import(job: ImportJob) -> None:
    try:
        importer = registry.get_importer(job.kind)
    except LookupError:
        raise LedgerFileError(_("This kind of ledger can no longer be imported.")) from None
    user = job.created_by
    if user is None or not importable_nodes(user, importer).filter(pk=job.jurisdiction_id).exists():
        raise LedgerFileError(_("You may no longer import into %(node)s.")
                              % {"node": job.jurisdiction})
    with _gc_paused():
        _check_and_write(job, importer, ImportContext(job=job, user=user))


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector while an import holds 100,000s of new objects.

    Each full collection walks every live object, and a large import triggers many of them:
    with the collector running, writing 100,000 people took about 30% longer. Reference
    counting still frees everything as usual; the collector resumes (and runs) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


def _check_and_write(job: ImportJob, importer: Importer, ctx: ImportContext) -> None:
    with _sheet_rows(job) as source:
        records, errors, bad_rows, count = _check_rows(job, importer, ctx, source)

    errors.sort(key=lambda e: (e.row, _column_order(importer, e.column)))
    headers = ctx.data.get("_headers", {})
    fields: dict[str, Any] = {
        "error_count": len(errors), "error_rows": len(bad_rows),
        "errors_preview": [_error_dict(e, headers) for e in errors[:PREVIEW_ERRORS]],
    }
    if errors:
        report = _error_report(errors, headers)
        job.error_report.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(report), save=False)
        fields["error_report"] = job.error_report.name
    _update(job, **fields)

    if errors and job.mode == ImportMode.ALL_OR_NOTHING:
        _finish(job, JobStatus.FAILED,
                _("Found %(problems)d problem(s) in %(rows)d of %(total)d rows, so nothing was "
                  "imported. Fix them (see the error report) and upload the whole file again.")
                % {"problems": len(errors), "rows": len(bad_rows), "total": count})
        return
    if not records:
        _finish(job, JobStatus.FAILED,
                _("None of the %(total)d rows could be imported; see the error report.")
                % {"total": count})
        return

    _update(job, message=_("Writing %(n)d rows…") % {"n": len(records)})
    with _large_write_cache(), transaction.atomic():
        created = importer.write(ctx, records)
        audit.record(
            AuditAction.IMPORT, job, jurisdiction=job.jurisdiction,
            note=(f"{job.kind}: {created} created from “{job.original_name}” ({job.mode}); "
                  f"{len(bad_rows)} rows rejected; job {job.pk}"),
        )
    if bad_rows:
        message = _("Imported %(created)d of %(total)d rows. %(bad)d row(s) had problems and were "
                    "skipped; fix them from the error report and upload only those rows again.") % {
            "created": created, "total": count, "bad": len(bad_rows)}
    else:
        message = _("Imported all %(created)d rows.") % {"created": created}
    _finish(job, JobStatus.DONE, message, created_rows=created)


@contextlib.contextmanager
def _large_write_cache(kib: int = 64 * 1024):
    """On SQLite, a bigger page cache while one transaction inserts 100,000 rows.

    The default 2 MB cannot hold the indexes being filled (blind indexes are random keys), so
    SQLite spills and re-reads pages: 100,000 people took half as long again. The previous
    size is restored afterwards; PostgreSQL needs nothing here.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _check_rows(job, importer: Importer, ctx: ImportContext, source: _SheetRows):
    """The checking pass: every row validated, nothing written. Returns
    (good records, problems, set of bad row numbers, number of data rows)."""
    column_names: dict[int, str] = {}
    rows = _refusing_long_cells(source.rows, column_names)
    header_row, columns, headers = _read_header(rows, importer)
    column_names.update({index: headers[key] for key, index in columns.items()})
    ctx.data["_headers"] = headers
    # The sheet's recorded size is only an estimate for the progress bar (blank and formatted
    # rows count in it); the row limit is enforced on the rows actually read.
    estimate = min(max((source.size or 0) - header_row, 0), MAX_ROWS)
    _update(job, total_rows=estimate, processed_rows=0)
    importer.begin(ctx)

    positions = list(columns.items())
    width = max(columns.values()) + 1
    records: list[Any] = []
    errors: list[CellError] = []
    bad_rows: set[int] = set()
    pending: list[tuple[int, Any]] = []
    chunk = importer.chunk_size
    count = 0

    prepared = 0

    def prepare_some() -> bool:
        """While the next rows are being read: the importer's work ahead of the write on good
        records (on the people ledger: encrypting their numbers)."""
        nonlocal prepared
        if prepared >= len(records):
            return False
        batch = records[prepared:prepared + PREPARE_BATCH]
        importer.prepare(ctx, batch)
        prepared += len(batch)
        return True

    if type(importer).prepare is not Importer.prepare:
        source.idle = prepare_some

    def flush():
        problems = importer.validate_chunk(ctx, pending)
        if problems:
            errors.extend(problems)
            rejected = {p.row for p in problems}
            bad_rows.update(rejected)
            records.extend(r for row, r in pending if row not in rejected)
        else:
            records.extend(r for _, r in pending)
        pending.clear()

    for row_no, values in enumerate(rows, start=header_row + 1):
        if len(values) < width:
            values = tuple(values) + (None,) * (width - len(values))
        cells = {key: values[index] for key, index in positions}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue  # blank rows (and rows holding only e.g. a pre-filled serial number)
        count += 1
        if count > MAX_ROWS:
            raise LedgerFileError(_too_many_rows_message())
        record, problems = importer.validate_row(ctx, row_no, cells)
        if problems:
            errors.extend(problems)
            bad_rows.add(row_no)
        else:
            pending.append((row_no, record))
            if len(pending) >= chunk:
                flush()
        if count % PROGRESS_EVERY == 0:
            # Without a recorded size the total is unknown until the end (0: "unknown").
            _update(job, processed_rows=count, total_rows=max(estimate, count) if estimate else 0)
    if pending:
        flush()
    if count == 0:
        raise LedgerFileError(_("The sheet has a header row but no data below it; fill in the "
                                "ledger under the header and upload again."))
    _update(job, processed_rows=count, total_rows=count)
    return records, errors, bad_rows, count


def _column_order(importer: Importer, key: str) -> int:
    for index, column in enumerate(importer.columns):
        if column.key == key:
            return index
    return len(importer.columns)


def _error_dict(error: CellError, headers: dict[str, str]) -> dict:
    return {"row": error.row, "column": headers.get(error.column, error.column),
            "value": error.value, "message": error.message}


def _error_report(errors: list[CellError], headers: dict[str, str]) -> bytes:
    """The downloadable list of problems: row, column, value (masked), what to do."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Problems"))
    for letter, width in zip("ABCD", (8, 16, 24, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.append(header_cells(sheet, [_("Row"), _("Column"), _("Value"), _("Problem")]))
    for error in errors:
        sheet.append(text_cells(sheet, [error.row, headers.get(error.column, error.column),
                                         error.value, error.message]))
    return save_to_bytes(workbook)


# --- The template -------------------------------------------------------------------------

def template_workbook(importer: Importer) -> bytes:
    """An empty ledger with the expected headers, and a sheet explaining the columns with an
    example row."""
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(importer.label)[:31]
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE2E1")
    for index, column in enumerate(importer.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header())
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            # Typed as text so that Excel keeps every digit of an 18-digit number.
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(_("Instructions"))
    notes.append([_("Column"), _("Also accepted"), _("Required"), _("What to enter")])
    for cell in notes[1]:
        cell.font = bold
    for column in importer.columns:
        notes.append([column.header(), " / ".join([column.zh, column.en, *column.aliases]),
                      _("yes") if column.required else "", str(column.help)])
    for letter, width in zip("ABCD", (14, 40, 8, 90), strict=True):
        notes.column_dimensions[letter].width = width
    notes.append([])
    notes.append([_("Only the first sheet is read; fill it from row 2. At most %(max)s rows per "
                    "file.") % {"max": f"{MAX_ROWS:,}"}])
    # The example lives here, not on the first sheet, so an unchanged template imports nobody.
    notes.append([])
    notes.append([_("Example")])
    notes.append([column.header() for column in importer.columns])
    for example in importer.example_rows():
        notes.append(list(example))
    return save_to_bytes(workbook)


# --- The export -----------------------------------------------------------------------------

def process_export(job_id: int) -> None:
    """Run one export job to the end (the background task calls this)."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return
    with translation.override(job.language), request_context.acting_as(job.created_by):
        _update(job, status=JobStatus.RUNNING, started_at=timezone.now(), message="")
        try:
            _run_export(job)
        except (ValidationError, authz.NotAllowed, LookupError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else ""
            _finish(job, JobStatus.FAILED,
                    _("The export could not run: %(why)s") % {
                        "why": message or _("you may no longer export this list.")})
        except Exception:
            logger.exception("export job %s failed", job.pk)
            _finish(job, JobStatus.FAILED,
                    _("The export stopped because of an unexpected error. Try again; if it "
                      "happens again, tell your administrator."))


def _run_export(job: ExportJob) -> None:
    exporter = registry.get_exporter(job.kind)
    user = job.created_by
    if user is None or not exportable(user, exporter):
        raise authz.NotAllowed(_("you may no longer export this list."))
    queryset = exporter.queryset(user, filters_from(job.filters))
    total = queryset.count()
    _update(job, total_rows=total, processed_rows=0)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(exporter.label)[:31])
    for index, column in enumerate(exporter.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append(header_cells(sheet, [c.header() for c in exporter.columns]))
    count = 0
    for values in exporter.rows(queryset):
        sheet.append(text_cells(sheet, values))
        count += 1
        if count % PROGRESS_EVERY == 0:
            _update(job, processed_rows=count, total_rows=max(total, count))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        job.result.save(f"{uuid.uuid4().hex}.xlsx", File(handle), save=False)
    _update(job, result=job.result.name)
    audit.record(AuditAction.EXPORT, job, jurisdiction=job.jurisdiction,
                 note=f"{job.kind}: {count} rows; filters: {job.filters_text or '-'}; job {job.pk}")
    _finish(job, JobStatus.DONE, _("Exported %(n)d rows.") % {"n": count},
            processed_rows=count, total_rows=count)


def download_name(job) -> str:
    """File name offered to the browser, e.g. ``people_20200218_1530.xlsx``."""
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d_%H%M")
    if isinstance(job, ImportJob):
        return f"{job.kind}_errors_{stamp}.xlsx"
    return f"{job.kind}_{stamp}.xlsx"
