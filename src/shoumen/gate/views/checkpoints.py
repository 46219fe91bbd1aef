"""Pages: the Gate module's home, checkpoints (list, detail, new), their guards and devices.

Checkpoints come from ``Checkpoint.objects.visible_to(user)`` (``gate.view``): one outside the
user's jurisdictions is a 404. Changing guards or revoking a device needs ``gate.manage`` at
the checkpoint (403 that says so); the changes go through :mod:`shoumen.gate.services`.
"""

from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shoumen.core import authz
from shoumen.core.scoping import scope_for
from shoumen.core.views import (
    add_service_errors,
    list_response,
    optional_url,
    paginate,
    style_form,
    wants_partial,
)

from .. import services
from ..filters import CheckpointFilter
from ..manage_forms import CheckpointForm, GuardsForm
from ..models import Checkpoint, CheckpointDevice, Entry, FeverAlert, Refusal

# Capabilities that make someone gate staff rather than only a guard (home page counts).
STAFF_CAPABILITIES = ("gate.manage", "gate.alerts", "gate.trace", "gate.passes")
# Traces are opened from a person's page (gate:person-trace); without a traces index page the
# home links the people registry to find them.
TRACE_URL_NAMES = ("gate:traces", "gate:trace-search", "people:list")
HOME_CHECKPOINTS = 12


def today_start():
    """Midnight at the start of today, local time."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def scan_url(checkpoint) -> str | None:
    return optional_url("gate:scan", pk=checkpoint.pk)


NO_GATE = gettext_lazy("Your role does not include the gate. Ask your administrator if you "
                       "need it.")


def day_counts(user) -> dict:
    """Today's entries, fevers and refusals in the user's jurisdictions, and the fever alerts
    still open there."""
    start = today_start()
    counts = (Entry.objects.visible_to(user, "gate.view").filter(at__gte=start).order_by()
              .aggregate(entries=Count("pk"), fevers=Count("pk", filter=Q(fever=True))))
    counts["refusals"] = Refusal.objects.visible_to(user, "gate.view").filter(at__gte=start).count()
    counts["open_alerts"] = open_alert_count(user)
    return counts


def open_alert_count(user) -> int:
    return FeverAlert.objects.visible_to(user, "gate.alerts").filter(closed_at=None).count()


@login_required
def home(request):
    """The Gate module: a guard's checkpoints (a big button to each one's scan page); for
    staff, today's figures, the open fever alerts and the way to everything else."""
    user = request.user
    authz.authorize(user, Checkpoint, "gate.view", NO_GATE)
    scope = scope_for(user)
    registrable = list(Checkpoint.objects.visible_to(user, "gate.register")
                       .select_related("place__jurisdiction", "place__building")
                       .order_by("place__jurisdiction__path", "place__name")[:HOME_CHECKPOINTS + 1])
    for checkpoint in registrable:
        checkpoint.scan_url = scan_url(checkpoint)
    is_staff = any(scope.can(c) for c in STAFF_CAPABILITIES)
    trace_url = next(filter(None, map(optional_url, TRACE_URL_NAMES)), None)
    if trace_url == optional_url("people:list") and not scope.can("people.view"):
        trace_url = None
    return render(request, "gate/checkpoints/home.html", {
        "registrable": registrable[:HOME_CHECKPOINTS],
        "more_registrable": len(registrable) > HOME_CHECKPOINTS,
        "is_staff": is_staff,
        "counts": day_counts(user) if is_staff else None,
        "open_alerts": open_alert_count(user) if scope.can("gate.alerts") else 0,
        "can_alerts": scope.can("gate.alerts"),
        "can_create": scope.can("gate.manage"),
        "pass_url": optional_url("gate:pass-list") if scope.can("gate.passes") else None,
        "trace_url": trace_url if scope.can("gate.trace") else None,
        "fever_threshold": settings.FEVER_THRESHOLD_C,
    })


