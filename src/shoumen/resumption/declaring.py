"""The pre-resumption workflow (复工复产): declaration, review of the papers, on-site review,
approval; and suspension of a resumed enterprise.

Every step moves ``Enterprise.status`` along :data:`STATUS_FLOW` (through
:func:`shoumen.core.workflow.advance`, which refuses an illegal step with where the
enterprise stands and what may come next) and writes a :class:`~.models.ResumptionStep`:
who, when, the reasons of a return and the answer to them, and what the papers held when
they were submitted. The on-site review is an inspection (``shoumen.inspections``): an
accepted declaration puts the enterprise on its subdistrict's on-site review plan, and the
inspector records it from their day's list like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import audit, authz, pii
from shoumen.core.services import service
from shoumen.core.workflow import Step, Workflow, advance
from shoumen.duties.services import period_end
from shoumen.evidence.services import attach, prepare_all
from shoumen.inspections import services as inspections
from shoumen.inspections.models import Inspection, PlanSubject
from shoumen.ledgers.attached import check_workbook

from . import classes, confirmations
from .models import (
    BASELINE_MATERIALS,
    DOCUMENT_MATERIALS,
    Declaration,
    DeclarationDocument,
    Enterprise,
    EnterpriseStatus,
    Material,
    MaterialRequirement,
    ResumptionPlans,
    ResumptionStep,
    RosterEmployee,
)
from .roster import READER

# The states in which the enterprise writes its declaration; in the others it is frozen.
EDITABLE = frozenset({EnterpriseStatus.NOT_RESUMED, EnterpriseStatus.RETURNED,
                      EnterpriseStatus.SUSPENDED})
SUPPLY_FIELDS = ("disinfectant_litres", "masks_on_hand", "thermometers")
DECLARATION_FIELDS = ("employees_returning", *SUPPLY_FIELDS, "commitment_signed_by")


# --- the workflow -------------------------------------------------------------------------------------

def _record_step(enterprise, before, after, actor, details) -> ResumptionStep:
    return ResumptionStep.objects.create(
        enterprise=enterprise, declaration=details.get("declaration"), from_state=before,
        to_state=after, actor=actor, note=(details.get("note") or "").strip(),
        to_fix=list(details.get("to_fix") or []), snapshot=details.get("snapshot") or {})


def _reasons_given(enterprise, details) -> dict[str, list[str]]:
    if (details.get("note") or "").strip():
        return {}
    return {"note": [_("Say what the enterprise must fix: the reasons are shown to it.")]}


def _declaration_complete(enterprise, details) -> dict[str, list[str]]:
    declaration = details.get("declaration")
    if declaration is None:
        return {"declaration": [_("Fill in the declaration first.")]}
    return problems_before_submit(declaration)


def _onsite_review_passed(enterprise, details) -> dict[str, list[str]]:
    return onsite_review_problems(details.get("declaration"))


_E = EnterpriseStatus
# Declared by the enterprise (its liaison) or by staff on its behalf; reviewed and approved
# by the subdistrict's staff; suspended after a serious finding, after which it declares again.
STATUS_FLOW = Workflow("status", EnterpriseStatus, [
    Step({_E.NOT_RESUMED, _E.RETURNED, _E.SUSPENDED}, _E.DECLARED, "resumption.declare",
         _declaration_complete),
    Step({_E.DECLARED}, _E.RETURNED, "resumption.review", _reasons_given),
    Step({_E.DECLARED}, _E.ONSITE_REVIEW, "resumption.review"),
    Step({_E.ONSITE_REVIEW}, _E.RESUMED, "resumption.approve", _onsite_review_passed),
    Step({_E.ONSITE_REVIEW}, _E.RETURNED, "resumption.approve", _reasons_given),
    Step({_E.RESUMED}, _E.SUSPENDED, "resumption.supervise", _reasons_given),
], record=_record_step,
    refused=gettext_lazy("Your role may not take this step of the enterprise's resumption."))


# --- what a declaration must hold ---------------------------------------------------------------

def required_materials(enterprise: Enterprise) -> list[str]:
    """The baseline and what the enterprise's jurisdiction and those above it ask of its
    category, in the order of :class:`~.models.Material`."""
    asked = set(MaterialRequirement.objects.filter(
        category=enterprise.category, jurisdiction__in=enterprise.jurisdiction.ancestors(),
    ).values_list("material", flat=True))
    wanted = set(BASELINE_MATERIALS) | asked
    return [m for m in Material.values if m in wanted]


def documents(declaration: Declaration) -> dict[str, DeclarationDocument]:
    """The file now standing for each document material (the newest)."""
    current: dict[str, DeclarationDocument] = {}
    for document in declaration.documents.select_related("evidence").order_by("-added_at", "-id"):
        current.setdefault(document.material, document)
    return current


def held(declaration: Declaration, have: dict | None = None) -> set[str]:
    """The materials the declaration holds."""
    have = documents(declaration) if have is None else have
    found = {m for m in have if m != Material.COMMITMENT}
    if Material.COMMITMENT in have and declaration.commitment_signed_by.strip():
        found.add(Material.COMMITMENT)
    if declaration.roster_rows:
        found.add(Material.HEALTH_ROSTER)
    if declaration.disinfectant_litres and declaration.masks_on_hand:
        found.add(Material.SUPPLIES)
    return found


def missing_materials(declaration: Declaration) -> list[str]:
    holding = held(declaration)
    return [m for m in required_materials(declaration.enterprise) if m not in holding]


def problems_before_submit(declaration: Declaration) -> dict[str, list[str]]:
    """What keeps the declaration from being submitted, by field; {} if nothing."""
    problems: dict[str, list[str]] = {}
    missing = missing_materials(declaration)
    if missing:
        problems["declaration"] = [_("The declaration lacks: %(list)s. Add them and submit "
                                     "again.") % {"list": "、".join(
                                         str(Material(m).label) for m in missing)}]
    if not declaration.employees_returning:
        problems["employees_returning"] = [_("Say how many employees return to work.")]
    return problems


# --- writing the papers ---------------------------------------------------------------------------

def open_declaration(enterprise: Enterprise) -> Declaration | None:
    """The enterprise's declaration of the current round: the newest one not yet resumed
    with, or None (a new one is started when the papers are first saved)."""
    return enterprise.declarations.filter(resumed_at=None).order_by("-created_at", "-id").first()


def latest_declaration(enterprise: Enterprise) -> Declaration | None:
    return enterprise.declarations.order_by("-created_at", "-id").first()


@service
def save_declaration(enterprise: Enterprise, *, actor, changes: dict, files: dict | None = None,
                     roster=None) -> Declaration:
    """Write the enterprise's papers: ``changes`` to the declaration's fields, ``files`` (a
    material → an uploaded PDF or photo; its problems come back on :func:`file_field`) and
    ``roster`` (the health roster workbook, which
    replaces the one before). Everything is checked first — each file, every row of the
    roster — and on any problem nothing is saved. Only while the enterprise is not declared,
    returned or suspended."""
    authz.authorize(actor, enterprise, "resumption.declare", _(
        "You may not fill in this enterprise's declaration. Its liaison does, or the "
        "community's staff on its behalf."))
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if enterprise.status not in EDITABLE:
        raise ValidationError({"declaration": [_(
            "The declaration is “%(state)s” and cannot be changed now; it can be changed again "
            "if it is returned.") % {"state": enterprise.get_status_display()}]})
    errors: dict[str, list[str]] = {}
    files = {m: f for m, f in (files or {}).items() if f}
    for material in set(files) - set(DOCUMENT_MATERIALS):
        errors[file_field(material)] = [_("“%(m)s” is not a material handed in as a file.")
                                        % {"m": material}]
    unknown = set(changes) - set(DECLARATION_FIELDS)
    if unknown:
        raise TypeError(f"not declaration fields: {sorted(unknown)}")
    ready = {}
    try:
        ready = prepare_all({m: f for m, f in files.items() if m in DOCUMENT_MATERIALS})
    except ValidationError as exc:
        errors.update({file_field(m): messages for m, messages in exc.message_dict.items()})
    rows = None
    if roster is not None:
        try:
            rows = check_workbook(roster, READER, user=actor)
        except ValidationError as exc:
            errors["roster"] = exc.messages
    if errors:
        raise ValidationError(errors)
    declaration = open_declaration(enterprise) or Declaration(
        enterprise=enterprise, jurisdiction_id=enterprise.jurisdiction_id)
    for field, value in changes.items():
        setattr(declaration, field, value)
    if rows is not None:
        declaration.roster_rows = len(rows)
        declaration.roster_fevers = sum(1 for r in rows if r.fever)
        declaration.roster_file_name = (getattr(roster, "name", "") or "")[:255]
        audit.note_next_save(declaration, f"roster: {len(rows)} rows")
    declaration.save()
    for material, prepared in ready.items():
        evidence = attach(declaration, prepared, actor=actor, capability="resumption.declare",
                          note=str(Material(material).label))
        DeclarationDocument.objects.create(declaration=declaration, material=material,
                                           evidence=evidence)
    if rows is not None:
        declaration.roster.all().delete()
        RosterEmployee.objects.bulk_create([_employee(declaration, row) for row in rows],
                                           batch_size=500)
    return declaration


def file_field(material: str) -> str:
    """The name a material's file has in forms, requests and errors."""
    return f"file_{material}"


