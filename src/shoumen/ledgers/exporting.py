"""Running one export job to the end (the background task calls :func:`process_export`).

An export holds only rows the user may export under the same filters as the list page,
personal numbers are masked, and it is audited (``AuditAction.EXPORT``).
"""

import logging
import tempfile
import uuid

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from shoumen.core import audit, authz, request_context
from shoumen.core.models import AuditAction

from . import jobs, registry
from .jobs import exportable, filters_from
from .models import ExportJob, JobStatus
from .xlsx import header_cells, text_cells

logger = logging.getLogger(__name__)


def process_export(job_id: int) -> None:
    """Run one export job to the end (the background task calls this)."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return
    with translation.override(job.language), request_context.acting_as(job.created_by):
        jobs.update(job, status=JobStatus.RUNNING, started_at=timezone.now(), message="")
        try:
            _run_export(job)
        except (ValidationError, authz.NotAllowed, LookupError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else ""
            jobs.finish(job, JobStatus.FAILED,
                    _("The export could not run: %(why)s") % {
                        "why": message or _("you may no longer export this list.")})
        except Exception:
            logger.exception("export job %s failed", job.pk)
            jobs.finish(job, JobStatus.FAILED,
                    _("The export stopped because of an unexpected error. Try again; if it "
                      "happens again, tell your administrator."))


def _run_export(job: ExportJob) -> None:
    exporter = registry.get_exporter(job.kind)
    user = job.created_by
    if user is None or not exportable(user, exporter):
        raise authz.NotAllowed(_("you may no longer export this list."))
    params = filters_from(job.filters)
    sheets = exporter.sheets(user, params)
    total = sum(sheet.total for sheet in sheets)
    jobs.update(job, total_rows=total, processed_rows=0)

    workbook = Workbook(write_only=True)
    count = 0
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.title[:31])
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        ws.append(header_cells(ws, sheet.headers))
        for values in sheet.rows:
            ws.append(text_cells(ws, values))
            count += 1
            if count % jobs.PROGRESS_EVERY == 0:
                jobs.update(job, processed_rows=count, total_rows=max(total, count))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        job.result.save(f"{uuid.uuid4().hex}.xlsx", File(handle), save=False)
    jobs.update(job, result=job.result.name)
    subject = exporter.audit_subject(user, params)
    audit.record(AuditAction.EXPORT, subject or job,
                 jurisdiction=None if subject else job.jurisdiction,
                 note=f"{job.kind}: {count} rows; filters: {job.filters_text or '-'}; job {job.pk}")
    jobs.finish(job, JobStatus.DONE, _("Exported %(n)d rows.") % {"n": count},
                processed_rows=count, total_rows=count)
