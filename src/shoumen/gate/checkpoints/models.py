"""Checkpoints and the phones registered to them."""

import operator
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.accounts.roles import ROLE_CAPABILITIES
from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet, scope_for, subtree_q
from shoumen.geo.models import ancestor_paths

# Roles that register at a checkpoint only where they are assigned as its guards (community
# staff, who manage the gate, may register at every checkpoint they manage).
GUARD_ROLES = frozenset(role for role, caps in ROLE_CAPABILITIES.items()
                        if "gate.register" in caps and "gate.manage" not in caps)


def _reach_q(paths, prefix: str) -> Q:
    """Rows whose node is at, below or above a node in ``paths`` (non-empty): a guard assigned
    at a grid may keep the community's gate, one assigned at the community a grid's gate."""
    above = sorted({p for path in paths for p in ancestor_paths(path)})
    q = Q(**{f"{prefix}path__in": above})
    for path in paths:
        q |= subtree_q(path, prefix)
    return q


class CheckpointQuerySet(ScopedQuerySet):
    def _visible_to(self, user, capability: str):
        """As for every scoped model, except ``gate.register``: the checkpoints in use where
        ``user`` may register entries — those they are assigned to guard (while they hold a
        role that registers at, above or below the checkpoint's jurisdiction) and every
        checkpoint in the subtrees where they manage the gate (community staff standing in).
        So :func:`shoumen.core.authz.authorize` asks the guard's own right."""
        if capability != "gate.register":
            return super()._visible_to(user, capability)
        checkpoints = self.filter(active=True)
        scope = scope_for(user)
        if scope.is_global:
            return checkpoints
        allowed = [subtree_q(path, "place__jurisdiction__") for path in scope.paths("gate.manage")]
        register_paths = scope.paths("gate.register")
        if register_paths:
            guarding = Checkpoint.guards.through.objects.filter(user=user).values("checkpoint_id")
            allowed.append(Q(pk__in=guarding) & _reach_q(register_paths, "place__jurisdiction__"))
        if not allowed:
            return checkpoints.none()
        return checkpoints.filter(reduce(operator.or_, allowed))


class Checkpoint(AuditedModel):
    """The gate function of a place of kind *checkpoint* (卡口): a community gate, a building
    lobby, the station exit. Its jurisdiction and name are the place's; a lobby's place names
    its building, and everyone through any of the building's checkpoints shares one *site*
    for close-contact search (:attr:`site_id`)."""

    place = models.OneToOneField("geo.Place", verbose_name=_("place"), primary_key=True,
                                 on_delete=models.CASCADE, related_name="checkpoint",
                                 limit_choices_to={"kind": "checkpoint"})
    guards = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("guards"),
                                    blank=True, related_name="guarded_checkpoints")
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CheckpointQuerySet.as_manager()
    scope_capability = "gate.view"
    scope_node_field = "place__jurisdiction"

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["place__jurisdiction__path", "place__name"]

    def __str__(self):
        return str(self.place)

    @property
    def name(self) -> str:
        return self.place.name

    @property
    def jurisdiction(self):
        return self.place.jurisdiction

    @property
    def site_id(self) -> int:
        """Where people meet: the building for a lobby checkpoint, else the checkpoint itself
        (both are place ids)."""
        return self.place.building_id or self.place_id

    def audit_jurisdiction(self):
        return self.place.jurisdiction


class DeviceRevocation(models.TextChoices):
    """Why a checkpoint device stopped working: revoked by staff, or ended by the platform
    the moment its guard could no longer register at its checkpoint."""

    BY_STAFF = "by_staff", _("revoked by the community staff")
    ACCOUNT_INACTIVE = "account_inactive", _("the guard's account was deactivated")
    CHECKPOINT_CLOSED = "checkpoint_closed", _("the checkpoint is no longer in use")
    NOT_A_GUARD = "not_a_guard", _("the guard is no longer assigned to this checkpoint")
    NO_ROLE_HERE = "no_role_here", _("the guard no longer holds a guard role here")


class CheckpointDevice(AuditedModel):
    """A guard's phone registered to one checkpoint. Its bearer token (shown once, stored
    here only as a SHA-256 digest) lets it read the pass keys and lists and write entries for
    this checkpoint and no other, until revoked — by staff, or by the platform as soon as the
    person who registered it may no longer register there (:attr:`revoked_reason`)."""

    checkpoint = models.ForeignKey(Checkpoint, verbose_name=_("checkpoint"),
                                   on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(_("device name"), max_length=60)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"),
                                      on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("why revoked"), max_length=20, blank=True,
                                      choices=DeviceRevocation.choices)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "gate.manage"
    scope_node_field = "checkpoint__place__jurisdiction"
    audit_exclude = frozenset({"token_digest", "last_seen_at"})

    class Meta:
        verbose_name = _("checkpoint device")
        verbose_name_plural = _("checkpoint devices")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} @ {self.checkpoint}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def audit_jurisdiction(self):
        return self.checkpoint.place.jurisdiction


def _place_saved(sender, instance, created, raw=False, **kwargs):
    """Every place of kind checkpoint has its checkpoint row, however the place was made
    (the places page, the admin, an import)."""
    if not raw and instance.kind == "checkpoint":
        Checkpoint.objects.get_or_create(place=instance)


models.signals.post_save.connect(_place_saved, sender="geo.Place",
                                 dispatch_uid="gate_checkpoint_for_place")
