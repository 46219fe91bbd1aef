"""Pages: resident passes — the panel on a person's page (issue, reissue, revoke), the pass
list, bulk issue for a community or grid, the A4 print sheet and the phone view.

Passes are read and written with ``gate.passes`` (the staff who issue them): a pass, person
or community outside it is a 404, like a missing one. The person panel also shows, read only,
the passes a ``gate.view`` user may see. State changes go through :mod:`shoumen.gate.passes.services`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shoumen.core import authz
from shoumen.core.scoping import subtree_q
from shoumen.core.views import list_page, paginate
from shoumen.geo.models import Node
from shoumen.people.models import Person, PersonKind

from . import services as passes
from .filters import PASSES_CAPABILITY, PassFilter, in_node_q
from .forms import BulkIssueForm, RevokeForm, bulk_nodes
from .models import ResidentPass
from .services import PassState, state_q

CARDS_PER_SHEET = 10  # 2 × 5 cards of 86 × 54 mm (ID-1, the bank card size) on A4
SHEETS_PER_PRINT = 8  # one print page: 80 cards, drawn in about 2 s


def _passes(request, capability: str = PASSES_CAPABILITY):
    return ResidentPass.objects.visible_to(request.user, capability)


NO_PASSES = gettext_lazy(
    "Issuing and printing resident passes is for community staff (it needs the “gate.passes” "
    "permission). Ask your community worker if a resident needs a pass.")


def _is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


def _print_url(**params) -> str:
    return f"{reverse('gate:pass-print')}?{urlencode(params, doseq=True)}"


def _person(request, person_id: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user)
                             .select_related("jurisdiction__parent"), pk=person_id)


def _panel(request, person: Person, *, status: int = 200, **extra):
    """The pass panel of ``person`` as the user may see it (empty for users without any gate
    permission, so the people page needs to know nothing about the gate)."""
    user = request.user
    can_issue = (person.kind != PersonKind.VISITOR and Person.objects.visible_to(
        user, PASSES_CAPABILITY).filter(pk=person.pk).exists())
    if not can_issue and not authz.holds(user, "gate.view"):
        return HttpResponse("")
    history = list(_passes(request, "gate.view").filter(person=person)
                   .select_related("issued_by")[:20])
    manageable = set(_passes(request).filter(person=person).values_list("pk", flat=True))
    current = next((p for p in history if p.revoked_at is None), None)
    return render(request, "gate/passes/_person_panel.html", {
        "person": person, "current": current, "history": history,
        "can_issue": can_issue, "can_manage": current is not None and current.pk in manageable,
        "revoke_form": extra.pop("revoke_form", None) or RevokeForm(),
        **extra,
    }, status=status)


@login_required
def person_pass(request, person_id: int):
    """The panel, loaded by htmx from the person page (gate/includes/person_pass.html)."""
    return _panel(request, _person(request, person_id))


def _after_change(request, person: Person, notice: str):
    if _is_htmx(request):
        return _panel(request, person, notice=notice)
    messages.success(request, notice)
    return redirect("people:detail", pk=person.pk)


def _refused(request, person: Person, refusal: authz.NotAllowed):
    """The service's refusal in the pass panel (htmx), else as every page's 403."""
    if _is_htmx(request):
        return _panel(request, person, error=str(refusal), status=403)
    raise refusal


@login_required
@require_POST
def pass_issue(request, person_id: int):
    """Issue a pass to the person, or reissue (the old one is revoked)."""
    person = _person(request, person_id)
    try:
        new = passes.issue_pass(person, actor=request.user)
    except authz.NotAllowed as refusal:
        return _refused(request, person, refusal)
    except ValidationError as exc:
        if _is_htmx(request):
            return _panel(request, person, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return redirect("people:detail", pk=person.pk)
    return _after_change(request, person, _("Pass %(number)s issued, valid until %(date)s.")
                         % {"number": new.number, "date": f"{new.valid_until:%Y-%m-%d}"})


@login_required
@require_POST
def pass_revoke(request, pk: int):
    resident_pass = get_object_or_404(_passes(request).select_related("person"), pk=pk)
    person = _person(request, resident_pass.person_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        if _is_htmx(request):
            return _panel(request, person, revoke_form=form)
        messages.error(request, " ".join(form.errors.get("reason", [])))
        return redirect("people:detail", pk=person.pk)
    try:
        passes.revoke_pass(resident_pass, actor=request.user, reason=form.cleaned_data["reason"])
    except authz.NotAllowed as refusal:
        return _refused(request, person, refusal)
    return _after_change(request, person, _("Pass %(number)s revoked.")
                         % {"number": resident_pass.number})


@login_required
def pass_list(request):
    """Passes in the user's communities: search, community and state filters, 50 a page."""
    authz.authorize(request.user, ResidentPass, PASSES_CAPABILITY, NO_PASSES)
    queryset = _passes(request).select_related("person__jurisdiction", "jurisdiction")
    return list_page(request, PassFilter, queryset, "gate/passes/pass_list.html",
                     "gate/passes/_pass_table.html", context=_print_link)


