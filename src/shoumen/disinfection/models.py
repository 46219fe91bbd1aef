"""Disinfection and patrol sites and the register of every operation on them.

A :class:`Site` is something disinfected or patrolled on a schedule: a lift car, a lobby, a
garbage transfer station, an underground car park, a used-mask bin, a vehicle, staff quarters,
an entrance, or a sewage pipeline segment or manhole outside an isolation observation site. It
has a responsible party, a named person or crew, the agent and concentration expected, and a
recurring duty (``shoumen.duties``). Each :class:`Record` is one operation (在册建档): who,
when, agent, concentration, the protective equipment worn, photos, remarks; it fulfils the
site's window.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet


class SiteKind(models.TextChoices):
    LIFT_CAR = "lift_car", _("Lift car")
    LOBBY = "lobby", _("Lobby")
    GARBAGE_STATION = "garbage_station", _("Garbage transfer station")
    CAR_PARK = "car_park", _("Underground car park")
    MASK_BIN = "mask_bin", _("Used-mask collection bin")
    VEHICLE = "vehicle", _("Vehicle")
    STAFF_QUARTERS = "staff_quarters", _("Staff quarters")
    ENTRANCE = "entrance", _("Entrance")
    PIPELINE = "pipeline", _("Sewage pipeline segment")
    MANHOLE = "manhole", _("Manhole")


# Sewage lines outside isolation sites: patrolled, in full protective equipment.
PATROLLED = frozenset({SiteKind.PIPELINE, SiteKind.MANHOLE})


class Protection(models.TextChoices):
    GOWN = "gown", _("Isolation gown")
    GOGGLES = "goggles", _("Goggles")
    MASK = "mask", _("Mask")
    SHOE_COVERS = "shoe_covers", _("Shoe covers")


FULL_PROTECTION = frozenset(Protection.values)


class Operation(models.TextChoices):
    DISINFECTED = "disinfected", _("Disinfected")
    EMPTIED = "emptied", _("Emptied and disinfected")
    PATROLLED = "patrolled", _("Patrolled and disinfected")


class Site(AuditedModel):
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="disinfection_sites")
    kind = models.CharField(_("kind"), max_length=16, choices=SiteKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    place = models.ForeignKey("geo.Place", verbose_name=_("at"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="disinfection_sites",
                              help_text=_("The building, isolation site or station it belongs to."))
    party = models.CharField(_("responsible party"), max_length=100,
                             help_text=_("e.g. the property company, 排水科"))
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("named person"),
                                    on_delete=models.PROTECT, related_name="disinfection_sites")
    team = models.ForeignKey("accounts.Team", verbose_name=_("crew or working group"),
                             null=True, blank=True, on_delete=models.PROTECT,
                             related_name="disinfection_sites")
    agent = models.CharField(_("agent"), max_length=50, default="含氯消毒液")
    concentration_min = models.PositiveIntegerField(_("concentration from (mg/L)"), null=True,
                                                    blank=True)
    concentration_max = models.PositiveIntegerField(_("concentration to (mg/L)"), null=True,
                                                    blank=True)
    duty = models.OneToOneField("duties.Duty", on_delete=models.PROTECT, related_name="site")
    active = models.BooleanField(_("in use"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "disinfection.view"

    class Meta:
        verbose_name = _("disinfection site")
        verbose_name_plural = _("disinfection sites")
        ordering = ["place__name", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "place", "name"],
                                               name="disinfection_one_site_name")]

    def __str__(self):
        return f"{self.place.name} · {self.name}" if self.place_id else self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("disinfection:site-detail", args=[self.pk])

    @property
    def patrolled(self) -> bool:
        return self.kind in PATROLLED

    @property
    def expected(self) -> str:
        low, high = self.concentration_min, self.concentration_max
        if low is None and high is None:
            return self.agent
        return f"{self.agent} {low or ''}–{high or ''} mg/L"


class Record(AuditedModel):
    """One operation on a site, as the register (台账) lists it."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT,
                             related_name="records")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey("geo.Place", verbose_name=_("at"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                           on_delete=models.PROTECT, related_name="disinfection_records")
    done_at = models.DateTimeField(_("done at"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    operation = models.CharField(_("operation"), max_length=12, choices=Operation.choices)
    agent = models.CharField(_("agent"), max_length=50)
    concentration = models.PositiveIntegerField(_("concentration (mg/L)"), null=True, blank=True)
    concentration_ok = models.BooleanField(_("concentration as expected"), default=True)
    protection = models.JSONField(_("protective equipment worn"), default=list)
    remarks = models.CharField(_("remarks"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "disinfection.view"

    class Meta:
        verbose_name = _("disinfection record")
        verbose_name_plural = _("disinfection records")
        ordering = ["-done_at", "-id"]
        indexes = [models.Index(fields=["site", "done_at"], name="disinfection_site_time"),
                   models.Index(fields=["place", "done_at"], name="disinfection_place_time")]

    def __str__(self):
        return f"{self.site} {timezone.localtime(self.done_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("disinfection:record-detail", args=[self.pk])

    def protection_labels(self) -> list[str]:
        return [str(Protection(p).label) for p in self.protection if p in Protection.values]
