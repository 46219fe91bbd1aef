"""Import and export jobs for Excel ledgers (台账).

A job records one upload or one export from start to finish: who asked, for which kind of
ledger, how far the background task has come, and the files it produced. Jobs are
bookkeeping, not domain data: they are not :class:`~shoumen.core.models.AuditedModel`\\ s
(progress is updated thousands of times); what matters is audited explicitly — every person an
import creates, the import itself and each export (see :mod:`shoumen.ledgers.importing` and
:mod:`shoumen.ledgers.exporting`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import ScopedQuerySet, scope_for, subtree_q

from . import registry


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


FINISHED_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED})


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing: import only if every row is correct")
    GOOD_ROWS = "good_rows", _("Import the correct rows, report the others")


class JobQuerySet(ScopedQuerySet):
    """Jobs a user may see: their own (administrators: everyone's), and only while they still
    hold the job kind's capability — at the job's jurisdiction, for jobs that have one."""

    direction = ""  # "import" or "export", set per model

    def for_user(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        scope = scope_for(user)
        allowed = Q(pk__in=[])
        definitions = registry.importers() if self.direction == "import" else registry.exporters()
        for definition in definitions:
            kind, paths = definition.kind, scope.paths(definition.capability)
            if not paths:
                continue
            in_scope = Q(jurisdiction__isnull=True)
            for path in paths:
                in_scope |= subtree_q(path, "jurisdiction__")
            allowed |= Q(kind=kind) & in_scope
        return self.filter(created_by=user).filter(allowed)


class ImportJobQuerySet(JobQuerySet):
    direction = "import"


class ExportJobQuerySet(JobQuerySet):
    direction = "export"


class Job(models.Model):
    """What import and export jobs share."""

    kind = models.CharField(_("ledger"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices,
                              default=JobStatus.QUEUED, db_index=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    message = models.TextField(_("message"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans",
                                help_text=_("Headers and messages are written in this language."))
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    scope_capability = "geo.view"

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    def kind_label(self) -> str:
        table = registry.get_importer if isinstance(self, ImportJob) else registry.get_exporter
        try:
            return str(table(self.kind).label)
        except LookupError:
            return self.kind


class ImportJob(Job):
    """One uploaded ledger being checked and imported.

    Guarantees: in ``all_or_nothing`` mode either every row is written or none is; in
    ``good_rows`` mode exactly the rows without problems are written. Writes happen in one
    transaction, so a failure part-way leaves nothing behind. Every problem found is listed in
    ``error_report`` (row, column, value masked, how to fix it).
    """

    # Deleted (and emptied) once the job has run: the upload holds personal data in plain text.
    file = models.FileField(_("file"), upload_to="ledgers/imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(_("mode"), max_length=20, choices=ImportMode.choices,
                            default=ImportMode.ALL_OR_NOTHING)
    created_rows = models.PositiveIntegerField(_("rows imported"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with problems"), default=0)
    error_report = models.FileField(_("error report"), upload_to="ledgers/reports/%Y/%m/",
                                    blank=True)
    # The first problems, for the job page and the API (the report has all of them).
    errors_preview = models.JSONField(_("first problems"), default=list, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta(Job.Meta):
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self):
        return f"{self.kind_label()} ← {self.original_name}"


class ExportJob(Job):
    """One export of a list to an Excel ledger, with the filters it was asked for.

    The file holds only rows the creator could see when it ran, with personal numbers masked.
    """

    filters = models.JSONField(_("filters"), default=dict, blank=True,
                               help_text=_("The list page's query parameters, as lists."))
    filters_text = models.CharField(_("filters"), max_length=500, blank=True)
    result = models.FileField(_("file"), upload_to="ledgers/exports/%Y/%m/", blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta(Job.Meta):
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")

    def __str__(self):
        return f"{self.kind_label()} → xlsx #{self.pk}"
