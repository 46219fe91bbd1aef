"""State changes for enterprises. Pages and the API both call these."""

from shoumen.core.services import save_scoped_record

from .models import Enterprise


def save_enterprise(enterprise: Enterprise | None, changes: dict, *, actor) -> Enterprise:
    """Register (``enterprise=None``) or change an enterprise under a jurisdiction the actor
    may edit. Who may change which field (a liaison not the status) is the caller's check."""
    return save_scoped_record(enterprise or Enterprise(), changes, actor=actor,
                              capability="enterprises.edit")
