"""Enterprise pages: list, detail, create, edit.

Enterprises come from ``Enterprise.objects.visible_to(request.user)``: staff see those in their
jurisdictions, an enterprise liaison sees only the enterprise named in their assignment; any
other enterprise is a 404. Creating needs ``enterprises.edit`` at a jurisdiction; editing needs
it for that enterprise (a liaison's own counts).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shoumen.core import authz
from shoumen.core.views import (
    form_page,
    initial_jurisdiction,
    list_page,
    paginate,
    through_service,
)
from shoumen.credentials import keys
from shoumen.geo.models import Node, Place, PlaceKind
from shoumen.ledgers import xlsx
from shoumen.ledgers.reports import template_workbook
from shoumen.resumption import (
    classes,
    confirmations,
    declaring,
    liaisons,
    problems,
    progress,
    services,
)

from .filters import EnterpriseFilter, ProblemFilter
from .forms import (
    AssignForm,
    CheckForm,
    ClassForm,
    ContactForm,
    DeclarationForm,
    EnterpriseForm,
    LiaisonForm,
    PlansForm,
    ProblemForm,
    RequirementForm,
    StepForm,
    TextForm,
)
from .ledger import EnterprisesExporter, ProblemsExporter
from .models import (
    BASELINE_MATERIALS,
    Confirmation,
    Contact,
    Declaration,
    Enterprise,
    EnterpriseStatus,
    Material,
    MaterialRequirement,
    Problem,
    ProblemState,
    ResumptionPlans,
)
from .roster import READER


@login_required
def enterprise_list(request):
    user = request.user
    authz.authorize(user, Enterprise, "enterprises.view", _(
        "Your role does not include enterprises. Ask your administrator if you need it."))
    enterprises = Enterprise.objects.visible_to(user).select_related("jurisdiction", "building")
    return list_page(request, EnterpriseFilter, enterprises, "resumption/enterprise_list.html",
                     "resumption/_enterprise_table.html",
                     export=("enterprises", EnterprisesExporter.capability),
                     context={"can_create": authz.may_create(user, "enterprises.edit")})


@login_required
def enterprise_detail(request, pk: int):
    user = request.user
    enterprise = get_object_or_404(Enterprise.objects.visible_to(user)
                                   .select_related("jurisdiction", "building"), pk=pk)
    can_edit = authz.allows(user, enterprise, "enterprises.edit")
    return render(request, "resumption/enterprise_detail.html", {
        "enterprise": enterprise, "can_edit": can_edit, **resumption_context(user, enterprise),
        "can_see_place": bool(enterprise.building_id)
        and Place.objects.visible_to(user).filter(pk=enterprise.building_id).exists(),
    })


@never_cache
@login_required
@require_POST
def enterprise_reveal(request, pk: int):
    """The contact's full phone (audited as view_pii), as a fragment for htmx."""
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    phone = services.reveal_contact(enterprise, actor=request.user)
    return render(request, "resumption/_contact_phone.html", {"enterprise": enterprise,
                                                              "phone": phone})


@login_required
def enterprise_create(request):
    user = request.user
    if not authz.may_create(user, "enterprises.edit"):
        raise authz.NotAllowed(_("You may not register enterprises. Ask the subdistrict's "
                                 "resumption task force."))
    initial = initial_jurisdiction(request)
    form = EnterpriseForm(request.POST or None, user=user, staff=True, initial=initial)
    return form_page(
        request, form, lambda form: services.save_enterprise(None, form.cleaned_data, actor=user),
        "resumption/enterprise_form.html", done=_enterprise_page, context={"enterprise": None},
        message=lambda saved: _("%(name)s has been registered.") % {"name": saved.name})


def _enterprise_page(enterprise) -> str:
    return reverse("resumption:enterprise-detail", kwargs={"pk": enterprise.pk})


@login_required
def enterprise_edit(request, pk: int):
    user = request.user
    enterprise = get_object_or_404(Enterprise.objects.visible_to(user), pk=pk)
    authz.authorize(user, enterprise, "enterprises.edit",
                    _("You may look at this enterprise but not change it."))
    form = EnterpriseForm(request.POST or None, user=user,
                          staff=services.is_staff_for(user, enterprise),
                          instance=enterprise)
    return form_page(
        request, form,
        lambda form: services.save_enterprise(enterprise, form.cleaned_data, actor=user),
        "resumption/enterprise_form.html", done=_enterprise_page, context={"enterprise": enterprise},
        message=lambda saved: _("Changes to %(name)s have been saved.") % {"name": saved.name})


