"""The gate's home page: a guard's checkpoints; for staff, today's figures and the way to
everything else."""


from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import path

from shoumen.core import authz
from shoumen.core.scoping import scope_for
from shoumen.core.views import (
    optional_url,
)

from .alerts.models import FeverAlert
from .checkpoints.models import Checkpoint
from .checkpoints.views import NO_GATE, scan_url, today_start
from .entries.models import Entry, Refusal

# Capabilities that make someone gate staff rather than only a guard (home page counts).
STAFF_CAPABILITIES = ("gate.manage", "gate.alerts", "gate.trace", "gate.passes")


# Traces are opened from a person's page (gate:person-trace); without a traces index page the
# home links the people registry to find them.
TRACE_URL_NAMES = ("gate:traces", "gate:trace-search", "people:list")
HOME_CHECKPOINTS = 12


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


urlpatterns = [
    path("", home, name="home"),
]