def _employee(declaration: Declaration, row) -> RosterEmployee:
    id_columns = pii.id_number_columns(row.id_number)
    phone_columns = pii.phone_columns(row.phone)
    return RosterEmployee(
        declaration=declaration, row=row.row, name=row.name, id_number_encrypted=id_columns[0],
        id_number_index=id_columns[1], id_number_masked=id_columns[2],
        phone_encrypted=phone_columns[0], phone_index=phone_columns[1],
        phone_masked=phone_columns[2], whereabouts=row.whereabouts,
        temperature=row.temperature, fever=row.fever)


# --- the steps --------------------------------------------------------------------------------------

def _locked(enterprise: Enterprise) -> Enterprise:
    return Enterprise.objects.select_for_update().get(pk=enterprise.pk)


def snapshot(declaration: Declaration) -> dict:
    """What the papers held at a submission, for the history (no personal data)."""
    have = documents(declaration)
    return {
        "employees_returning": declaration.employees_returning,
        "disinfectant_litres": str(declaration.disinfectant_litres or ""),
        "masks_on_hand": declaration.masks_on_hand, "thermometers": declaration.thermometers,
        "commitment_signed_by": declaration.commitment_signed_by,
        "roster_rows": declaration.roster_rows, "roster_fevers": declaration.roster_fevers,
        "documents": {m: d.evidence_id for m, d in have.items()},
    }


