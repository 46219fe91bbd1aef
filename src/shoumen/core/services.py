"""State changes shared by several apps."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _


@transaction.atomic
def save_scoped_record(record, changes: dict, *, actor, capability: str):
    """Create or change a record that hangs off a jurisdiction (a place, an enterprise).

    Applies ``changes``, refuses a jurisdiction where ``actor`` lacks ``capability``, runs the
    model's validation and saves — all or nothing. The save is audited by the model's signals.
    """
    from shoumen.geo.models import Node

    target = changes.get("jurisdiction")
    moving = target is not None and (record.pk is None or target.pk != record.jurisdiction_id)
    if moving and not Node.objects.visible_to(actor, capability).filter(pk=target.pk).exists():
        raise ValidationError({"jurisdiction": _("You cannot file records under %(node)s.")
                                   % {"node": target}})
    for field, value in changes.items():
        setattr(record, field, value)
    record.full_clean()
    record.save()
    return record
