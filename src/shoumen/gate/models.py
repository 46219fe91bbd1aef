"""The gate: checkpoints, their devices, resident passes and their signing keys, entries
(every person through every checkpoint, with temperature), refusals and fever alerts.

Entries are the one table that grows fast (a city: about 10 M in 14 days). They are written
once and never changed, carry no audit rows of their own (an entry *is* a record of who did
what, where and when) and are deleted after ``settings.RETENTION_DAYS``.
"""

import operator
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.accounts.roles import ROLE_CAPABILITIES
from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet, scope_for, subtree_q
from shoumen.core.workflow import Step, Workflow
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


class SigningKey(models.Model):
    """An ES256 key pair that signs resident passes. One key signs at a time (the newest not
    retired); retired keys stay published while passes they signed can still be valid, so a
    rotation never strands a printed pass. The private key is stored encrypted."""

    kid = models.CharField(_("key id"), max_length=24, unique=True,
                           help_text=_("Base64 of the first 8 bytes of SHA-256 of the public key"))
    public_key_der = models.BinaryField()
    private_key_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("pass signing key")
        verbose_name_plural = _("pass signing keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.kid


class ResidentPass(AuditedModel):
    """A resident pass (居民出入证): a signed QR that any checkpoint can verify offline.

    ``qr_text`` is the exact signed payload (``SM1:`` + Base45(zlib(COSE_Sign1(CWT)))), kept so
    that the printed card and the phone view show the same code, and so that the server
    recognises a scanned pass by its digest without decoding it. A person holds at most one
    pass that is not revoked; issuing a new one revokes the old.
    """

    number = models.CharField(_("pass number"), max_length=12, unique=True)
    person = models.ForeignKey("people.Person", verbose_name=_("holder"),
                               on_delete=models.CASCADE, related_name="passes")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("community"),
                                     on_delete=models.PROTECT, related_name="+")
    holder_display = models.CharField(_("holder (masked)"), max_length=50)
    issued_at = models.DateTimeField(_("issued"))
    valid_until = models.DateTimeField(_("valid until"))
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    qr_text = models.TextField(editable=False)
    # SHA-256 of qr_text: a scanned text that matches is a pass we signed, found by one index
    # lookup; only unknown texts pay for a signature check (to say why they are refused).
    qr_digest = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"),
                                  null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, db_index=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "gate.view"
    audit_exclude = frozenset({"qr_text", "qr_digest"})

    class Meta:
        verbose_name = _("resident pass")
        verbose_name_plural = _("resident passes")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(revoked_at=None),
                                    name="gate_one_live_pass_per_person"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.valid_until <= timezone.now()


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")


class Method(models.TextChoices):
    PASS = "pass", _("Pass scanned")
    LOOKUP = "lookup", _("Looked up")
    VISITOR = "visitor", _("Visitor registered")


