"""Fine-grained classification (精细化分类) of enterprises and their supervision (复后监管).

A class comes from the enterprise's facts and findings by rules that each give a class and
a reason; the strictest rule wins and every rule that applied is shown. Staff may override
the class with a note (audited). A resumed enterprise is on the supervision plan of its class
(a plan of enterprises added one by one whose schedule is the class's frequency); a change
of class moves it to the other plan, a suspension takes it off.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.services import service
from shoumen.duties.services import end_duty
from shoumen.inspections import services as inspections
from shoumen.inspections.models import Inspection, PlanSubject, Rectification, RectificationState

from .models import Enterprise, EnterpriseCategory, EnterpriseStatus, ResumptionPlans, RiskClass

# Categories where the public comes close (eating, sleeping, treatment, touch, crowds).
CLOSE_CONTACT = frozenset({EnterpriseCategory.CATERING, EnterpriseCategory.HOTEL,
                           EnterpriseCategory.MEDICAL, EnterpriseCategory.PERSONAL_SERVICES,
                           EnterpriseCategory.ENTERTAINMENT, EnterpriseCategory.EDUCATION})
LARGE, MEDIUM = 100, 30  # employees
BUSY_BUILDING = 10  # enterprises in one building: a business building with high mobility
FINDINGS_DAYS = 14
ORDER = {RiskClass.A: 0, RiskClass.B: 1, RiskClass.C: 2}


def compute(enterprise: Enterprise, today=None) -> tuple[str, list[dict]]:
    """(class, reasons): each reason ``{"class": "A", "text": …}``."""
    today = today or timezone.localdate()
    reasons: list[dict] = []

    def rule(risk: str, text: str) -> None:
        reasons.append({"class": risk, "text": text})

    if enterprise.category in CLOSE_CONTACT:
        rule(RiskClass.A, _("%(category)s: the public comes close") % {
            "category": enterprise.get_category_display()})
    if enterprise.public_facing:
        rule(RiskClass.A if enterprise.employees >= MEDIUM else RiskClass.B,
             _("serves the public"))
    if enterprise.employees >= LARGE:
        rule(RiskClass.A, _("%(n)d employees (%(limit)d or more)") % {
            "n": enterprise.employees, "limit": LARGE})
    elif enterprise.employees >= MEDIUM:
        rule(RiskClass.B, _("%(n)d employees (%(limit)d or more)") % {
            "n": enterprise.employees, "limit": MEDIUM})
    if enterprise.venue_category:
        rule(RiskClass.B, _("a small venue: %(kind)s") % {
            "kind": enterprise.get_venue_category_display()})
    if enterprise.building_id:
        neighbours = Enterprise.objects.filter(building_id=enterprise.building_id).count()
        if neighbours >= BUSY_BUILDING:
            rule(RiskClass.B, _("in %(building)s with %(n)d enterprises (high mobility)") % {
                "building": enterprise.building, "n": neighbours})
    since = today - timedelta(days=FINDINGS_DAYS)
    failed = Inspection.objects.filter(enterprise=enterprise, passed=False,
                                       inspected_at__date__gte=since).count()
    if failed:
        rule(RiskClass.A, _("%(n)d failed inspections in the last %(days)d days") % {
            "n": failed, "days": FINDINGS_DAYS})
    late = Rectification.objects.filter(enterprise=enterprise, deadline__lt=today).exclude(
        state=RectificationState.CLOSED).count()
    if late:
        rule(RiskClass.A, _("%(n)d overdue rectifications") % {"n": late})
    if not reasons:
        rule(RiskClass.C, _("none of the rules for closer supervision applies"))
    return min((r["class"] for r in reasons), key=lambda c: ORDER[c]), reasons


@service
def reclassify(enterprise: Enterprise, *, actor) -> Enterprise:
    """Compute the class now and keep it (and move the supervision if the class that stands
    changed)."""
    authz.authorize(actor, enterprise, "resumption.supervise", _(
        "Only the subdistrict's staff classify enterprises."))
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    enterprise.computed_class, enterprise.class_reasons = compute(enterprise)
    enterprise.save(update_fields=["computed_class", "class_reasons"])
    supervise(enterprise, actor=actor)
    return enterprise


@service
def override(enterprise: Enterprise, *, actor, risk_class: str, note: str) -> Enterprise:
    """Set the class by hand with the reason (``risk_class=""`` goes back to the computed one);
    the supervision follows."""
    authz.authorize(actor, enterprise, "resumption.supervise", _(
        "Only the subdistrict's staff classify enterprises."))
    errors = {}
    if risk_class and risk_class not in RiskClass.values:
        errors["risk_class"] = [_("Choose class A, B or C.")]
    if risk_class and not (note or "").strip():
        errors["note"] = [_("Say why the class differs from the computed one.")]
    if errors:
        raise ValidationError(errors)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    enterprise.class_override = risk_class
    enterprise.class_note = (note or "").strip()[:200] if risk_class else ""
    enterprise.save(update_fields=["class_override", "class_note"])
    supervise(enterprise, actor=actor)
    return enterprise


def _plans(enterprise: Enterprise) -> ResumptionPlans | None:
    return (ResumptionPlans.objects.filter(jurisdiction__in=enterprise.jurisdiction.ancestors())
            .select_related("supervision_a", "supervision_b", "supervision_c")
            .order_by("-jurisdiction__path").first())


def supervision_subjects(enterprise: Enterprise):
    """The enterprise's subjects on its supervision plans whose duty runs."""
    plans = _plans(enterprise)
    if plans is None:
        return PlanSubject.objects.none()
    return (PlanSubject.objects.filter(plan__in=plans.supervision_plans(), enterprise=enterprise,
                                       duty__active=True).select_related("plan", "duty"))


@service
def supervise(enterprise: Enterprise, *, actor) -> PlanSubject | None:
    """Put a resumed enterprise on the supervision plan of its class, off any other; an
    enterprise not resumed comes off them all. None when it is on none (not resumed, no plan
    set for its class)."""
    authz.authorize(actor, enterprise, "resumption.supervise", _(
        "Only the subdistrict's staff classify enterprises."))
    plans = _plans(enterprise)
    wanted = (plans.supervision(enterprise.risk_class)
              if plans and enterprise.status == EnterpriseStatus.RESUMED else None)
    today = timezone.localdate()
    kept = None
    for subject in supervision_subjects(enterprise):
        if wanted is not None and subject.plan_id == wanted.pk:
            kept = subject
        else:
            end_duty(subject.duty, actor=actor, last_day=today)
    if wanted is None or kept is not None:
        return kept
    return inspections.add_enterprise(wanted, enterprise, actor=actor, starts_on=today)
