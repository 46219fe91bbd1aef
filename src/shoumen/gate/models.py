"""The gate's models, defined concept by concept and gathered here for Django and callers:
checkpoints and their devices (:mod:`.checkpoints.models`), resident passes and their signing
keys (:mod:`.passes.models`), entries and refusals (:mod:`.entries.models`), fever alerts and
their follow-up (:mod:`.alerts.models`)."""

from .alerts.models import FEVER_CLOSED_STAGES, FeverAlert, FeverFollowUp, FeverStage
from .checkpoints.models import (
    GUARD_ROLES,
    Checkpoint,
    CheckpointDevice,
    CheckpointQuerySet,
    DeviceRevocation,
)
from .entries.models import (
    ENTRY_ROW_FIELDS,
    Direction,
    Entry,
    Method,
    Refusal,
    RefusalReason,
)
from .passes.models import ResidentPass

__all__ = [
    "ENTRY_ROW_FIELDS", "FEVER_CLOSED_STAGES", "GUARD_ROLES", "Checkpoint", "CheckpointDevice",
    "CheckpointQuerySet", "DeviceRevocation", "Direction", "Entry", "FeverAlert", "FeverFollowUp",
    "FeverStage", "Method", "Refusal", "RefusalReason", "ResidentPass",
]
