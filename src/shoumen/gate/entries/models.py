"""Entries (every person through every checkpoint, with temperature) and refusals.

Entries are the one table that grows fast (a city: about 10 M in 14 days). They are written
once and never changed, carry no audit rows of their own (an entry *is* a record of who did
what, where and when) and are deleted after ``settings.RETENTION_DAYS``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import ScopedQuerySet

from ..checkpoints.models import Checkpoint, CheckpointDevice
from ..passes.models import ResidentPass


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
