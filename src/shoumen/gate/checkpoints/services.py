"""State changes of checkpoints: creating them, their guards, registering and revoking
their phones (devices), and recognising a device by its token on the hot path."""

from __future__ import annotations

import copy
import hashlib
import secrets
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.rows import hot_cursor, partial_instance
from shoumen.core.scoping import scope_for, subtree_q
from shoumen.core.services import save_scoped_record, service
from shoumen.geo.models import ancestor_paths

from .models import GUARD_ROLES, Checkpoint, CheckpointDevice, DeviceRevocation


def guard_candidates(checkpoint: Checkpoint):
    """Active users who may be assigned to guard ``checkpoint``: those holding a guard role
    (:data:`GUARD_ROLES`) at the checkpoint's jurisdiction, above it or below it."""
    from shoumen.accounts.models import RoleAssignment, User

    path = checkpoint.place.jurisdiction.path
    assignments = RoleAssignment.objects.filter(active=True, role__in=GUARD_ROLES).filter(
        Q(node__path__in=ancestor_paths(path)) | subtree_q(path, "node__"))
    return (User.objects.filter(is_active=True, pk__in=assignments.values("user_id"))
            .order_by("username"))


def _community_of(node):
    from shoumen.geo.models import NodeKind

    while node is not None and node.kind > NodeKind.COMMUNITY:
        node = node.parent
    return node


@service
def create_checkpoint(*, actor, jurisdiction, name: str, building=None, address: str = "",
                      guards=()) -> Checkpoint:
    """A new checkpoint at ``jurisdiction`` — a community (or a grid in it) where ``actor``
    manages the gate; a building lobby's checkpoint names its ``building``, which must be in
    the same community. All problems are reported at once, by field; nothing is written
    unless everything is right."""
    from shoumen.geo.models import NodeKind, Place, PlaceKind

    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Name the checkpoint, e.g. “East gate” or “Tower lobby”.")]
    elif Place.objects.filter(jurisdiction=jurisdiction, kind=PlaceKind.CHECKPOINT,
                              name=name).exists():
        errors["name"] = [_("%(node)s already has a checkpoint called “%(name)s”: open that one "
                            "or choose another name.") % {"node": jurisdiction, "name": name}]
    if jurisdiction.kind < NodeKind.COMMUNITY:
        errors["jurisdiction"] = [_("A checkpoint belongs to a community (or a grid in it); "
                                    "%(node)s is a %(kind)s. Choose a community.")
                                  % {"node": jurisdiction, "kind": jurisdiction.get_kind_display()}]
    elif not authz.allows(actor, jurisdiction, "gate.manage"):
        errors["jurisdiction"] = [_("You do not manage the gate in %(node)s: choose a community "
                                    "of your own.") % {"node": jurisdiction}]
    if building is not None and "jurisdiction" not in errors:
        community = _community_of(jurisdiction)
        if building.kind != PlaceKind.BUILDING:
            errors["building"] = [_("“%(place)s” is not a building.") % {"place": building}]
        elif not community.contains(building.jurisdiction):
            errors["building"] = [_("%(building)s is not in %(community)s: choose a building in "
                                    "the checkpoint's community, or none for a community gate.")
                                  % {"building": building, "community": community}]
    if errors:
        raise ValidationError(errors)
    place = save_scoped_record(Place(kind=PlaceKind.CHECKPOINT),
                               {"jurisdiction": jurisdiction, "name": name, "building": building,
                                "address": (address or "").strip()},
                               actor=actor, capability="gate.manage")
    checkpoint = Checkpoint.objects.select_related("place__jurisdiction").get(place=place)
    if guards:
        set_guards(checkpoint, guards, actor=actor)
    return checkpoint


