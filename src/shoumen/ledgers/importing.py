"""Running one import job to the end (the background task calls :func:`process_import`).

Guarantees of an import:

* nothing is written until every row has been read and checked (the checking pass runs outside
  any write transaction and reports progress as it goes);
* all writes happen in ONE transaction, so a crash or a clash half-way leaves nothing behind;
* ``all_or_nothing`` writes nothing if any row has a problem; ``good_rows`` writes exactly the
  rows without problems; every problem is in the downloadable error report with the row as
  Excel numbers it, the column header, the value (ID numbers masked) and how to fix it;
* every created object gets its own audit row and the import one more (``AuditAction.IMPORT``).

Speed: a large upload is parsed in a forked child process while this one checks the rows it
streams (:func:`.reading.sheet_rows`); an importer may use the moments it waits for rows
(:meth:`~shoumen.ledgers.registry.Importer.prepare`) and :func:`.forking.forked_child` for its
own work; writes go through :mod:`shoumen.core.bulk` (COPY on PostgreSQL).
"""

import contextlib
import gc
import logging
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shoumen.core import audit, request_context
from shoumen.core.models import AuditAction

from . import jobs, registry
from .checking import check_rows
from .jobs import LedgerFileError, importable_nodes
from .models import ImportJob, ImportMode, JobStatus
from .reading import sheet_rows
from .registry import ImportContext, Importer
from .reports import column_order, error_dict, error_report

logger = logging.getLogger(__name__)

PREVIEW_ERRORS = 100


def process_import(job_id: int) -> None:
    """Run one import job to the end (the background task calls this). Never raises for bad
    input: the job ends ``done`` or ``failed`` with a message saying what happened."""
    job = ImportJob.objects.select_related("jurisdiction", "created_by").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return  # already handled (a retried task)
    with translation.override(job.language), request_context.acting_as(job.created_by):
        jobs.update(job, status=JobStatus.RUNNING, started_at=timezone.now(), message="")
        try:
            _run_import(job)
        except LedgerFileError as exc:
            jobs.finish(job, JobStatus.FAILED, str(exc))
        except IntegrityError:
            logger.warning("import job %s: integrity error while writing", job.pk, exc_info=True)
            jobs.finish(job, JobStatus.FAILED,
                    _("While the file was being imported, someone else registered one of the "
                      "same records; nothing was imported. Upload the file again: the rows "
                      "that now exist will be listed as problems."), created_rows=0)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            jobs.finish(job, JobStatus.FAILED,
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
    jobs.update(job, file="")


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
    with sheet_rows(job) as source:
        records, errors, bad_rows, count = check_rows(job, importer, ctx, source)

    errors.sort(key=lambda e: (e.row, column_order(importer, e.column)))
    headers = ctx.data.get("_headers", {})
    fields: dict[str, Any] = {
        "error_count": len(errors), "error_rows": len(bad_rows),
        "errors_preview": [error_dict(e, headers) for e in errors[:PREVIEW_ERRORS]],
    }
    if errors:
        report = error_report(errors, headers)
        job.error_report.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(report), save=False)
        fields["error_report"] = job.error_report.name
    jobs.update(job, **fields)

    if errors and job.mode == ImportMode.ALL_OR_NOTHING:
        jobs.finish(job, JobStatus.FAILED,
                _("Found %(problems)d problem(s) in %(rows)d of %(total)d rows, so nothing was "
                  "imported. Fix them (see the error report) and upload the whole file again.")
                % {"problems": len(errors), "rows": len(bad_rows), "total": count})
        return
    if not records:
        jobs.finish(job, JobStatus.FAILED,
                _("None of the %(total)d rows could be imported; see the error report.")
                % {"total": count})
        return

    jobs.update(job, message=_("Writing %(n)d rows…") % {"n": len(records)})
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
    jobs.finish(job, JobStatus.DONE, message, created_rows=created)


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
