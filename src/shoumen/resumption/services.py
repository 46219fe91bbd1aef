"""State changes for enterprises. Pages and the API both call these."""

from django.utils.translation import gettext as _

from shoumen.core import audit, authz
from shoumen.core.models import AuditAction
from shoumen.core.services import save_scoped_record, service
from shoumen.core.workflow import advance

from .models import Enterprise


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
    may edit. Its status moves along ``Enterprise.status_flow``: only the subdistrict's staff
    move it (a liaison keeps their enterprise's details current but never declares it
    resumed), and only by the steps the workflow allows."""
    changes = dict(changes)
    status = changes.pop("status", None)
    if enterprise is None:
        if status is not None:
            changes["status"] = status  # where a new record starts
        return save_scoped_record(Enterprise(), changes, actor=actor,
                                  capability="enterprises.edit")
    saved = save_scoped_record(enterprise, changes, actor=actor, capability="enterprises.edit")
    if status is not None and status != saved.status:
        advance(saved, Enterprise.status_flow, status, actor=actor)
    return saved