def _print_link(filterset) -> dict:
    """The chosen community's passes, printed (a link beside the list)."""
    community = filterset.form.cleaned_data.get("community") if filterset.is_valid() else None
    return {"print_url": _print_url(community=community.pk) if community else None}


def _bulk_people(request, node: Node):
    return (Person.objects.visible_to(request.user, PASSES_CAPABILITY)
            .filter(subtree_q(node.path, "jurisdiction__")).exclude(kind=PersonKind.VISITOR))


def _bulk_preview(request, node: Node) -> dict:
    people = _bulk_people(request, node)
    total = people.count()
    holding = (_passes(request).filter(state_q(PassState.LIVE), person__in=people.values("pk"))
               .count())
    live_here = _passes(request).filter(state_q(PassState.LIVE)).filter(in_node_q(node)).count()
    return {"node": node, "total": total, "holding": holding, "to_issue": total - holding,
            "live_here": live_here, "print_url": _print_url(community=node.pk)}


@login_required
def pass_bulk(request):
    """Issue passes to every resident of a community or grid who has no live pass."""
    user = request.user
    if not authz.holds(user, PASSES_CAPABILITY) or not bulk_nodes(user).exists():
        raise authz.NotAllowed(NO_PASSES)
    if request.method == "POST":
        form = BulkIssueForm(request.POST, user=user)
        if form.is_valid():
            node = form.cleaned_data["jurisdiction"]
            try:
                result = passes.issue_passes(_bulk_people(request, node), actor=user,
                                             valid_days=form.cleaned_data["valid_days"])
            except ValidationError as exc:
                form.add_error("valid_days", exc.messages)
            else:
                messages.success(request, _(
                    "%(node)s: %(issued)d passes issued, %(skipped)d residents already held a "
                    "valid pass.") % {"node": node.name, "issued": result.issued,
                                      "skipped": result.skipped})
                return redirect(f"{reverse('gate:pass-bulk')}?{urlencode({'jurisdiction': node.pk})}")
    else:
        form = BulkIssueForm(request.GET or None, user=user)
    preview = None
    if form.is_bound:
        form.is_valid()
        node = form.cleaned_data.get("jurisdiction")
        preview = _bulk_preview(request, node) if node is not None else None
    return render(request, "gate/passes/pass_bulk.html", {"form": form, "preview": preview})


def _selected_passes(request):
    """The passes a print request names — ``?pass=<id>`` (repeatable) or ``?community=<node
    id>`` (its live passes) — and what to call the selection. 404 for anything out of scope."""
    ids = request.GET.getlist("pass")
    if ids:
        if not all(i.isdigit() for i in ids):
            return None, None
        chosen = _passes(request).filter(pk__in=ids)
        if chosen.count() != len(set(ids)):
            raise Http404("no such pass")
        return chosen, None
    node_id = request.GET.get("community", "")
    if not node_id.isdigit():
        return None, None
    node = get_object_or_404(Node.objects.visible_to(request.user, PASSES_CAPABILITY), pk=node_id)
    return _passes(request).filter(in_node_q(node)), node


def _sheets(cards: list) -> list[list]:
    return [cards[i:i + CARDS_PER_SHEET] for i in range(0, len(cards), CARDS_PER_SHEET)]


@never_cache
@login_required
def pass_print(request):
    """A4 sheets of pass cards (2 × 5 a sheet), 80 cards a page for big communities."""
    authz.authorize(request.user, ResidentPass, PASSES_CAPABILITY, NO_PASSES)
    chosen, node = _selected_passes(request)
    if chosen is None:
        messages.error(request, _("Choose what to print: a community on the bulk issue page, "
                                  "or a pass from its holder's page."))
        return redirect("gate:pass-list")
    live = chosen.filter(state_q(PassState.LIVE))
    left_out = chosen.count() - live.count()
    live = live.select_related("person__jurisdiction", "jurisdiction").order_by(
        "person__jurisdiction__path", "person__address", "person__name_pinyin", "number")
    page = paginate(request, live, per_page=CARDS_PER_SHEET * SHEETS_PER_PRINT)
    return render(request, "gate/passes/pass_print.html", {
        "page_obj": page, "sheets": _sheets(list(page.object_list)),
        "node": node, "left_out": left_out,
    })


@never_cache
@login_required
def pass_card(request, pk: int):
    """One pass full screen, to be shown on a phone: big QR, masked name, validity."""
    authz.authorize(request.user, ResidentPass, PASSES_CAPABILITY, NO_PASSES)
    resident_pass = get_object_or_404(
        _passes(request).select_related("jurisdiction", "person__jurisdiction"), pk=pk)
    return render(request, "gate/passes/pass_card.html", {
        "pass": resident_pass, "state": passes.state_of(resident_pass)})


urlpatterns = [
    path("passes/", pass_list, name="pass-list"),
    path("passes/bulk/", pass_bulk, name="pass-bulk"),
    path("passes/print/", pass_print, name="pass-print"),
    path("passes/<id:pk>/", pass_card, name="pass-card"),
    path("passes/<id:pk>/revoke/", pass_revoke, name="pass-revoke"),
    path("passes/person/<id:person_id>/", person_pass, name="person-pass"),
    path("passes/person/<id:person_id>/issue/", pass_issue, name="pass-issue"),
]
