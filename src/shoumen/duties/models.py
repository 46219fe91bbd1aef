"""Duties and their windows.

A :class:`Duty` says that a subject (a site, an enterprise, a person: any model) needs a kind of
record this often, owned by a person and a leader. Each day's windows are laid out as
:class:`Window` rows (``services.lay_out``), so "what was due, done, late, missed" for a day and
a jurisdiction is one indexed aggregate, a site's year one more, and the sweep that finds
missed windows one UPDATE. Windows are bookkeeping, not audited records: the record that
fulfils a window is audited by its own app.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet

from .schedules import Frequency


class Duty(AuditedModel):
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="duties")
    title = models.CharField(_("title"), max_length=150)
    kind = models.CharField(_("kind of record"), max_length=40, db_index=True,
                            help_text=_("What fulfils it, e.g. inspection, disinfection, patrol."))
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    place = models.ForeignKey("geo.Place", verbose_name=_("place"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="duties",
                              help_text=_("Where the subject is: a building's page shows the "
                                          "duties in it."))
    frequency = models.CharField(_("how often"), max_length=16, choices=Frequency.choices)
    windows = models.JSONField(_("windows"), default=list, blank=True,
                               help_text=_('Local times, e.g. [["08:00", "10:00"], ["13:00", '
                                           '"15:00"]]; an end before its start is the next day.'))
    interval_days = models.PositiveSmallIntegerField(_("every how many days"), default=1)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True,
                               help_text=_("Empty: until stopped. A 14-day observation ends."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="owned_duties")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leader"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="led_duties")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "duties.view"

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["title"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="duties_subject")]

    def __str__(self):
        return self.title


class WindowState(models.TextChoices):
    DUE = "due", _("Due")
    DONE = "done", _("Done")
    LATE = "late", _("Done late")
    MISSED = "missed", _("Missed")


class Window(models.Model):
    """One window of a duty: ``[starts_at, ends_at)``, on the local ``day`` it starts."""

    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="duty_windows")
    jurisdiction = models.ForeignKey("geo.Node", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    state = models.CharField(_("state"), max_length=8, choices=WindowState.choices,
                             default=WindowState.DUE)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    record_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    record = GenericForeignKey("record_type", "record_id")
    # Set once, by the one sweep that found the window passed without a record: the alert.
    missed_at = models.DateTimeField(_("found missed"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "duties.view"

    class Meta:
        verbose_name = _("window")
        verbose_name_plural = _("windows")
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["duty", "starts_at"],
                                               name="duties_one_window_per_start")]
        indexes = [
            models.Index(fields=["day", "jurisdiction"], name="duties_window_day"),
            models.Index(fields=["duty", "day"], name="duties_window_duty_day"),
            models.Index(fields=["ends_at"], name="duties_window_due",
                         condition=models.Q(state="due")),
            # The alerts: missed windows by when they were found (the navigation's badge asks
            # for those since midnight on every page).
            models.Index(fields=["missed_at"], name="duties_window_alerts",
                         condition=models.Q(missed_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.duty} {self.starts_at:%Y-%m-%d %H:%M}"
