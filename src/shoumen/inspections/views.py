"""The inspection pages: the day's list on the phone, inspecting a subject, the records, the
rectifications (answered by the party, re-inspected by an inspector) and the plans."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import authz
from shoumen.core.views import add_service_errors, form_page, input_types, list_page
from shoumen.evidence.services import of_record

from . import services
from .filters import InspectionFilter, PlanFilter, RectificationFilter
from .forms import ANSWER, PHOTO, AnswerForm, InspectionForm, PlanForm, ReinspectForm
from .models import Inspection, InspectionPlan, PlanSubject, Rectification, RectificationState

NO_INSPECTIONS = gettext_lazy("Your role does not include inspections. Ask your administrator "
                              "if you need it.")


@login_required
def today(request):
    """The morning list: today's inspections of the user's duties, the overdue ones of the
    last week, and the rectifications waiting for them."""
    user = request.user
    authz.authorize(user, Inspection, "inspections.view", NO_INSPECTIONS)
    now = timezone.now()
    windows = list(services.todays_windows(user))
    for window in windows:
        window.passed = window.state == "due" and window.ends_at <= now
    overdue = services.overdue_windows(user).filter(day__lt=timezone.localdate())[:50]
    waiting = (Rectification.objects.visible_to(user).exclude(state=RectificationState.CLOSED)
               .select_related("subject").order_by("deadline", "id"))
    return render(request, "inspections/today.html", {
        "windows": windows, "overdue": overdue, "now": now,
        "waiting": waiting[:20], "waiting_count": waiting.count(),
        "escalated": services.escalated_to(user).select_related("subject")[:20],
        "can_plan": authz.may_create(user, "inspections.manage"),
    })


@login_required
def inspect(request, pk: int):
    """An inspection of one subject: the checklist, photos, the on-site signature."""
    subject = get_object_or_404(PlanSubject.objects.visible_to(request.user, "inspections.record")
                                .select_related("plan__checklist"), pk=pk)
    version = subject.plan.checklist.current()
    form = InspectionForm(request.POST or None, request.FILES or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.record_inspection(
                subject, actor=request.user, answers=form.answers(), photos=form.item_photos(),
                signed_by=form.cleaned_data["signed_by"], remarks=form.cleaned_data["remarks"])
        except ValidationError as exc:
            for key, problems in exc.message_dict.items():
                form.add_service_error(key, problems)
        else:
            opened = inspection.rectifications.count()
            messages.success(request, _("Inspection of %(subject)s saved.") % {"subject": subject}
                             + (" " + _("%(n)s rectifications opened.") % {"n": opened}
                                if opened else ""))
            return redirect("inspections:today")
    rows = [(item, form[ANSWER + item.key] if ANSWER + item.key in form.fields else None,
             form[PHOTO + item.key] if PHOTO + item.key in form.fields else None)
            for item in form.items]
    return render(request, "inspections/inspect.html", {
        "subject": subject, "version": version, "form": form, "rows": rows})


@login_required
def inspection_list(request):
    user = request.user
    authz.authorize(user, Inspection, "inspections.view", NO_INSPECTIONS)
    inspections = (Inspection.objects.visible_to(user)
                   .select_related("subject", "inspector", "jurisdiction"))
    return _list(request, InspectionFilter, inspections, "records", _("Inspection records"),
                 "inspections:inspection-list", "inspections/_inspection_table.html",
                 adjust=input_types(day="date"), export=("inspections", "inspections.view"))


@login_required
def inspection_detail(request, pk: int):
    inspection = get_object_or_404(Inspection.objects.visible_to(request.user).select_related(
        "subject__plan", "inspector", "version__checklist"), pk=pk)
    failed = set(inspection.failed)
    answers = [(item, inspection.answers.get(item.key), item.key in failed)
               for item in inspection.version.items.all()]
    plan = inspection.subject.plan
    return render(request, "inspections/inspection_detail.html", {
        # a community's staff or a liaison sees the record, not always the subdistrict's plan
        "plan_url": plan.get_absolute_url() if InspectionPlan.objects.visible_to(
            request.user).filter(pk=plan.pk).exists() else None,
        "inspection": inspection, "answers": answers, "evidence": of_record(inspection),
        "rectifications": inspection.rectifications.all()})


@login_required
def rectification_list(request):
    user = request.user
    authz.authorize(user, Rectification, "inspections.view", NO_INSPECTIONS)
    rectifications = (Rectification.objects.visible_to(user)
                      .select_related("subject", "jurisdiction").order_by("state", "deadline", "id"))
    return _list(request, RectificationFilter, rectifications, "rectifications",
                 _("Rectifications"), "inspections:rectification-list",
                 "inspections/_rectification_table.html",
                 export=("rectifications", "inspections.view"))


@login_required
def rectification_detail(request, pk: int):
    """One rectification: its rounds and evidence, the party's answer form and the
    inspector's re-inspection form, each for whoever may use it."""
    user = request.user
    rectification = get_object_or_404(Rectification.objects.visible_to(user).select_related(
        "subject", "inspection", "task_force"), pk=pk)
    is_open = rectification.state != RectificationState.CLOSED
    may_answer = is_open and authz.allows(user, rectification, "rectifications.answer")
    may_reinspect = is_open and authz.allows(user, rectification, "inspections.record")
    posted = request.POST.get("action") if request.method == "POST" else None
    answer_form = AnswerForm(request.POST if posted == "answer" else None,
                             request.FILES if posted == "answer" else None)
    reinspect_form = ReinspectForm(request.POST if posted == "reinspect" else None,
                                   request.FILES if posted == "reinspect" else None)
    form = {"answer": answer_form, "reinspect": reinspect_form}.get(posted)
    if form is not None and form.is_valid():
        try:
            _act(rectification, posted, form, user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(rectification)
    return render(request, "inspections/rectification_detail.html", {
        "rectification": rectification,
        "steps": rectification.steps.select_related("by"),
        "evidence": of_record(rectification),
        # the photo of the failed item taken at the inspection, beside the party's answers
        "found": of_record(rectification.inspection).filter(note=rectification.item_text),
        "answer_form": answer_form if may_answer else None,
        "reinspect_form": reinspect_form if may_reinspect else None,
    })


def _act(rectification, action: str, form, user):
    data = form.cleaned_data
    if action == "answer":
        return services.answer(rectification, actor=user, note=data["note"], files=data["files"])
    return services.reinspect(rectification, actor=user, passed=data["outcome"] == "passed",
                              note=data["note"], deadline=data["deadline"], files=data["files"])


@login_required
def plan_list(request):
    user = request.user
    authz.authorize(user, InspectionPlan, "inspections.view", NO_INSPECTIONS)
    plans = InspectionPlan.objects.visible_to(user).select_related("jurisdiction", "team",
                                                                   "checklist")
    return _list(request, PlanFilter, plans, "plans", _("Inspection plans"),
                 "inspections:plan-list", "inspections/_plan_table.html",
                 can_plan=authz.may_create(user, "inspections.manage"))


def _list(request, filterset_class, rows, active: str, heading: str, url_name: str, table: str,
          *, adjust=None, export=None, **extra):
    """The three inspection lists share one page (``list.html``) around their own table."""
    return list_page(request, filterset_class, rows, "inspections/list.html", table,
                     adjust=adjust, export=export, context={
                         "heading": heading, "active": active, "table": table,
                         "list_url": reverse(url_name), **extra})


@login_required
def plan_detail(request, pk: int):
    user = request.user
    plan = get_object_or_404(InspectionPlan.objects.visible_to(user).select_related(
        "team", "task_force", "checklist", "building", "area"), pk=pk)
    may_manage = authz.allows(user, plan, "inspections.manage")
    if request.method == "POST" and may_manage:
        try:
            added = services.add_new_subjects(plan, actor=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s new subjects added.") % {"n": added})
        return redirect(plan)
    today = timezone.localdate()
    subjects = list(plan.subjects.select_related("duty__owner").order_by("name"))
    states = dict(plan.subjects.filter(duty__duty_windows__day=today)
                  .values_list("pk", "duty__duty_windows__state"))
    for subject in subjects:
        subject.today = states.get(subject.pk)
    return render(request, "inspections/plan_detail.html", {
        "plan": plan, "subjects": subjects, "may_manage": may_manage,
        "members": plan.team.memberships.select_related("user")})


@login_required
def plan_new(request):
    user = request.user
    authz.authorize(user, InspectionPlan, "inspections.manage",
                    _("Your role does not include planning inspections. Ask your administrator."))
    form = PlanForm(request.POST or None, user=user)

    def save(form):
        data = {k: v for k, v in form.cleaned_data.items() if k != "jurisdiction"}
        return services.create_plan(actor=user, jurisdiction=form.cleaned_data["jurisdiction"],
                                    **data)

    return form_page(request, form, save, "inspections/plan_form.html", done=lambda plan: plan,
                     message=lambda plan: _("Plan “%(plan)s” set up with %(n)s subjects.") % {
                         "plan": plan, "n": plan.subjects.count()})


@login_required
def enterprise_panel(request, pk: int):
    """The panel on an enterprise's page: its last inspection and its rectifications not
    closed (for the staff who supervise it and its liaison); empty when there are none the
    user sees."""
    user = request.user
    inspections = Inspection.objects.visible_to(user).filter(enterprise_id=pk)
    last = inspections.order_by("-inspected_at", "-id").first()
    open_ones = list(Rectification.objects.visible_to(user).filter(enterprise_id=pk)
                     .exclude(state=RectificationState.CLOSED).order_by("deadline", "id")[:20])
    if last is None and not open_ones:
        return HttpResponse("")
    return render(request, "inspections/_enterprise_panel.html", {
        "last": last, "open": open_ones, "enterprise_id": pk})
