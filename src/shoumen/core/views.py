"""Core pages (health check, home, audit trail) and the small helpers every list page shares.

The helpers keep the pages alike: one paginator size, one way to answer an htmx request with
just the results partial, one friendly 403 page, one way to give a form Bootstrap classes.
"""

import json
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import authz, outage
from .filters import AuditEventFilter
from .models import AuditEvent
from .navigation import modules_for

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


# --- shared page helpers ------------------------------------------------------------------

def forbidden(request, message: str):
    """A 403 that says why and what to do; a bare alert fragment for htmx requests."""
    template = ("includes/forbidden_fragment.html" if getattr(request, "htmx", False)
                else "includes/forbidden.html")
    return render(request, template, {"message": message}, status=403)


def permission_denied(request, exception=None):
    """handler403: a refusal from :mod:`.authz` (or any ``PermissionDenied``) as :func:`forbidden`,
    with the refusal's own message when it has one."""
    message = getattr(exception, "message", None)
    return forbidden(request, str(message) if message else
                     _("Your role does not allow this here. Ask your administrator if you need it."))


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The requested page (bad or out-of-range numbers give the nearest real page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def wants_partial(request) -> bool:
    """True for htmx requests that swap part of a page (not boosts or history restores)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def list_response(request, template: str, partial: str, context: dict):
    """Render the whole list page, or only its results partial when htmx asks for it."""
    partial_only = wants_partial(request)
    # "unknown" is what an untouched yes/no filter submits.
    filtered = any(value not in {"", "unknown"} for key, values in request.GET.lists()
                   if key not in {"page", "ordering"} for value in values)
    response = render(request, partial if partial_only else template,
                      {**context, "partial": partial_only, "filtered": filtered})
    # Same URL, two bodies: caches must key on the htmx header.
    patch_vary_headers(response, ("HX-Request",))
    return response


def style_form(form):
    """Give every widget of ``form`` its Bootstrap 5 class; returns the form."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.NullBooleanSelect):
            widget.choices = [("unknown", "---------"), ("true", gettext_lazy("Yes")),
                              ("false", gettext_lazy("No"))]
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        existing = widget.attrs.get("class", "")
        if css not in existing.split():
            widget.attrs["class"] = f"{existing} {css}".strip()
    return form


def checkbox_dropdown(form, name: str) -> None:
    """Show a multiple-choice filter as a dropdown of checkboxes (a listbox is clumsy on phones)."""
    field = form.fields[name]
    widget = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
    widget.choices = list(field.choices)
    field.widget = widget


def add_service_errors(form, exc) -> None:
    """Put a service's ValidationError on the form: by field where the form has that field."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


def through_service(form, service, *args, **kwargs):
    """Call ``service``; a ValidationError it raises goes onto ``form`` (by field) and None
    comes back, so the page shows the form again with the service's reasons."""
    try:
        return service(*args, **kwargs)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


def list_page(request, filterset_class, queryset, template: str, partial: str, *,
              page_size: int = PAGE_SIZE, adjust=None, each=None, export=None, context=None):
    """The one list page of every app.

    ``queryset`` (rows the user may see, from ``visible_to``) goes through the list's filter
    set, read from the query string (its jurisdiction choices narrowed to the user's scope),
    ``page_size`` rows a page; the whole page is rendered, or only the results ``partial`` when
    htmx asks. ``adjust(form)`` tweaks the filter form, ``each(rows)`` prepares the rows shown;
    ``export`` is ``(ledger kind, capability)``: an "export" link with the same filters for a
    user who holds the capability; ``context`` adds to the template's context (a dict, or a
    function of the filter set giving one). The template gets ``filter``, ``page_obj``,
    ``export_url``, ``partial`` and ``filtered``.
    """
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    form = style_form(filterset.form)
    if adjust is not None:
        adjust(form)
    page = paginate(request, filterset.qs, page_size)
    if each is not None:
        each(page.object_list)
    extra = context(filterset) if callable(context) else dict(context or {})
    return list_response(request, template, partial, {
        "filter": filterset, "page_obj": page, "export_url": _export_url(request, export),
        **extra})


def input_types(**types):
    """A list's ``adjust``: the browser's own pickers for these fields (``date="date"``)."""

    def adjust(form):
        for name, input_type in types.items():
            form.fields[name].widget.input_type = input_type

    return adjust


def _export_url(request, export) -> str | None:
    if export is None:
        return None
    kind, capability = export
    url = optional_url("ledgers:export", kind=kind) if authz.holds(request.user, capability) else None
    filters = request.GET.copy()
    filters.pop("page", None)
    return f"{url}?{filters.urlencode()}" if url and filters else url


def form_page(request, form, save, template: str, *, done, message, context=None):
    """The one create or edit page of every app.

    ``form`` is bound on POST. When it is valid, ``save(form)`` calls the service: a
    ValidationError it raises lands on the form (by field) and the page shows again; a refusal
    (``NotAllowed``) is answered 403 by the handler. Saved, ``message`` (text, or a function of
    the saved object) is shown and the browser goes to ``done(saved)`` (a URL or a model with
    ``get_absolute_url``, as ``redirect`` takes). ``context`` adds to the template's context,
    which holds ``form``.
    """
    if request.method == "POST" and form.is_valid():
        saved = through_service(form, save, form)
        if saved is not None:
            messages.success(request, message(saved) if callable(message) else message)
            return redirect(done(saved))
    return render(request, template, {"form": form, **(context or {})})


def initial_jurisdiction(request) -> dict:
    """Form initial data from ``?node=<id>`` (the "add here" links on a node's page)."""
    node_id = request.GET.get("node", "")
    return {"jurisdiction": node_id} if node_id.isdigit() else {}


def optional_url(name: str, **kwargs) -> str | None:
    """``reverse(name)`` or None when that page does not exist (yet)."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


# --- pages ----------------------------------------------------------------------------------

@never_cache
def healthz(request):
    """200 when the database answers; 503 otherwise. For load balancers and monitors: the
    answer says only *that* the database is unavailable, the log says why."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        logger.warning("healthz: database unavailable: %s", exc)
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request):
    """The modules the user may open, and the panels apps add below them (``HOME_PANELS``:
    URL names of fragments loaded with htmx, so core names no app above it)."""
    panels = [url for url in map(optional_url, settings.HOME_PANELS) if url]
    return render(request, "core/home.html", {"modules": modules_for(request.user),
                                              "home_panels": panels})