@login_required
def building_enterprises(request, place_id: int):
    """The enterprises in a building the user may see, for the building's page (empty for a
    user without enterprises, so the places page needs no enterprise code)."""
    user = request.user
    enterprises = []
    if authz.holds(user, "enterprises.view") and Place.objects.visible_to(user).filter(
            pk=place_id).exists():
        enterprises = (Enterprise.objects.visible_to(user).filter(building_id=place_id)
                       .order_by("name")[:200])
    return render(request, "resumption/_building_enterprises.html", {"enterprises": enterprises})


# --- the declaration and its steps ---------------------------------------------------------------

def _enterprise(request, pk: int) -> Enterprise:
    return get_object_or_404(Enterprise.objects.visible_to(request.user)
                             .select_related("jurisdiction", "building"), pk=pk)


def resumption_context(user, enterprise: Enterprise) -> dict:
    """What the enterprise's page shows of its resumption: the declaration of the round,
    what it lacks, the steps the user may take, the history and the on-site reviews."""
    declaration = declaring.open_declaration(enterprise) or declaring.latest_declaration(
        enterprise)
    return {
        "declaration": declaration,
        "missing": [Material(m).label for m in declaring.missing_materials(declaration)]
        if declaration else [],
        "may_declare": enterprise.status in declaring.EDITABLE
        and authz.allows(user, enterprise, "resumption.declare"),
        "actions": declaring.actions_for(user, enterprise),
        "steps": declaring.steps_of(enterprise),
        "reviews": declaring.onsite_reviews(declaration)[:5] if declaration else [],
        "confirmation": enterprise.confirmations.order_by("-issued_at", "-id").first(),
        "open_problems": enterprise.problems.filter(state=ProblemState.OPEN).count(),
        "class_now": classes.compute(enterprise),
        "class_form": ClassForm(initial={"risk_class": enterprise.class_override,
                                         "note": enterprise.class_note})
        if authz.allows(user, enterprise, "resumption.supervise") else None,
        "supervised_by": classes.supervision_subjects(enterprise).first(),
        "liaison_form": LiaisonForm(user=user, initial={"liaison": enterprise.staff_liaison_id})
        if authz.allows(user, enterprise.jurisdiction, "resumption.supervise") else None,
        "contacts": enterprise.contacts.order_by("-held_on", "-id")[:5],
        "may_raise": authz.allows(user, enterprise, "problems.raise"),
    }


@login_required
def declaration_edit(request, pk: int):
    """The enterprise's papers, on a phone: numbers, files, the roster."""
    user = request.user
    enterprise = _enterprise(request, pk)
    authz.authorize(user, enterprise, "resumption.declare", _(
        "You may not fill in this enterprise's declaration. Its liaison does, or the "
        "community's staff on its behalf."))
    declaration = declaring.open_declaration(enterprise)
    have = declaring.documents(declaration) if declaration else {}
    initial = {f: getattr(declaration, f) for f in declaring.DECLARATION_FIELDS} \
        if declaration else {"employees_returning": enterprise.employees or None}
    form = DeclarationForm(request.POST or None, request.FILES or None, initial=initial,
                           materials=declaring.required_materials(enterprise), have=have,
                           roster_rows=declaration.roster_rows if declaration else 0)
    if enterprise.status not in declaring.EDITABLE:
        form.add_error(None, _("The declaration is “%(state)s” and cannot be changed now.")
                       % {"state": enterprise.get_status_display()})
    return form_page(
        request, form, lambda form: declaring.save_declaration(
            enterprise, actor=user, changes=form.changes(), files=form.files_by_material(),
            roster=form.cleaned_data.get("roster")),
        "resumption/declaration_form.html", done=lambda saved: _enterprise_page(enterprise),
        context={"enterprise": enterprise, "declaration": declaration,
                 "missing": [Material(m).label for m in declaring.missing_materials(declaration)]
                 if declaration else []},
        message=_("The declaration has been saved. Submit it when nothing is missing."))


