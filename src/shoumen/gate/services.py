"""State changes at the gate other than passes (:mod:`.passes`) and registration
(:mod:`.registration`): checkpoints, their guards and devices, fever alerts and retention.
Pages, the API, demo data and commands all go through these."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import audit
from shoumen.core.models import AuditAction
from shoumen.core.scoping import scope_for

from .models import (
    Checkpoint,
    CheckpointDevice,
    Entry,
    FeverAlert,
    FeverFollowUp,
    FeverStage,
    Refusal,
)
from .registration import parse_temperature

# --- Checkpoints, guards and devices ---------------------------------------------------------


def registrable_checkpoints(user):
    """Checkpoints where ``user`` may register entries: those they guard, and every checkpoint
    in the subtree where they manage the gate (community staff standing in)."""
    guarded = Checkpoint.objects.visible_to(user, "gate.register").filter(active=True)
    if scope_for(user).is_global:
        return guarded
    managed = Checkpoint.objects.visible_to(user, "gate.manage").values("pk")
    return guarded.filter(guards=user) | guarded.filter(pk__in=managed)


@transaction.atomic
def create_checkpoint(*, actor, jurisdiction, name: str, building=None, address: str = "",
                      guards=()) -> Checkpoint:
    """A new checkpoint at ``jurisdiction`` (a lobby names its ``building``)."""
    from shoumen.geo.models import Place, PlaceKind
    from shoumen.geo.services import save_place

    place = save_place(Place(kind=PlaceKind.CHECKPOINT),
                       {"jurisdiction": jurisdiction, "name": name, "building": building,
                        "address": address}, actor=actor)
    checkpoint = Checkpoint.objects.get(place=place)  # made by the place's post_save
    if guards:
        set_guards(checkpoint, guards, actor=actor)
    return checkpoint


def set_guards(checkpoint: Checkpoint, users, *, actor) -> None:
    """Replace the checkpoint's guards (audited as a many-to-many change)."""
    _require(actor, checkpoint, "gate.manage")
    checkpoint.guards.set(users)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def register_device(checkpoint: Checkpoint, *, actor, name: str) -> tuple[CheckpointDevice, str]:
    """Register a guard's phone to ``checkpoint``; returns the device and its token, which is
    shown once and never stored in clear."""
    if not registrable_checkpoints(actor).filter(pk=checkpoint.pk).exists():
        raise PermissionError("not a guard of this checkpoint")
    name = (name or "").strip() or _("Phone")
    token = "smd_" + secrets.token_urlsafe(32)
    device = CheckpointDevice.objects.create(checkpoint=checkpoint, name=name[:60],
                                             token_digest=_token_digest(token),
                                             registered_by=actor)
    return device, token


@transaction.atomic
def revoke_device(device: CheckpointDevice, *, actor) -> CheckpointDevice:
    _require(actor, device.checkpoint, "gate.manage")
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
    return device


def device_for_token(token: str) -> CheckpointDevice | None:
    """The live device holding ``token``, or None (unknown or revoked)."""
    if not token or not token.startswith("smd_"):
        return None
    return (CheckpointDevice.objects.select_related("checkpoint__place", "registered_by")
            .filter(token_digest=_token_digest(token), revoked_at=None,
                    checkpoint__active=True).first())


def _require(actor, checkpoint: Checkpoint, capability: str) -> None:
    if not Checkpoint.objects.visible_to(actor, capability).filter(pk=checkpoint.pk).exists():
        raise PermissionError(f"{capability} not held at {checkpoint}")


# --- Fever alerts ----------------------------------------------------------------------------


FOLLOW_UP_STEPS = {
    FeverStage.OPEN: {FeverStage.REMEASURED, FeverStage.SENT_TO_CLINIC, FeverStage.CLEARED},
    FeverStage.REMEASURED: {FeverStage.REMEASURED, FeverStage.SENT_TO_CLINIC,
                            FeverStage.CLEARED},
    FeverStage.SENT_TO_CLINIC: {FeverStage.CLEARED},
    FeverStage.CLEARED: set(),
}


@transaction.atomic
def follow_up(alert: FeverAlert, *, actor, stage: str, temperature=None,
              note: str = "") -> FeverFollowUp:
    """Record a follow-up step. Re-measuring needs the new temperature; sending to a clinic
    needs which clinic (in the note); clearing closes the alert. Steps go forward only."""
    alert = FeverAlert.objects.select_for_update().get(pk=alert.pk)
    if not FeverAlert.objects.visible_to(actor).filter(pk=alert.pk).exists():
        raise PermissionError("alert outside the actor's jurisdiction")
    if stage not in FOLLOW_UP_STEPS.get(alert.stage, set()):
        if alert.closed_at:
            raise ValidationError({"stage": _("This alert is closed.")})
        raise ValidationError({"stage": _("From “%(from)s” the next step cannot be "
                                          "“%(to)s”.") % {
            "from": FeverStage(alert.stage).label,
            "to": FeverStage(stage).label if stage in FeverStage.values else stage}})
    temp = None
    if stage == FeverStage.REMEASURED:
        if temperature in (None, ""):
            raise ValidationError({"temperature": _("Enter the re-measured temperature.")})
        temp = parse_temperature(temperature)
    elif temperature not in (None, ""):
        temp = parse_temperature(temperature)
    if stage == FeverStage.SENT_TO_CLINIC and not (note or "").strip():
        raise ValidationError({"note": _("Name the fever clinic the person was sent to.")})
    step = FeverFollowUp.objects.create(alert=alert, stage=stage, temperature=temp,
                                        note=(note or "").strip()[:300], by=actor)
    alert.stage = stage
    if stage == FeverStage.CLEARED:
        alert.closed_at = step.at
    alert.save(update_fields=["stage", "closed_at"])
    return step


# --- Retention -------------------------------------------------------------------------------


def delete_expired_entries(now=None) -> int:
    """Delete entries and refusals older than ``settings.RETENTION_DAYS``; returns how many
    entries went. Fever alerts keep their facts (the entry link is cleared)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS)
    deleted = 0
    while True:  # in slices, so a big backlog never holds one huge transaction
        ids = list(Entry.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:20000])
        if not ids:
            break
        with transaction.atomic():
            FeverAlert.objects.filter(entry_id__in=ids).update(entry=None)
            deleted += Entry.objects.filter(pk__in=ids)._raw_delete(Entry.objects.db)
    Refusal.objects.filter(at__lt=cutoff).delete()
    audit.record(AuditAction.ACTION, note=f"retention: {deleted} entries older than "
                                          f"{settings.RETENTION_DAYS} days deleted")
    return deleted