NO_AUDIT = gettext_lazy(
    "Only users who may read the audit trail (district commanders and system administrators) "
    "can open this page. Ask your administrator if you need it.")


@login_required
def audit_list(request):
    """The audit trail within the user's jurisdictions, filtered and paginated."""
    user = request.user
    authz.authorize(user, AuditEvent, "audit.view", NO_AUDIT)
    events = AuditEvent.objects.visible_to(user).select_related("content_type", "jurisdiction")
    return list_page(request, AuditEventFilter, events, "core/audit_list.html",
                     "core/audit_results.html",
                     adjust=input_types(since="datetime-local", until="datetime-local"))


# Detail pages of audited objects, by "app_label.model".
OBJECT_URLS = {
    "people.person": "people:detail",
    "geo.place": "geo:place-detail",
    "geo.node": "geo:node-detail",
    "resumption.enterprise": "resumption:enterprise-detail",
}


def _show(value) -> str:
    if value is None:
        return "—"
    if value == "":
        return _("(empty)")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def audit_rows(event) -> list[dict]:
    """Before/after as rows: one per field, with a readable label and whether it changed."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = before.get(key), after.get(key)
        rows.append({
            "key": key, "label": event.field_label(key),
            "before": _show(old) if key in before else "",
            "after": _show(new) if key in after else "",
            "changed": key in before and key in after and old != new,
        })
    return rows


@login_required
def audit_detail(request, pk: int):
    """One audit event with its before/after values as a diff table."""
    authz.authorize(request.user, AuditEvent, "audit.view", NO_AUDIT)
    event = get_object_or_404(
        AuditEvent.objects.visible_to(request.user).select_related("content_type", "jurisdiction",
                                                                   "actor"), pk=pk)
    object_url = None
    if event.content_type_id and event.object_id and event.action != "delete":
        name = OBJECT_URLS.get(f"{event.content_type.app_label}.{event.content_type.model}")
        if name and event.object_id.isdigit():
            object_url = optional_url(name, pk=int(event.object_id))
    same_request = []
    if event.request_id:
        same_request = (AuditEvent.objects.visible_to(request.user)
                        .filter(request_id=event.request_id).exclude(pk=event.pk)
                        .select_related("content_type")[:20])
    return render(request, "core/audit_detail.html", {
        "event": event, "rows": audit_rows(event), "object_url": object_url,
        "same_request": same_request,
    })