@login_required
def enterprise_step(request, pk: int, action: str):
    """One step of the resumption (submit, return, accept, approve, reject, suspend): a short
    form for its note, then the service."""
    enterprise = _enterprise(request, pk)
    step = declaring.ACTIONS.get(action)
    if step is None:
        raise Http404
    authz.authorize(request.user, enterprise, step.capability(), _(
        "Your role may not take this step of the enterprise's resumption."))
    form = StepForm(request.POST or None, action=step)
    return form_page(
        request, form, lambda form: declaring.take(
            step, enterprise, actor=request.user, note=form.cleaned_data["note"],
            to_fix=form.cleaned_data.get("to_fix", ())),
        "resumption/step_form.html", done=lambda saved: _enterprise_page(enterprise),
        context={"enterprise": enterprise, "step": step, **resumption_context(request.user,
                                                                               enterprise)},
        message=lambda saved: _("Done: %(step)s.") % {"step": step.label})


@login_required
def declaration_roster(request, pk: int):
    """A declaration's health roster, masked, fevers first."""
    declaration = get_object_or_404(Declaration.objects.visible_to(request.user)
                                    .select_related("enterprise"), pk=pk)
    rows = declaration.roster.order_by("-fever", "row")
    return render(request, "resumption/roster.html", {
        "declaration": declaration, "enterprise": declaration.enterprise,
        "page_obj": paginate(request, rows)})


@login_required
def roster_template(request):
    """The health roster's template workbook, with its headers and a note per column."""
    authz.authorize(request.user, Enterprise, "resumption.declare")
    return xlsx.download(template_workbook(READER), f"{_('Employee health roster')}.xlsx")


# --- what resumption asks ----------------------------------------------------------------------

@login_required
def settings_page(request):
    """The materials each category hands in besides the baseline, and the on-site review
    plan of each jurisdiction; changed by whoever holds resumption.configure."""
    user = request.user
    authz.authorize(user, MaterialRequirement, "enterprises.view", _(
        "Your role does not include enterprises. Ask your administrator if you need it."))
    may_configure = authz.may_create(user, "resumption.configure")
    posted = request.POST.get("action") if request.method == "POST" else None
    forms = {}
    if may_configure:
        forms = {"requirement": RequirementForm(request.POST if posted == "requirement" else None,
                                                user=user),
                 "plans": PlansForm(request.POST if posted == "plans" else None, user=user)}
    save = {"requirement": lambda form: services.add_requirement(actor=user, **form.cleaned_data),
            "plans": lambda form: services.set_plans(actor=user, **form.cleaned_data)}
    context = {
        "forms": forms,
        "requirements": MaterialRequirement.objects.visible_to(user).select_related(
            "jurisdiction").order_by("jurisdiction__path", "category", "material"),
        "baseline": [Material(m).label for m in BASELINE_MATERIALS],
        "plans": ResumptionPlans.objects.visible_to(user).select_related(
            "jurisdiction", "onsite_review").order_by("jurisdiction__path"),
    }
    if posted in forms:
        return form_page(request, forms[posted], save[posted], "resumption/settings.html",
                         done=lambda saved: reverse("resumption:settings"), message=_("Saved."),
                         context=context)
    return render(request, "resumption/settings.html", context)


@login_required
@require_POST
def requirement_remove(request, pk: int):
    requirement = get_object_or_404(MaterialRequirement.objects.visible_to(request.user), pk=pk)
    services.remove_requirement(requirement, actor=request.user)
    messages.success(request, _("Removed."))
    return redirect("resumption:settings")


# --- the confirmation ------------------------------------------------------------------------------

@login_required
def confirmation_page(request, number: str):
    """The printable confirmation (A4), with its QR."""
    confirmation = get_object_or_404(Confirmation.objects.visible_to(request.user)
                                     .select_related("enterprise__building", "jurisdiction",
                                                     "issued_by"), number=number)
    return render(request, "resumption/confirmation_print.html", {
        "confirmation": confirmation, "enterprise": confirmation.enterprise,
        "check": confirmations.check(confirmation.qr_text)})


@never_cache
@login_required
def confirmation_check(request):
    """Check a confirmation's QR: in the browser first (the signature against the published
    keys, the revoked numbers last fetched — works offline), then here when posted."""
    authz.authorize(request.user, Enterprise, "enterprises.view", _(
        "Your role does not include enterprises. Ask your administrator if you need it."))
    form = CheckForm(request.POST or None)
    result = confirmations.check(form.cleaned_data["text"]) if form.is_valid() else None
    return render(request, "resumption/confirmation_check.html", {
        "form": form, "result": result,
        "offline": {"keys": [_key_json(k) for k in keys.published()],
                    "revoked": confirmations.revoked_numbers(request.user),
                    "claim": confirmations.CLAIM_CONFIRMATION,
                    "fields": list(confirmations.FIELDS)}})