def _count(model, fk: str, **filters):
    """Correlated COUNT of ``model`` rows pointing at the outer checkpoint."""
    rows = (model.objects.filter(**{fk: OuterRef("pk")}, **filters).order_by().values(fk)
            .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@login_required
def checkpoint_list(request):
    user = request.user
    authz.authorize(user, Checkpoint, "gate.view", NO_GATE)
    checkpoints = (Checkpoint.objects.visible_to(user)
                   .select_related("place__jurisdiction", "place__building")
                   .annotate(n_guards=_count(Checkpoint.guards.through, "checkpoint"),
                             n_devices=_count(CheckpointDevice, "checkpoint", revoked_at=None)))
    filterset = CheckpointFilter(request.GET or None, queryset=checkpoints, request=request)
    style_form(filterset.form)
    page = paginate(request, filterset.qs)
    return list_response(request, "gate/checkpoints/list.html", "gate/checkpoints/_table.html", {
        "filter": filterset, "page_obj": page, "can_create": authz.holds(user, "gate.manage"),
    })


def _get_checkpoint(request, pk):
    return get_object_or_404(Checkpoint.objects.visible_to(request.user)
                             .select_related("place__jurisdiction", "place__building"), pk=pk)


@login_required
def checkpoint_detail(request, pk: int):
    """One checkpoint: where it is, its guards and devices, today's entries (newest first,
    identities masked; htmx pages them) and refusals."""
    checkpoint = _get_checkpoint(request, pk)
    start = today_start()
    entries = (Entry.objects.filter(checkpoint=checkpoint, at__gte=start)
               .select_related("person__jurisdiction").order_by("-at", "-id"))
    page = paginate(request, entries)
    if wants_partial(request):
        return render(request, "gate/checkpoints/_entries.html", {"page_obj": page})
    user = request.user
    can_register = authz.allows(user, checkpoint, "gate.register")
    return render(request, "gate/checkpoints/detail.html", {
        "checkpoint": checkpoint, "page_obj": page,
        "guards": checkpoint.guards.order_by("username"),
        "devices": checkpoint.devices.select_related("registered_by").order_by("revoked_at",
                                                                                "-created_at"),
        "refusals": (Refusal.objects.filter(checkpoint=checkpoint, at__gte=start)
                     .select_related("person")[:50]),
        "can_manage": authz.allows(user, checkpoint, "gate.manage"),
        "scan_url": scan_url(checkpoint) if can_register else None,
    })


@login_required
def checkpoint_create(request):
    user = request.user
    if not authz.may_create(user, "gate.manage"):
        raise authz.NotAllowed(_("You may not add checkpoints: that needs a community worker or "
                                 "a commander."))
    initial = {"jurisdiction": request.GET.get("jurisdiction") or request.GET.get("node", "")}
    form = CheckpointForm(request.POST or None, user=user, initial=initial,
                          narrow_url=reverse("gate:checkpoint-create"))
    if request.method == "POST" and form.is_valid():
        try:
            checkpoint = services.create_checkpoint(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Checkpoint %(name)s has been added. Now choose its "
                                        "guards.") % {"name": checkpoint.name})
            return redirect("gate:checkpoint-guards", pk=checkpoint.pk)
    return render(request, "gate/checkpoints/form.html", {"form": form})


def _may_manage(request, checkpoint) -> None:
    authz.authorize(request.user, checkpoint, "gate.manage", _(
        "You may look at this checkpoint but not manage its guards or devices."))


@login_required
def checkpoint_guards(request, pk: int):
    checkpoint = _get_checkpoint(request, pk)
    _may_manage(request, checkpoint)
    # An empty POST (every box unticked) is still a submission: it removes all guards.
    form = GuardsForm(request.POST if request.method == "POST" else None, checkpoint=checkpoint)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_guards(checkpoint, form.cleaned_data["guards"], actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The guards of %(name)s have been saved.")
                             % {"name": checkpoint.name})
            return redirect("gate:checkpoint-detail", pk=checkpoint.pk)
    return render(request, "gate/checkpoints/guards.html", {"checkpoint": checkpoint, "form": form})


@login_required
@require_POST
def device_revoke(request, pk: int, device_pk: int):
    checkpoint = _get_checkpoint(request, pk)
    device = get_object_or_404(CheckpointDevice.objects.filter(checkpoint=checkpoint),
                               pk=device_pk)
    _may_manage(request, checkpoint)
    services.revoke_device(device, actor=request.user)
    messages.success(request, _("%(device)s can no longer register at %(name)s.")
                     % {"device": device.name, "name": checkpoint.name})
    return redirect("gate:checkpoint-detail", pk=checkpoint.pk)


urlpatterns = [
    path("", home, name="home"),
    path("checkpoints/", checkpoint_list, name="checkpoint-list"),
    path("checkpoints/new/", checkpoint_create, name="checkpoint-create"),
    path("checkpoints/<id:pk>/", checkpoint_detail, name="checkpoint-detail"),
    path("checkpoints/<id:pk>/guards/", checkpoint_guards, name="checkpoint-guards"),
    path("checkpoints/<id:pk>/devices/<id:device_pk>/revoke/", device_revoke,
         name="device-revoke"),
]