@service
def submit(enterprise: Enterprise, *, actor, note: str = "") -> Declaration:
    """Hand the papers in for review; ``note`` answers a return's reasons. Refused, saying
    what is missing, while a required material is not there."""
    enterprise = _locked(enterprise)
    declaration = open_declaration(enterprise)
    details = {"declaration": declaration}
    if declaration is not None:
        details["snapshot"] = snapshot(declaration)
    advance(enterprise, STATUS_FLOW, EnterpriseStatus.DECLARED, actor=actor,
            note=note, **details)
    declaration.submitted_at = timezone.now()
    declaration.save(update_fields=["submitted_at", "updated_at"])
    return declaration


@service
def return_papers(enterprise: Enterprise, *, actor, note: str, to_fix=()) -> ResumptionStep:
    """Send the papers back with what to fix (``note``, shown to the enterprise, and the
    materials concerned); it corrects them and submits again."""
    enterprise = _locked(enterprise)
    _only_from(enterprise, "return")
    return advance(enterprise, STATUS_FLOW, EnterpriseStatus.RETURNED, actor=actor,
                   note=note, declaration=open_declaration(enterprise),
                   to_fix=_materials(to_fix))


@service
def accept_papers(enterprise: Enterprise, *, actor, note: str = "") -> PlanSubject:
    """Accept the papers for the on-site review: the enterprise goes on its subdistrict's
    on-site review plan for one window of the plan's schedule, on the list of the plan's
    inspector with the fewest such reviews."""
    enterprise = _locked(enterprise)
    declaration = open_declaration(enterprise)
    plans = plans_for(enterprise)
    errors = {}
    if plans is None:
        errors["plan"] = [_("No on-site review plan is set for %(node)s. Set one on the "
                            "resumption settings page first.") % {"node": enterprise.jurisdiction}]
    advance(enterprise, STATUS_FLOW, EnterpriseStatus.ONSITE_REVIEW, actor=actor,
            note=note, errors=errors, declaration=declaration)
    declaration.accepted_at = timezone.now()
    declaration.save(update_fields=["accepted_at", "updated_at"])
    plan = plans.onsite_review
    today = timezone.localdate()
    return inspections.add_enterprise(plan, enterprise, actor=actor, starts_on=today,
                                      ends_on=period_end(today, frequency=plan.frequency,
                                                         interval_days=plan.interval_days))


