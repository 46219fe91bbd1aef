"""The checkpoint pages: list, detail with today's entries, create, guards, devices."""

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shoumen.core import authz
from shoumen.core.views import (
    form_page,
    list_page,
    optional_url,
    paginate,
    wants_partial,
)

from ..entries.models import Entry, Refusal
from . import services
from .filters import CheckpointFilter
from .forms import CheckpointForm, GuardsForm
from .models import Checkpoint, CheckpointDevice


def today_start():
    """Midnight at the start of today, local time."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


NO_GATE = gettext_lazy("Your role does not include the gate. Ask your administrator if you "
                       "need it.")


def scan_url(checkpoint) -> str | None:
    return optional_url("gate:scan", pk=checkpoint.pk)


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
    return list_page(request, CheckpointFilter, checkpoints, "gate/checkpoints/list.html",
                     "gate/checkpoints/_table.html",
                     context={"can_create": authz.holds(user, "gate.manage")})


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
    return form_page(
        request, form, lambda form: services.create_checkpoint(actor=user, **form.cleaned_data),
        "gate/checkpoints/form.html",
        done=lambda checkpoint: reverse("gate:checkpoint-guards", kwargs={"pk": checkpoint.pk}),
        message=lambda checkpoint: _("Checkpoint %(name)s has been added. Now choose its "
                                     "guards.") % {"name": checkpoint.name})


def _may_manage(request, checkpoint) -> None:
    authz.authorize(request.user, checkpoint, "gate.manage", _(
        "You may look at this checkpoint but not manage its guards or devices."))


@login_required
def checkpoint_guards(request, pk: int):
    checkpoint = _get_checkpoint(request, pk)
    _may_manage(request, checkpoint)
    # An empty POST (every box unticked) is still a submission: it removes all guards.
    form = GuardsForm(request.POST if request.method == "POST" else None, checkpoint=checkpoint)

    def save(form):
        services.set_guards(checkpoint, form.cleaned_data["guards"], actor=request.user)
        return checkpoint

    return form_page(request, form, save, "gate/checkpoints/guards.html",
                     done=lambda saved: reverse("gate:checkpoint-detail", kwargs={"pk": saved.pk}),
                     message=_("The guards of %(name)s have been saved.") % {"name": checkpoint.name},
                     context={"checkpoint": checkpoint})


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
    path("checkpoints/", checkpoint_list, name="checkpoint-list"),
    path("checkpoints/new/", checkpoint_create, name="checkpoint-create"),
    path("checkpoints/<id:pk>/", checkpoint_detail, name="checkpoint-detail"),
    path("checkpoints/<id:pk>/guards/", checkpoint_guards, name="checkpoint-guards"),
    path("checkpoints/<id:pk>/devices/<id:device_pk>/revoke/", device_revoke,
         name="device-revoke"),
]
