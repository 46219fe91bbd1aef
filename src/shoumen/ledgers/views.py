"""Ledger pages: upload a ledger and follow its import, confirm and follow an export, download.

A job is visible to its creator (and administrators); any other user gets a 404, the same as
for a job that does not exist. Files (error reports, exports) are served to their creator only.
Uploading needs the importer's capability (``people.import``), exporting the exporter's
(``people.export``).
"""


from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shoumen.core import authz
from shoumen.core.views import add_service_errors, optional_url, wants_partial

from . import registry, reports, services, upload_checks, xlsx
from .forms import ImportForm
from .jobs import MAX_ROWS
from .models import ExportJob, ImportJob

RECENT = 30


def _importer(kind):
    try:
        return registry.get_importer(kind)
    except LookupError:
        raise Http404(kind) from None


def _exporter(kind):
    try:
        return registry.get_exporter(kind)
    except LookupError:
        raise Http404(kind) from None


def _may(request, capability: str) -> None:
    authz.authorize(request.user, ImportJob, capability, _(
        "Your role does not allow this (it needs the “%(capability)s” permission). Ask your "
        "administrator if you need it.") % {"capability": capability})


@login_required
def import_start(request, kind):
    """The upload form: file, target jurisdiction, mode; the columns explained."""
    importer = _importer(kind)
    _may(request, importer.capability)
    too_large = request.method == "POST" and upload_checks.body_too_large(request)
    if too_large:
        # Refused before the body is parsed: a huge upload is never spooled or stored.
        form = ImportForm(user=request.user, importer=importer)
        form.add_error(None, too_large)
    else:
        form = ImportForm(request.POST or None, request.FILES or None, user=request.user,
                          importer=importer)
    if request.method == "POST" and not too_large and form.is_valid():
        try:
            job = services.start_import(
                actor=request.user, kind=kind, upload=form.cleaned_data["file"],
                mode=form.cleaned_data["mode"], jurisdiction=form.cleaned_data["jurisdiction"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("ledgers:job", pk=job.pk)
    recent = ImportJob.objects.for_user(request.user).filter(
        created_by=request.user, kind=kind).select_related("jurisdiction")[:5]
    return render(request, "ledgers/import.html", {
        "form": form, "importer": importer, "kind": kind, "recent": recent,
        "max_rows": MAX_ROWS,
        "list_url": optional_url(f"{kind}:list"),
    })


@login_required
def template_download(request, kind):
    """An empty ledger with the right headers, an example row and instructions."""
    importer = _importer(kind)
    _may(request, importer.capability)
    content = reports.template_workbook(importer)
    return xlsx.download(content, f"{kind}_template.xlsx")


def _import_job(request, pk):
    return get_object_or_404(
        ImportJob.objects.for_user(request.user).select_related("jurisdiction", "created_by"),
        pk=pk)


@never_cache
@login_required
def import_job(request, pk):
    """Progress (polled by htmx every second while the job runs), then the outcome."""
    job = _import_job(request, pk)
    template = "ledgers/_import_progress.html" if wants_partial(request) else "ledgers/import_job.html"
    return render(request, template, {"job": job, "list_url": optional_url(f"{job.kind}:list")})


@login_required
def error_report(request, pk):
    job = get_object_or_404(ImportJob.objects.for_user(request.user).filter(created_by=request.user),
                            pk=pk)
    if not job.error_report:
        raise Http404("no error report")
    return xlsx.download(job.error_report.open("rb"), services.download_name(job))


def _params_from_post(request) -> QueryDict:
    return QueryDict(request.POST.get("filters", ""), mutable=True)


@login_required
def export_start(request, kind):
    """Confirm an export of the list with the filters in the query string, then start it."""
    exporter = _exporter(kind)
    user = request.user
    _may(request, exporter.capability)
    params = _params_from_post(request) if request.method == "POST" else request.GET.copy()
    params.pop("page", None)
    errors: list[str] = []
    if request.method == "POST":
        try:
            job = services.start_export(actor=user, kind=kind, params=params)
        except ValidationError as exc:
            errors = exc.messages
        else:
            return redirect("ledgers:export-job", pk=job.pk)
    count = None
    if not errors:
        try:
            count = exporter.count(user, params)
        except ValidationError as exc:
            errors = exc.messages
    list_url = exporter.back_url(params)
    return render(request, "ledgers/export_confirm.html", {
        "exporter": exporter, "kind": kind, "count": count, "errors": errors,
        "filters": params.urlencode(), "filters_text": exporter.describe_filters(params),
        "list_url": list_url,
    })


@never_cache
@login_required
def export_job(request, pk):
    job = get_object_or_404(ExportJob.objects.for_user(request.user).select_related("created_by"),
                            pk=pk)
    template = "ledgers/_export_progress.html" if wants_partial(request) else "ledgers/export_job.html"
    return render(request, template, {"job": job})


@login_required
def download(request, pk):
    """The exported file, for the user who asked for it (anyone else: 404)."""
    job = get_object_or_404(ExportJob.objects.for_user(request.user).filter(created_by=request.user),
                            pk=pk)
    if not job.result:
        raise Http404("not ready")
    return xlsx.download(job.result.open("rb"), services.download_name(job))


@login_required
def job_list(request):
    """The user's recent imports and exports."""
    user = request.user
    imports = (ImportJob.objects.for_user(user).filter(created_by=user)
               .select_related("jurisdiction")[:RECENT])
    exports = ExportJob.objects.for_user(user).filter(created_by=user)[:RECENT]
    importers = [i for i in registry.importers() if authz.holds(user, i.capability)]
    return render(request, "ledgers/job_list.html", {
        "imports": imports, "exports": exports, "importers": importers,
    })
