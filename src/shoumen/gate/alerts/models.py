"""Fever alerts and their follow-up, along ``FeverAlert.stage_flow``."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet
from shoumen.core.workflow import Step, Workflow

from ..checkpoints.models import Checkpoint
from ..entries.models import Entry


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