class Entry(models.Model):
    """One person through one checkpoint at one moment, with their temperature.

    ``uuid`` is made by the client when the guard confirms, so an upload retried after a lost
    answer stores the entry once. ``at`` is when it happened at the gate (offline entries are
    uploaded later; ``recorded_at`` is when the server got it). ``site_id`` is the
    checkpoint's site at that moment (see :attr:`Checkpoint.site_id`), kept on the row so
    that close-contact search is one index range per exposure.
    """

    uuid = models.UUIDField(unique=True)
    checkpoint = models.ForeignKey(Checkpoint, verbose_name=_("checkpoint"),
                                   on_delete=models.PROTECT, related_name="entries",
                                   db_index=False)
    site_id = models.BigIntegerField(editable=False)
    at = models.DateTimeField(_("time"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    fever = models.BooleanField(_("fever"), default=False)
    person = models.ForeignKey("people.Person", verbose_name=_("person"),
                               on_delete=models.CASCADE, related_name="entries", db_index=False)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    resident_pass = models.ForeignKey(ResidentPass, verbose_name=_("pass"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+",
                                      db_index=False, db_constraint=False)
    guard = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("guard"), null=True,
                              on_delete=models.SET_NULL, related_name="+", db_index=False,
                              db_constraint=False)
    device = models.ForeignKey(CheckpointDevice, verbose_name=_("device"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False, db_constraint=False)
    visit_reason = models.CharField(_("reason for visit"), max_length=100, blank=True)
    visiting = models.CharField(_("visiting"), max_length=100, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "gate.view"
    scope_node_field = "checkpoint__place__jurisdiction"

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-at", "-id"]
        # The close-contact search and the traces read entries by person and by site and
        # need only these columns: covering indexes answer them without visiting the table
        # (PostgreSQL; other databases ignore ``include``). Decision 0008.
        indexes = [
            models.Index(fields=["person", "at"], include=["site_id", "checkpoint", "id"],
                         name="gate_entry_person_at_cov"),
            models.Index(fields=["site_id", "at"], include=["person", "checkpoint", "id"],
                         name="gate_entry_site_at_cov"),
            models.Index(fields=["checkpoint", "at"], name="gate_entry_checkpoint_at"),
            models.Index(fields=["at"], name="gate_entry_at"),
        ]

    def __str__(self):
        return f"{self.person_id} {self.get_direction_display()} {self.checkpoint_id} {self.at:%m-%d %H:%M}"


# An entry as a row of values, in this order: how entries are inserted in bulk (batch uploads,
# demo data, benchmarks).
ENTRY_ROW_FIELDS = ("uuid", "checkpoint_id", "site_id", "at", "direction", "temperature",
                    "fever", "person_id", "method", "resident_pass_id", "guard_id", "device_id",
                    "visit_reason", "visiting", "recorded_at")


class RefusalReason(models.TextChoices):
    MALFORMED = "malformed", _("Not a Shoumen pass (the code cannot be read)")
    UNKNOWN_KEY = "unknown_key", _("Forged pass: signed by a key Shoumen does not know")
    BAD_SIGNATURE = "bad_signature", _("Tampered pass: the signature does not match")
    EXPIRED = "expired", _("Pass expired")
    REVOKED = "revoked", _("Pass revoked")
    UNKNOWN_PASS = "unknown_pass", _("Pass not found")
    STATUS = "status", _("Status forbids passage")


class Refusal(models.Model):
    """A person turned away at a checkpoint, and why (logged for the community's staff)."""

    uuid = models.UUIDField(unique=True)
    checkpoint = models.ForeignKey(Checkpoint, verbose_name=_("checkpoint"),
                                   on_delete=models.CASCADE, related_name="refusals")
    at = models.DateTimeField(_("time"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=RefusalReason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    pass_number = models.CharField(_("pass number"), max_length=12, blank=True)
    person = models.ForeignKey("people.Person", verbose_name=_("person"), null=True,
                               blank=True, on_delete=models.CASCADE, related_name="+")
    guard = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("guard"), null=True,
                              on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "gate.view"
    scope_node_field = "checkpoint__place__jurisdiction"

    class Meta:
        verbose_name = _("refusal")
        verbose_name_plural = _("refusals")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"], name="gate_refusal_at")]

    def __str__(self):
        return f"{self.get_reason_display()} @ {self.checkpoint_id} {self.at:%m-%d %H:%M}"


class FeverStage(models.TextChoices):
    OPEN = "open", _("Raised")
    REMEASURED = "remeasured", _("Re-measured")
    SENT_TO_CLINIC = "clinic", _("Sent to a fever clinic")
    CLEARED = "cleared", _("Cleared")


FEVER_CLOSED_STAGES = frozenset({FeverStage.CLEARED})


class FeverAlert(AuditedModel):
    """Raised when an entry's temperature is at or above ``settings.FEVER_THRESHOLD_C``; goes
    to the staff of the person's community (where the checkpoint is, for visitors) and is
    followed up — re-measured, sent to a fever clinic, cleared — until closed."""

    entry = models.OneToOneField(Entry, verbose_name=_("entry"), null=True,
                                 on_delete=models.SET_NULL, related_name="fever_alert")
    person = models.ForeignKey("people.Person", verbose_name=_("person"),
                               on_delete=models.CASCADE, related_name="fever_alerts")
    checkpoint = models.ForeignKey(Checkpoint, verbose_name=_("checkpoint"),
                                   on_delete=models.PROTECT, related_name="fever_alerts")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("community"),
                                     on_delete=models.PROTECT, related_name="+")
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    measured_at = models.DateTimeField(_("measured"))
    stage = models.CharField(_("stage"), max_length=12, choices=FeverStage.choices,
                             default=FeverStage.OPEN, db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "gate.alerts"

    class Meta:
        verbose_name = _("fever alert")
        verbose_name_plural = _("fever alerts")
        ordering = ["-measured_at", "-id"]

    def __str__(self):
        return f"{self.person} {self.temperature} °C"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class FeverFollowUp(models.Model):
    """One step of a fever alert's follow-up, by whom and with what finding."""

    alert = models.ForeignKey(FeverAlert, verbose_name=_("alert"), on_delete=models.CASCADE,
                              related_name="follow_ups")
    stage = models.CharField(_("stage"), max_length=12, choices=FeverStage.choices)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1,
                                      null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.alert_id} {self.stage}"


def _record_follow_up(alert, before, after, actor, details) -> FeverFollowUp:
    step = FeverFollowUp.objects.create(alert=alert, stage=after, note=details["note"],
                                        temperature=details.get("temperature"), by=actor)
    if after in FEVER_CLOSED_STAGES:
        alert.closed_at = step.at
    return step


def _temperature_given(alert, details) -> dict:
    if details.get("temperature") is not None:
        return {}
    return {"temperature": [_("Enter the re-measured temperature.")]}


def _clinic_named(alert, details) -> dict:
    return {} if details.get("clinic") else {
        "clinic": [_("Name the fever clinic the person was sent to.")]}


_F = FeverStage
# Forward only; re-measuring may be repeated; a cleared alert is closed.
FeverAlert.stage_flow = Workflow("stage", FeverStage, [
    Step({_F.OPEN, _F.REMEASURED}, _F.REMEASURED, "gate.alerts", _temperature_given),
    Step({_F.OPEN, _F.REMEASURED}, _F.SENT_TO_CLINIC, "gate.alerts", _clinic_named),
    Step({_F.OPEN, _F.REMEASURED, _F.SENT_TO_CLINIC}, _F.CLEARED, "gate.alerts"),
], record=_record_follow_up, saves=("closed_at",), refused=_(
    "Fever alerts go to community staff and grid workers of the alert's community."),
    explain=lambda alert: (
        _("This alert was closed on %(date)s.") % {
            "date": timezone.localtime(alert.closed_at).strftime("%Y-%m-%d %H:%M")}
        if alert.closed_at else _("Steps go forward only.")))


def _place_saved(sender, instance, created, raw=False, **kwargs):
    """Every place of kind checkpoint has its checkpoint row, however the place was made
    (the places page, the admin, an import)."""
    if not raw and instance.kind == "checkpoint":
        Checkpoint.objects.get_or_create(place=instance)


models.signals.post_save.connect(_place_saved, sender="geo.Place",
                                 dispatch_uid="gate_checkpoint_for_place")