@service
def set_guards(checkpoint: Checkpoint, users, *, actor) -> None:
    """Replace the checkpoint's guards (audited as a many-to-many change). Every guard must be
    among :func:`guard_candidates`; otherwise nothing changes."""
    authz.authorize(actor, checkpoint, "gate.manage", _(
        "You may look at this checkpoint but not manage its guards or phones."))
    users = list(users)
    allowed = set(guard_candidates(checkpoint).filter(pk__in=[u.pk for u in users])
                  .values_list("pk", flat=True))
    refused = [str(u) for u in users if u.pk not in allowed]
    if refused:
        raise ValidationError({"guards": [_(
            "%(users)s cannot guard %(checkpoint)s: a guard must hold the checkpoint guard role "
            "in its community (or above or below it). Ask an administrator to give them the "
            "role first.") % {"users": "、".join(refused), "checkpoint": checkpoint}]})
    checkpoint.guards.set(users)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@service
def register_device(checkpoint: Checkpoint, *, actor, name: str) -> tuple[CheckpointDevice, str]:
    """Register a guard's phone to ``checkpoint``; returns the device and its token, which is
    shown once and never stored in clear."""
    authz.authorize(actor, checkpoint, "gate.register",
                    _("Only a guard of this checkpoint (or its community's staff) may register "
                      "a phone for it."))
    name = (name or "").strip() or _("Phone")
    token = "smd_" + secrets.token_urlsafe(32)
    device = CheckpointDevice.objects.create(checkpoint=checkpoint, name=name[:60],
                                             token_digest=token_digest(token),
                                             registered_by=actor)
    return device, token


@service
def revoke_device(device: CheckpointDevice, *, actor) -> CheckpointDevice:
    """Revoke ``device``: its token stops working at once (:func:`device_for_token`).
    Needs ``gate.manage`` at the checkpoint; revoking twice keeps the first time."""
    authz.authorize(actor, device.checkpoint, "gate.manage", _(
        "You may look at this checkpoint but not manage its guards or phones."))
    if device.revoked_at is None:
        _end(device, DeviceRevocation.BY_STAFF)
    return device


def _end(device: CheckpointDevice, reason: DeviceRevocation) -> None:
    """Revoke ``device`` for ``reason`` (an audited update of the device)."""
    device.revoked_at = timezone.now()
    device.revoked_reason = reason
    device.save(update_fields=["revoked_at", "revoked_reason"])


def _why_unguarded(device: CheckpointDevice, user) -> DeviceRevocation | None:
    """Why the person who registered ``device`` may no longer register at its checkpoint
    (``user`` is that person, freshly loaded), or None while they still may."""
    if not user.is_active:
        return DeviceRevocation.ACCOUNT_INACTIVE
    if not device.checkpoint.active:
        return DeviceRevocation.CHECKPOINT_CLOSED
    if Checkpoint.objects.visible_to(user, "gate.register").filter(pk=device.checkpoint_id).exists():
        return None
    guards_it = device.checkpoint.guards.filter(pk=user.pk).exists()
    if not guards_it and not scope_for(user).paths("gate.manage"):
        return DeviceRevocation.NOT_A_GUARD
    return DeviceRevocation.NO_ROLE_HERE


@transaction.atomic
def retire_unguarded_devices(*, users=None, checkpoints=None) -> list[CheckpointDevice]:
    """Revoke every live device whose registering person may no longer register at its
    checkpoint (``visible_to(user, "gate.register")``): their role was removed or moved, they were
    unassigned from the checkpoint, the checkpoint was closed, their account deactivated.

    Limited to the devices registered by ``users`` and/or at ``checkpoints`` when given (the
    signal handlers of :mod:`.signals` pass what changed); with neither, every live device is
    checked (the daily sweep, which catches changes made around the signals). Each revocation
    is an audited change of the device with its reason; returns the devices revoked.
    """
    devices = CheckpointDevice.objects.filter(revoked_at__isnull=True).select_related(
        "checkpoint__place")
    if users is not None:
        devices = devices.filter(registered_by__in=[getattr(u, "pk", u) for u in users])
    if checkpoints is not None:
        devices = devices.filter(checkpoint__in=[getattr(c, "pk", c) for c in checkpoints])
    fresh_users = {}  # loaded anew: a cached scope on a passed-in user may predate the change
    ended = []
    for device in devices:
        user = fresh_users.get(device.registered_by_id)
        if user is None:
            user = fresh_users[device.registered_by_id] = get_user_model().objects.get(
                pk=device.registered_by_id)
        reason = _why_unguarded(device, user)
        if reason is not None:
            _end(device, reason)
            ended.append(device)
    return ended