def _key_json(key) -> dict:
    data = keys.as_json(key)
    return {"kid": data["kid"], "public_key": data["public_key"]}


# --- the work ledger ---------------------------------------------------------------------------

@login_required
def problem_list(request):
    user = request.user
    authz.authorize(user, Problem, "enterprises.view", _(
        "Your role does not include enterprises. Ask your administrator if you need it."))
    rows = (Problem.objects.visible_to(user)
            .select_related("enterprise", "owner", "jurisdiction").order_by("state", "due_on", "id"))
    return list_page(request, ProblemFilter, rows, "resumption/problem_list.html",
                     "resumption/_problem_table.html",
                     export=("problems", ProblemsExporter.capability),
                     context={"can_raise": authz.holds(user, "problems.raise"),
                              "today": timezone.localdate()})


@login_required
def problem_create(request):
    user = request.user
    if not authz.holds(user, "problems.raise"):
        raise authz.NotAllowed(_("You may not raise problems. Ask the subdistrict's staff."))
    initial = {"enterprise": request.GET.get("enterprise", "")}
    manage = authz.may_create(user, "problems.manage")
    form = ProblemForm(request.POST or None, initial=initial, user=user, manage=manage)
    return form_page(
        request, form, lambda form: problems.raise_problem(
            form.cleaned_data["enterprise"], actor=user, kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            **{k: form.cleaned_data.get(k) for k in ("owner", "owner_unit", "due_on")
               if k in form.fields}),
        "resumption/problem_form.html", done=lambda saved: saved,
        message=_("The problem has been recorded."))


@login_required
def problem_detail(request, pk: int):
    """One problem: its thread, and the forms its reader may use (a note; assign, solve or
    reopen for the subdistrict's staff)."""
    user = request.user
    problem = get_object_or_404(Problem.objects.visible_to(user).select_related(
        "enterprise", "owner", "raised_by", "jurisdiction"), pk=pk)
    is_open = problem.state == ProblemState.OPEN
    manage = authz.allows(user, problem.jurisdiction, "problems.manage")
    offered = {
        "note": is_open and authz.allows(user, problem, "problems.raise"),
        "assign": is_open and manage, "solve": is_open and manage, "reopen": not is_open and manage,
    }
    posted = request.POST.get("action") if request.method == "POST" else None
    data = lambda name: request.POST if posted == name else None  # noqa: E731
    forms = {
        "note": TextForm(data("note")),
        "assign": AssignForm(data("assign"), user=user, initial={
            "owner": problem.owner_id, "owner_unit": problem.owner_unit, "due_on": problem.due_on}),
        "solve": TextForm(data("solve"), label=_("Resolution (办结情况)")),
        "reopen": TextForm(data("reopen"), label=_("Why it is open again")),
    }
    forms = {name: form for name, form in forms.items() if offered[name]}
    if posted in forms and forms[posted].is_valid():
        data = forms[posted].cleaned_data
        run = {
            "note": lambda: problems.add_note(problem, actor=user, text=data["text"]),
            "assign": lambda: problems.assign(problem, actor=user, owner=data["owner"],
                                              owner_unit=data["owner_unit"],
                                              due_on=data["due_on"]),
            "solve": lambda: problems.solve(problem, actor=user, resolution=data["text"]),
            "reopen": lambda: problems.reopen(problem, actor=user, note=data["text"]),
        }[posted]
        if through_service(forms[posted], run) is not None:
            messages.success(request, _("Saved."))
            return redirect(problem)
    return render(request, "resumption/problem_detail.html", {
        "problem": problem, "notes": problem.notes.select_related("author"), "forms": forms})


