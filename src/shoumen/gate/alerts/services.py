"""Following a fever alert up, step by step along ``FeverAlert.stage_flow``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shoumen.core.services import service
from shoumen.core.workflow import advance

from ..entries.temperature import parse_temperature
from .models import FeverAlert, FeverFollowUp, FeverStage

NOTE_MAX_LENGTH = FeverFollowUp._meta.get_field("note").max_length


def next_steps(alert: FeverAlert) -> list[FeverStage]:
    """The steps that may follow the alert's current stage (``FeverAlert.stage_flow``)."""
    return [FeverStage(stage) for stage in FeverAlert.stage_flow.next_states(alert)]


@service
def follow_up(alert: FeverAlert, *, actor, stage: str, temperature=None, clinic: str = "",
              note: str = "") -> FeverFollowUp:
    """Record the next step of a fever alert's follow-up, by ``actor``, along
    ``FeverAlert.stage_flow``.

    Re-measuring needs the new temperature (within ``settings.TEMPERATURE_RANGE_C``); sending
    to a fever clinic needs the clinic's name (``clinic``; a caller with only ``note`` may
    name it there); clearing closes the alert. Steps go forward only; nothing follows a
    closed alert. Raises NotAllowed outside the actor's ``gate.alerts`` jurisdiction,
    ValidationError by field for bad input (all problems at once); writes nothing then.
    The alert's change is audited.
    """
    alert = FeverAlert.objects.select_for_update().get(pk=alert.pk)
    errors: dict[str, list[str]] = {}
    temp = None
    if temperature not in (None, ""):
        try:
            temp = parse_temperature(temperature)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    clinic, note = (clinic or "").strip(), (note or "").strip()
    if stage == FeverStage.SENT_TO_CLINIC:
        if not clinic:
            clinic, note = note, ""
    else:
        clinic = ""
    text = " — ".join(part for part in (clinic, note) if part)
    if len(text) > NOTE_MAX_LENGTH:
        errors["note"] = [_("Keep the note to %(max)d characters (it has %(n)d).")
                          % {"max": NOTE_MAX_LENGTH, "n": len(text)}]
    return advance(alert, FeverAlert.stage_flow, stage, actor=actor, note=text, errors=errors,
                   temperature=temp, clinic=clinic)
