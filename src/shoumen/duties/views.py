"""The duties page: a day's windows in the user's jurisdictions with their compliance (due,
done, late, missed, the rate), filtered like any list; missed ones first to the eye."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from shoumen.core import authz
from shoumen.core.scoping import scope_for
from shoumen.core.views import input_types, list_page
from shoumen.geo.models import Node, Place

from . import services
from .filters import WindowFilter
from .models import Window

NO_DUTIES = gettext_lazy("Your role does not include duties. Ask your administrator if you need it.")


@login_required
def window_list(request):
    user = request.user
    authz.authorize(user, Window, "duties.view", NO_DUTIES)
    windows = (Window.objects.visible_to(user).select_related("duty__owner", "jurisdiction")
               .order_by("starts_at", "duty__title"))
    return list_page(request, WindowFilter, windows, "duties/window_list.html",
                     "duties/_window_table.html", adjust=input_types(day="date"),
                     each=_mark_passed, context=_compliance)


def _compliance(filterset) -> dict:
    """The counts of the filtered windows, and the same for each child of the chosen
    jurisdiction (or of the user's own, when they have one): which one lags."""
    parent = filterset.form.cleaned_data.get("node") if filterset.form.is_valid() else None
    if parent is None:
        parent = _home_node(filterset.request.user)
    children = services.counts_by_child(filterset.qs, parent) if parent is not None else []
    first, last = filterset.period()
    return {"counts": services.counts(filterset.qs), "now": timezone.now(), "parent": parent,
            "children": [(child, c) for child, c in children if c["due"] or c["open"]],
            "first": first, "last": last}


def _home_node(user):
    """The one jurisdiction the user's duties grant is at (the city for a superuser), else
    None."""
    scope = scope_for(user)
    if scope.is_global:
        return Node.objects.filter(parent=None).order_by("path").first()
    paths = scope.paths("duties.view")
    return Node.objects.filter(path=paths[0]).first() if len(paths) == 1 else None


def _mark_passed(windows) -> None:
    now = timezone.now()
    for window in windows:
        window.passed = window.state == "due" and window.ends_at <= now


KIND_LABELS = {"inspection": gettext_lazy("Inspections"),
               "disinfection": gettext_lazy("Disinfection"), "patrol": gettext_lazy("Patrols")}


@login_required
def place_panel(request, pk: int):
    """Today's compliance at a place (a building: its own duties and those of the sites and
    venues in it), by kind of record; empty when there is none the user sees."""
    user = request.user
    place = Place.objects.visible_to(user).filter(pk=pk).first()
    if place is None or not authz.holds(user, "duties.view"):
        return HttpResponse("")
    today = timezone.localdate()
    windows = (Window.objects.visible_to(user).filter(day=today)
               .filter(Q(duty__place=place) | Q(duty__place__building=place)))
    kinds = []
    for kind in windows.order_by("duty__kind").values_list("duty__kind", flat=True).distinct():
        counts = services.counts(windows.filter(duty__kind=kind))
        kinds.append((kind, {**counts, "label": KIND_LABELS.get(kind, kind)}))
    if not kinds:
        return HttpResponse("")
    return render(request, "duties/_place_panel.html", {"place": place, "kinds": kinds,
                                                        "day": today})