@service
def approve(enterprise: Enterprise, *, actor, note: str = "") -> Declaration:
    """Allow the enterprise to resume: only after an on-site review made since the papers
    were accepted has passed. Issues its confirmation (复工确认书), classifies it and puts it
    on its class's supervision plan."""
    enterprise = _locked(enterprise)
    declaration = open_declaration(enterprise)
    advance(enterprise, STATUS_FLOW, EnterpriseStatus.RESUMED, actor=actor,
            note=note, declaration=declaration)
    declaration.resumed_at = timezone.now()
    declaration.save(update_fields=["resumed_at", "updated_at"])
    confirmations.issue(declaration, actor=actor)
    classes.reclassify(enterprise, actor=actor)  # and onto its class's supervision
    return declaration


@service
def reject(enterprise: Enterprise, *, actor, note: str, to_fix=()) -> ResumptionStep:
    """Refuse resumption after the on-site review, saying what to fix; the enterprise
    corrects it and declares again."""
    enterprise = _locked(enterprise)
    _only_from(enterprise, "reject")
    return advance(enterprise, STATUS_FLOW, EnterpriseStatus.RETURNED, actor=actor,
                   note=note, declaration=open_declaration(enterprise),
                   to_fix=_materials(to_fix))


@service
def suspend(enterprise: Enterprise, *, actor, note: str) -> ResumptionStep:
    """Stop a resumed enterprise (a serious finding), with the reasons; its confirmation is
    revoked, and it comes back only through a new declaration and its review."""
    enterprise = _locked(enterprise)
    step = advance(enterprise, STATUS_FLOW, EnterpriseStatus.SUSPENDED, actor=actor,
                   note=note, declaration=latest_declaration(enterprise))
    confirmations.revoke(enterprise, reason=_("suspended: %(why)s") % {"why": note.strip()})
    classes.supervise(enterprise, actor=actor)  # off the supervision plans
    return step


def _only_from(enterprise: Enterprise, name: str) -> None:
    """Refuse ``name`` outside its own states, where another step has the same target (a
    return of the papers and a rejection after the on-site review both send them back)."""
    action = ACTIONS[name]
    if enterprise.status in action.sources:
        return
    choices = "、".join(f"“{a.label}”" for a in ACTIONS.values() if enterprise.status in a.sources)
    raise ValidationError({"status": [
        _("From “%(state)s” the next step can only be %(choices)s, not “%(action)s”.")
        % {"state": enterprise.get_status_display(), "choices": choices, "action": action.label}
        if choices else _("“%(state)s” is final: no step can follow it.")
        % {"state": enterprise.get_status_display()}]})


def _materials(values) -> list[str]:
    return [m for m in Material.values if m in set(values or ())]


# --- the on-site review -----------------------------------------------------------------------------

