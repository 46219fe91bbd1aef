"""Importing and exporting Excel ledgers (台账): starting the jobs.

Views and the API call :func:`start_import` / :func:`start_export`; they check the request,
store the job and queue its background task (:mod:`.tasks`), which runs
:func:`.importing.process_import` / :func:`.exporting.process_export`. What a ledger holds
comes from its definition in the registry (:mod:`shoumen.ledgers.registry`).

The pipeline, module by module: :mod:`.upload_checks` (the request), :mod:`.jobs` (rights,
limits, progress), :mod:`.reading` (the workbook), :mod:`.checking` (the rows),
:mod:`.importing` (the one write), :mod:`.reports` (error report, template),
:mod:`.exporting`.
"""

import os
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.scoping import scope_for
from shoumen.core.services import service

from . import registry, tasks
from .jobs import filters_from
from .models import ExportJob, ImportJob, ImportMode
from .upload_checks import check_upload


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
    params = exporter.resolve(filters_from(params))
    exporter.validate(actor, params)
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

    task = tasks.import_ledger if direction == "import" else tasks.export_ledger
    result = task.enqueue(job.pk)
    type(job).objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def download_name(job) -> str:
    """File name offered to the browser, e.g. ``people_20200218_1530.xlsx``."""
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d_%H%M")
    if isinstance(job, ImportJob):
        return f"{job.kind}_errors_{stamp}.xlsx"
    return f"{job.kind}_{stamp}.xlsx"