def revoked_device_message(token: str) -> str:
    """What the checkpoint page tells the guard when ``token`` no longer works: why, if the
    token was ours and revoked, and what to do."""
    device = None
    if token.startswith("smd_"):
        device = (CheckpointDevice.objects.filter(token_digest=token_digest(token))
                  .exclude(revoked_at=None).first())
    if device is None:
        return _("This phone's checkpoint token is unknown or was revoked: ask the community "
                 "staff to register the phone again.")
    return _("This phone stopped working at this checkpoint on %(date)s: %(reason)s. Ask the "
             "community staff to register it again once you may guard here; entries stay on "
             "the phone until then.") % {
        "date": timezone.localtime(device.revoked_at).strftime("%Y-%m-%d %H:%M"),
        "reason": DeviceRevocation(device.revoked_reason or DeviceRevocation.BY_STAFF).label}


# A live device (not revoked, its checkpoint in use, its guard's account active) by the
# digest of its token, %(token)s; the registration of a scan by device token reads it too.
LIVE_DEVICE = """
    FROM gate_checkpointdevice d
    JOIN gate_checkpoint c ON c.place_id = d.checkpoint_id
    JOIN accounts_user u ON u.id = d.registered_by_id
    WHERE d.token_digest = %(token)s AND d.revoked_at IS NULL AND c.active AND u.is_active
"""

_DEVICE_BY_DIGEST = ("SELECT d.id, d.checkpoint_id, d.name, u.id, u.username, u.display_name, "
                     "u.is_superuser" + LIVE_DEVICE)

_CHECKPOINT_CACHE_SECONDS = 30
_checkpoints: dict[int, tuple[float, Checkpoint]] = {}


def device_for_token(token: str) -> CheckpointDevice | None:
    """The live device holding ``token`` (not revoked, its checkpoint in use, its guard's
    account active), or None. Every call asks the database, so a revocation takes effect at
    the next request; this runs on every scan, so it is one plain query. The device comes
    with ``registered_by`` (a partial user: other fields load on access) and its checkpoint.
    """
    if not token or not token.startswith("smd_"):
        return None
    with hot_cursor() as cursor:
        cursor.execute(_DEVICE_BY_DIGEST, {"token": token_digest(token)})
        row = cursor.fetchone()
    if row is None:
        return None
    device_id, checkpoint_id, name, user_id, username, display_name, is_superuser = row
    user = partial_instance(get_user_model(), {
        "id": user_id, "username": username, "display_name": display_name,
        "is_superuser": bool(is_superuser), "is_active": True})
    device = partial_instance(CheckpointDevice, {
        "id": device_id, "checkpoint_id": checkpoint_id, "name": name,
        "registered_by_id": user_id, "revoked_at": None})
    device.registered_by = user
    device.checkpoint = copy.copy(_checkpoint(checkpoint_id))  # the cached one stays unmarked
    authz.vouch(user, device.checkpoint, "gate.register")  # a live device is its guard's right
    return device


def forget_cached_checkpoints() -> None:
    _checkpoints.clear()


def _checkpoint(pk: int) -> Checkpoint:
    """A checkpoint with its place, kept for half a minute per process: its name, site and
    jurisdiction are read on every scan and change rarely (whether it is in use is checked
    in :data:`_DEVICE_BY_DIGEST` each time)."""
    now = time.monotonic()
    cached = _checkpoints.get(pk)
    if cached is None or now - cached[0] > _CHECKPOINT_CACHE_SECONDS:
        cached = (now, Checkpoint.objects.select_related("place__jurisdiction").get(pk=pk))
        _checkpoints[pk] = cached
    return cached[1]