def plans_for(enterprise: Enterprise) -> ResumptionPlans | None:
    """The resumption plans of the nearest jurisdiction above the enterprise that has them."""
    return (ResumptionPlans.objects.filter(jurisdiction__in=enterprise.jurisdiction.ancestors())
            .select_related("onsite_review").order_by("-jurisdiction__path").first())


def onsite_reviews(declaration: Declaration):
    """The inspections of the enterprise on its on-site review plan since the papers were
    accepted, newest first."""
    plans = plans_for(declaration.enterprise)
    if plans is None or declaration.accepted_at is None:
        return Inspection.objects.none()
    return (Inspection.objects.filter(subject__plan=plans.onsite_review,
                                      enterprise=declaration.enterprise,
                                      inspected_at__gte=declaration.accepted_at)
            .select_related("inspector").order_by("-inspected_at", "-id"))


def onsite_review_problems(declaration: Declaration | None) -> dict[str, list[str]]:
    if declaration is None:
        return {"declaration": [_("The enterprise has no declaration to approve.")]}
    review = onsite_reviews(declaration).first()
    if review is None:
        return {"onsite_review": [_("No on-site review has been recorded since the papers were "
                                    "accepted; the inspector records it from their list.")]}
    if not review.passed:
        return {"onsite_review": [_("The on-site review of %(date)s failed on %(n)d items. "
                                    "Reject with what to fix, or wait for a new review.")
                                  % {"date": timezone.localtime(review.inspected_at)
                                     .strftime("%Y-%m-%d %H:%M"), "n": len(review.failed)}]}
    return {}


def steps_of(enterprise: Enterprise):
    """The enterprise's history, oldest first."""
    return enterprise.steps.select_related("actor").order_by("at", "id")


def awaiting(user, status: str):
    """Enterprises ``user`` may see in ``status`` (a review queue), oldest registered first."""
    return (Enterprise.objects.visible_to(user).filter(status=status)
            .select_related("jurisdiction", "building").order_by("pk"))



# --- the steps as a user sees them -------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """One step as the pages and the API offer it: its name in URLs, its button, the service
    it calls, the states it starts from, and whether it asks for reasons and materials."""

    name: str
    label: str
    run: Callable
    sources: frozenset
    target: str
    reasons: bool = False

    def capability(self) -> str:
        return next(s.capability for s in STATUS_FLOW.steps
                    if s.target == self.target and self.sources <= s.sources)


_S = EnterpriseStatus
ACTIONS = {a.name: a for a in (
    Action("submit", gettext_lazy("Submit the declaration"), submit,
           frozenset({_S.NOT_RESUMED, _S.RETURNED, _S.SUSPENDED}), _S.DECLARED),
    Action("return", gettext_lazy("Return the papers"), return_papers, frozenset({_S.DECLARED}),
           _S.RETURNED, reasons=True),
    Action("accept", gettext_lazy("Accept for the on-site review"), accept_papers,
           frozenset({_S.DECLARED}), _S.ONSITE_REVIEW),
    Action("approve", gettext_lazy("Approve resumption"), approve,
           frozenset({_S.ONSITE_REVIEW}), _S.RESUMED),
    Action("reject", gettext_lazy("Reject, with what to fix"), reject,
           frozenset({_S.ONSITE_REVIEW}), _S.RETURNED, reasons=True),
    Action("suspend", gettext_lazy("Suspend"), suspend, frozenset({_S.RESUMED}), _S.SUSPENDED,
           reasons=True),
)}


def actions_for(user, enterprise: Enterprise) -> list[Action]:
    """The steps ``user`` may take on the enterprise now."""
    return [a for a in ACTIONS.values() if enterprise.status in a.sources
            and authz.allows(user, enterprise, a.capability())]


@service
def take(action: Action, enterprise: Enterprise, *, actor, note: str = "", to_fix=()):
    """Run ``action``'s service with what its form or request gave."""
    authz.authorize(actor, enterprise, action.capability(), STATUS_FLOW.refused)
    kwargs = {"note": note}
    if action.name in ("return", "reject"):
        kwargs["to_fix"] = to_fix
    return action.run(enterprise, actor=actor, **kwargs)
