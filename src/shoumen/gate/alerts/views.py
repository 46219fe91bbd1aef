"""The fever alert pages: the list, open first, and an alert with its follow-up."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.views import (
    add_service_errors,
    input_types,
    list_page,
    optional_url,
)

from ..checkpoints.models import Checkpoint
from . import services
from .filters import OPEN_FIRST, FeverAlertFilter
from .forms import STAGE_BADGES, FollowUpForm
from .models import FeverAlert


def _with_badges(alerts):
    for alert in alerts:
        alert.badge = STAGE_BADGES.get(alert.stage, "text-bg-light")
    return alerts


@login_required
def alert_list(request):
    """Fever alerts in the user's jurisdictions: open ones first, newest first."""
    user = request.user
    authz.authorize(user, FeverAlert, "gate.alerts", _(
        "Fever alerts go to community staff and grid workers. Ask your administrator if you "
        "need them."))
    alerts = (FeverAlert.objects.visible_to(user)
              .select_related("person", "checkpoint__place", "jurisdiction")
              .order_by(OPEN_FIRST, "-measured_at", "-id"))
    return list_page(request, FeverAlertFilter, alerts, "gate/alerts/list.html",
                     "gate/alerts/_table.html", adjust=input_types(date="date"), each=_with_badges)


@login_required
def alert_detail(request, pk: int):
    """One alert: the entry that raised it, the person (masked), the follow-up so far, and the
    form for the next step while it is open."""
    alert = get_object_or_404(FeverAlert.objects.visible_to(request.user)
                              .select_related("person__jurisdiction", "checkpoint__place",
                                              "jurisdiction", "entry"), pk=pk)
    if request.method == "POST" and not alert.is_open:
        messages.error(request, _("This alert is closed; no further steps can be recorded."))
        return redirect("gate:alert-detail", pk=alert.pk)
    form = FollowUpForm(request.POST or None, alert=alert)
    if request.method == "POST" and form.is_valid():
        try:
            step = services.follow_up(alert, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recorded: %(stage)s.") % {"stage": step.get_stage_display()})
            return redirect("gate:alert-detail", pk=alert.pk)
    _with_badges([alert])
    can_trace = authz.holds(request.user, "gate.trace")
    return render(request, "gate/alerts/detail.html", {
        "alert": alert, "form": form if alert.is_open else None,
        "follow_ups": alert.follow_ups.select_related("by"),
        "trace_url": optional_url("gate:person-trace", pk=alert.person_id) if can_trace else None,
        "contacts_url": (optional_url("gate:person-contacts", pk=alert.person_id)
                         if can_trace else None),
        # The person's community follows the alert up; the checkpoint may lie in another
        # jurisdiction, whose page this user cannot open: then its name only, no link.
        "checkpoint_url": (reverse("gate:checkpoint-detail", args=[alert.checkpoint_id])
                           if Checkpoint.objects.visible_to(request.user)
                           .filter(pk=alert.checkpoint_id).exists() else None),
    })


urlpatterns = [
    path("alerts/", alert_list, name="alert-list"),
    path("alerts/<id:pk>/", alert_detail, name="alert-detail"),
]
