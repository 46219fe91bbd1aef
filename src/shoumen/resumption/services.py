"""State changes for enterprises. Pages and the API both call these."""

from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.services import save_scoped_record, service

from .models import Enterprise


def is_staff_for(user, enterprise: Enterprise) -> bool:
    """True if ``user`` holds enterprises.edit at the enterprise's jurisdiction (not only as
    its liaison), and so may move it or change its status."""
    return authz.allows(user, enterprise.jurisdiction, "enterprises.edit")


@service
def save_enterprise(enterprise: Enterprise | None, changes: dict, *, actor) -> Enterprise:
    """Register (``enterprise=None``) or change an enterprise under a jurisdiction the actor
    may edit. A liaison keeps their enterprise's details current but may not declare it
    resumed: a change of status needs the subdistrict's staff."""
    if enterprise is not None and changes.get("status", enterprise.status) != enterprise.status:
        authz.authorize(actor, enterprise.jurisdiction, "enterprises.edit",
                        _("Only the subdistrict's staff may change an enterprise's status."))
    return save_scoped_record(enterprise or Enterprise(), changes, actor=actor,
                              capability="enterprises.edit")
