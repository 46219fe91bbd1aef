"""Pages: a person's movement trace and a case's close contacts (list, graph, xlsx export,
home observation of the contacts in one action), and the movements panel on a person's page.

A person is traced with ``gate.trace``: one outside the user's ``gate.trace`` scope is a 404,
like a missing one. The trace and the contacts show entries and people from anywhere (the
virus does not stop at the jurisdiction's edge); changing a contact's status needs
``people.status`` for that contact, and the others are listed for their community to act on.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.views import (
    list_response,
    optional_url,
    paginate,
    style_form,
    wants_partial,
)
from shoumen.people.models import Person

from ..entries.models import Entry
from . import contact_export
from .contacts import (
    NO_STATUS_RIGHT,
    ContactResult,
    find_contacts,
    mark_scope,
    observe_contacts,
    plan_observation,
)
from .forms import ContactSearchForm, search_params
from .services import person_trace

TRACE = "gate.trace"
GRAPH_NODE_LIMIT = 300  # nodes an ECharts force layout draws smoothly on a cheap phone


def _traceable(request, pk: int) -> Person:
    """The person if the user may trace them, else 404 (the same as a missing one)."""
    return get_object_or_404(Person.objects.visible_to(request.user, TRACE)
                             .select_related("jurisdiction__parent"), pk=pk)


def _query(data) -> str:
    """The search's parameters in ``data`` as a query string ("" or "?window=…")."""
    keep = {k: v for k, v in data.items() if k in ContactSearchForm.base_fields and v != ""}
    return f"?{urlencode(keep)}" if keep else ""


def _export_url(person, data) -> str | None:
    """The ledger export of this search (a job: confirm, progress, download)."""
    url = optional_url("ledgers:export", kind="contacts")
    search = {k: v for k, v in data.items() if k in ContactSearchForm.base_fields and v != ""}
    return url and f"{url}?{urlencode({'case': person.pk, **search})}"


def _contacts_url(person, data) -> str:
    return reverse("gate:person-contacts", args=[person.pk]) + _query(data)


@login_required
def trace_page(request, pk: int):
    """Every entry of the person across all checkpoints, by day, newest first."""
    person = _traceable(request, pk)
    return render(request, "gate/traces/trace.html", {"person": person,
                                                     "trace": person_trace(person)})


