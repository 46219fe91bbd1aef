"""State changes for enterprises. Pages and the API both call these."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shoumen.core import audit, authz
from shoumen.core.models import AuditAction
from shoumen.core.services import save_scoped_record, service
from shoumen.inspections.models import InspectionPlan, SubjectSource

from .models import BASELINE_MATERIALS, Enterprise, MaterialRequirement, ResumptionPlans


@service
def reveal_contact(enterprise: Enterprise, *, actor) -> str:
    """The contact's full phone for someone who may change the enterprise (its staff, its
    liaison); the read is audited."""
    authz.authorize(actor, enterprise, "enterprises.edit", _(
        "You may not see the contact's full number. Ask the subdistrict's staff."))
    audit.record(AuditAction.VIEW_PII, enterprise, note="contact_phone")
    return enterprise.contact_phone


def is_staff_for(user, enterprise: Enterprise) -> bool:
    """True if ``user`` holds enterprises.edit at the enterprise's jurisdiction (not only as
    its liaison), and so may move it or change its status."""
    return authz.allows(user, enterprise.jurisdiction, "enterprises.edit")


@service
def save_enterprise(enterprise: Enterprise | None, changes: dict, *, actor) -> Enterprise:
    """Register (``enterprise=None``) or change an enterprise under a jurisdiction the actor
    may edit. Its status is not among the changes: it moves only through the declaration's
    steps (:mod:`.declaring`)."""
    if "status" in changes:
        raise TypeError("an enterprise's status moves only through shoumen.resumption.declaring")
    flag = changes.get("key_enterprise")
    if enterprise is not None and flag is not None and flag != enterprise.key_enterprise \
            and not is_staff_for(actor, enterprise):
        raise ValidationError({"key_enterprise": [_(
            "Only the subdistrict's staff name a key enterprise.")]})
    return save_scoped_record(enterprise or Enterprise(), dict(changes), actor=actor,
                              capability="enterprises.edit")


# --- what the resumption asks, and with which plans ------------------------------------------------

@service
def add_requirement(*, actor, jurisdiction, category: str, material: str,
                    note: str = "") -> MaterialRequirement:
    """Ask enterprises of ``category`` under ``jurisdiction`` for ``material`` as well."""
    authz.authorize(actor, jurisdiction, "resumption.configure", _(
        "You may not set what enterprises in %(node)s hand in.") % {"node": jurisdiction},
        field="jurisdiction")
    if material in BASELINE_MATERIALS:
        raise ValidationError({"material": [_("Every enterprise hands this in already.")]})
    if MaterialRequirement.objects.filter(jurisdiction=jurisdiction, category=category,
                                          material=material).exists():
        raise ValidationError({"material": [_("%(node)s already asks this of the category.")
                                            % {"node": jurisdiction}]})
    requirement = MaterialRequirement(jurisdiction=jurisdiction, category=category,
                                      material=material, note=(note or "").strip())
    requirement.full_clean()
    requirement.save()
    return requirement


@service
def remove_requirement(requirement: MaterialRequirement, *, actor) -> None:
    """Stop asking for it (declarations already submitted keep what they hold)."""
    authz.authorize(actor, requirement.jurisdiction, "resumption.configure", _(
        "You may not change what enterprises in %(node)s hand in.")
        % {"node": requirement.jurisdiction})
    requirement.delete()


@service
def set_plans(*, actor, jurisdiction, onsite_review: InspectionPlan, supervision_a=None,
              supervision_b=None, supervision_c=None) -> ResumptionPlans:
    """Name the plans of ``jurisdiction``'s resumption: the on-site review's and, per class,
    the supervision visits' — each a plan of enterprises added one by one, of that
    jurisdiction or above. Enterprises already supervised stay on their plans until their
    class is computed again."""
    authz.authorize(actor, jurisdiction, "resumption.configure", _(
        "You may not set the resumption plans of %(node)s.") % {"node": jurisdiction},
        field="jurisdiction")
    chosen = {"onsite_review": onsite_review, "supervision_a": supervision_a,
              "supervision_b": supervision_b, "supervision_c": supervision_c}
    errors = {}
    for field, plan in chosen.items():
        if plan is None and field != "onsite_review":
            continue
        if plan is None or plan.source != SubjectSource.ENTERPRISES or not plan.active \
                or not plan.jurisdiction.contains(jurisdiction):
            errors[field] = [_("Choose an active plan of enterprises added one by one that "
                               "covers %(node)s.") % {"node": jurisdiction}]
    if errors:
        raise ValidationError(errors)
    plans, _created = ResumptionPlans.objects.update_or_create(jurisdiction=jurisdiction,
                                                               defaults=chosen)
    return plans