@login_required
@require_POST
def enterprise_class(request, pk: int):
    """Compute the enterprise's class again, or set it by hand with a reason."""
    enterprise = _enterprise(request, pk)
    if request.POST.get("action") == "recompute":
        classes.reclassify(enterprise, actor=request.user)
        messages.success(request, _("The class has been computed again."))
        return redirect(_enterprise_page(enterprise))
    form = ClassForm(request.POST)
    if form.is_valid() and through_service(
            form, classes.override, enterprise, actor=request.user,
            risk_class=form.cleaned_data["risk_class"], note=form.cleaned_data["note"]):
        messages.success(request, _("Saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_enterprise_page(enterprise))


# --- progress ------------------------------------------------------------------------------------

@login_required
def progress_page(request):
    """Resumption progress of a jurisdiction (``?node=``, default the user's own) or a building
    (``?building=``), with its children or buildings side by side."""
    user = request.user
    authz.authorize(user, Enterprise, "enterprises.view", _(
        "Your role does not include enterprises. Ask your administrator if you need it."))
    nodes = Node.objects.visible_to(user, "enterprises.view").order_by("path")
    building = node = None
    if (building_id := request.GET.get("building", "")).isdigit():
        building = get_object_or_404(Place.objects.visible_to(user, "geo.view"),
                                     pk=int(building_id), kind=PlaceKind.BUILDING)
    else:
        if (node_id := request.GET.get("node", "")).isdigit():
            node = get_object_or_404(nodes, pk=int(node_id))
        else:
            node = nodes.first()
    enterprises, problem_rows = progress.scope(user, node=node, building=building)
    figures = progress.figures(enterprises, problem_rows)
    children = progress.by_child(enterprises, node) if node is not None else []
    buildings = progress.by_building(enterprises, node) if node is not None else []
    labels = {s: str(EnterpriseStatus(s).label) for s in progress.STATES}
    return render(request, "resumption/progress.html", {
        "node": node, "building": building, "figures": figures, "children": children,
        "buildings": buildings, "labels": labels, "nodes": nodes[:500],
        "chart": {"labels": labels, "states": figures["states"],
                  "children": [{"name": c.name, "states": s} for c, s, _t, _r in children]},
    })


# --- liaisons, symposiums and visits -----------------------------------------------------------

@login_required
@require_POST
def enterprise_liaison(request, pk: int):
    enterprise = _enterprise(request, pk)
    form = LiaisonForm(request.POST, user=request.user)
    if form.is_valid() and through_service(form, liaisons.assign_liaison, enterprise,
                                           actor=request.user,
                                           liaison=form.cleaned_data["liaison"]):
        messages.success(request, _("Saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_enterprise_page(enterprise))


@login_required
def contact_list(request):
    user = request.user
    authz.authorize(user, Contact, "enterprises.view", _(
        "Your role does not include enterprises. Ask your administrator if you need it."))
    rows = (Contact.objects.visible_to(user).distinct().select_related("recorded_by")
            .prefetch_related("enterprises").order_by("-held_on", "-id"))
    if (enterprise_id := request.GET.get("enterprise", "")).isdigit():
        rows = rows.filter(enterprises=int(enterprise_id))
    return render(request, "resumption/contact_list.html", {
        "page_obj": paginate(request, rows),
        "can_record": authz.may_create(user, "resumption.supervise")})


@login_required
def contact_create(request):
    user = request.user
    if not authz.may_create(user, "resumption.supervise"):
        raise authz.NotAllowed(_("Only the subdistrict's staff record symposiums and visits."))
    initial = {"held_on": timezone.localdate(), "kind": request.GET.get("kind", "visit")}
    if (enterprise_id := request.GET.get("enterprise", "")).isdigit():
        initial["enterprises"] = [int(enterprise_id)]
    form = ContactForm(request.POST or None, initial=initial, user=user)
    return form_page(request, form, lambda form: liaisons.record_contact(
        actor=user, **form.cleaned_data), "resumption/contact_form.html",
        done=lambda saved: reverse("resumption:contact-list"), message=_("Recorded."))


@login_required
def home_panel(request):
    """The home page's resumption panel: a subdistrict liaison's enterprises, or an
    enterprise's own state for its liaison account (empty for anyone else)."""
    user = request.user
    mine = list(liaisons.looked_after(user)[:50]) if authz.holds(user, "enterprises.view") else []
    own = []
    if not mine and authz.holds(user, "resumption.declare") and not authz.may_create(
            user, "enterprises.view"):
        own = list(Enterprise.objects.visible_to(user).order_by("name")[:5])
    rows = [(e, e.problems.filter(state=ProblemState.OPEN).count()) for e in mine or own]
    return render(request, "resumption/_home_panel.html", {"rows": rows, "looked_after": bool(mine)})