def _graph(result: ContactResult, limit: int = GRAPH_NODE_LIMIT) -> dict:
    """The ECharts payload: the case, first-degree contacts (most exposed first), then
    second-degree ones linked to a drawn first-degree contact, at most ``limit`` nodes."""
    def node(person, degree, contact=None):
        data = {"id": str(person.pk), "name": person.name, "degree": degree,
                "status": str(person.get_status_display()),
                "community": contact_export.community_label(person)}
        if contact is not None:
            first = contact.first_exposure
            data.update(exposures=contact.exposure_count, site=first.site_name,
                        first_at=timezone.localtime(first.at).strftime("%m-%d %H:%M"),
                        in_scope=contact.in_scope)
        return data

    nodes = [node(result.case, 0)]
    links = []
    first_degree = sorted(result.of_degree(1), key=lambda c: -c.exposure_count)
    second_degree = result.of_degree(2)
    # With a second degree, a third of the places are kept for it: the graph is there to
    # show who links whom, and a busy case has more first-degree contacts than places.
    budget = max(1, (limit - 1) * 2 // 3) if second_degree else limit - 1
    drawn = {c.person.pk for c in first_degree[:budget]}

    def add_first(c):
        nodes.append(node(c.person, 1, c))
        links.append({"source": str(result.case.pk), "target": str(c.person.pk),
                      "value": c.exposure_count, "site": c.first_exposure.site_name})

    for c in first_degree[:budget]:
        add_first(c)
    for c in second_degree:
        via = [v.pk for v in c.via if v.pk in drawn]
        if len(nodes) >= limit:
            break
        if not via:
            continue
        nodes.append(node(c.person, 2, c))
        for v in via:
            exposures = [x for x in c.exposures if x.linked_person_id == v]
            links.append({"source": str(v), "target": str(c.person.pk),
                          "value": len(exposures), "site": exposures[0].site_name})
    for c in first_degree[budget:budget + limit - len(nodes)]:  # places left over
        add_first(c)
    return {
        "nodes": nodes, "links": links, "hidden": len(result.contacts) + 1 - len(nodes),
        "labels": {"0": _("Case"), "1": _("First degree"), "2": _("Second degree"),
                   "exposures": _("Exposures"), "first": _("First exposure"),
                   "outside": _("Outside your jurisdiction"), "site": _("Site")},
    }


@login_required
def contacts_page(request, pk: int):
    """The case's close contacts: the search form, counts, the graph and the list (50 a page;
    htmx swaps only the list when paging)."""
    case = _traceable(request, pk)
    form, params = search_params(request.GET)
    style_form(form)
    result = plan = page = None
    if params is not None:
        result = mark_scope(find_contacts(case, params), request.user)
        plan = plan_observation(result)
        page = paginate(request, result.contacts)
    draw = result is not None and not wants_partial(request)  # htmx asks for another page
    return list_response(request, "gate/traces/contacts.html", "gate/traces/_contact_list.html", {
        "person": case, "form": form, "result": result, "plan": plan, "page_obj": page,
        "graph": _graph(result) if draw else None, "query": _query(request.GET),
        "can_observe": authz.holds(request.user, "people.status"),
        "export_url": _export_url(case, request.GET),
    })


@login_required
def contacts_observe(request, pk: int):
    """Confirm (GET), then put the listed contacts the user may change under home
    observation in one action (POST), and say what happened to whom."""
    case = _traceable(request, pk)
    authz.authorize(request.user, Person, "people.status", NO_STATUS_RIGHT)
    data = request.POST if request.method == "POST" else request.GET
    form, params = search_params(data)
    style_form(form)
    if params is None:
        return redirect(_contacts_url(case, data))
    if request.method == "POST":
        only = [i for i in request.POST.getlist("people") if i.isdigit()]
        plan = observe_contacts(case, params, actor=request.user, only=only)
        counts = plan.counts
        messages.success(request, _(
            "%(changed)s put under home observation; %(already)s already were; %(stricter)s "
            "kept a stricter status; %(outside_scope)s outside your jurisdiction, not changed "
            "— notify their communities.") % counts)
        return redirect(_contacts_url(case, request.POST))
    result = mark_scope(find_contacts(case, params), request.user)
    return render(request, "gate/traces/observe_confirm.html", {
        "person": case, "form": form, "result": result, "plan": plan_observation(result),
        "query": _query(request.GET),
    })


@login_required
def movements_panel(request, pk: int):
    """Entries in the retention period, the last one, and links to the trace and contacts;
    empty for users who may not trace this person (so the people page needs no gate code)."""
    if not authz.holds(request.user, TRACE):
        return HttpResponse("")
    person = Person.objects.visible_to(request.user, TRACE).filter(pk=pk).first()
    if person is None:
        return HttpResponse("")
    since = timezone.now() - timedelta(days=settings.RETENTION_DAYS)
    entries = Entry.objects.filter(person=person, at__gte=since)
    last = entries.select_related("checkpoint__place").order_by("-at", "-id").first()
    return render(request, "gate/traces/_movements_panel.html", {
        "person": person, "last": last, "count": entries.count() if last else 0})


urlpatterns = [
    path("people/<id:pk>/trace/", trace_page, name="person-trace"),
    path("people/<id:pk>/contacts/", contacts_page, name="person-contacts"),
    path("people/<id:pk>/contacts/observe/", contacts_observe, name="person-contacts-observe"),
    path("people/<id:pk>/movements/", movements_panel, name="person-movements"),
]
