"""Inspection plans, the inspections made under them, and the rectifications a failed item
opens.

A plan names its subjects (the enterprises of a building, the small venues of a community, a
building's public areas), a checklist, a schedule and a team; each subject gets a recurring
duty (``shoumen.duties``) owned by one of the team's inspectors, so the morning list, the
overdue ones and compliance come from the duties' windows. An inspection keeps the checklist
version it was made with; each failed item opens a :class:`Rectification`, which the
responsible party answers with evidence and a re-inspection closes or extends, and which
escalates to the plan's supervision task force when it runs over or the item fails again.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet
from shoumen.core.workflow import Step, Workflow
from shoumen.duties.schedules import Frequency


class SubjectSource(models.TextChoices):
    BUILDING_ENTERPRISES = "building_enterprises", _("Every enterprise in a building")
    COMMUNITY_VENUES = "community_venues", _("The small venues of a jurisdiction")
    BUILDING = "building", _("A building's public areas")
    # Added one at a time by the resumption workflow (an accepted declaration's on-site
    # review), each for a set period.
    ENTERPRISES = "enterprises", _("Enterprises added one by one")


class InspectionPlan(AuditedModel):
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="inspection_plans")
    name = models.CharField(_("name"), max_length=150)
    source = models.CharField(_("subjects"), max_length=24, choices=SubjectSource.choices)
    building = models.ForeignKey("geo.Place", verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="inspection_plans")
    area = models.ForeignKey("geo.Node", verbose_name=_("venues of"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    checklist = models.ForeignKey("checklists.Checklist", verbose_name=_("checklist"),
                                  on_delete=models.PROTECT, related_name="plans")
    frequency = models.CharField(_("how often"), max_length=16, choices=Frequency.choices,
                                 default=Frequency.DAILY)
    windows = models.JSONField(_("windows"), default=list, blank=True)
    interval_days = models.PositiveSmallIntegerField(_("every how many days"), default=1)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    team = models.ForeignKey("accounts.Team", verbose_name=_("inspection team"),
                             on_delete=models.PROTECT, related_name="inspection_plans")
    task_force = models.ForeignKey("accounts.Team", verbose_name=_("supervision task force"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="supervised_plans")
    rectify_days = models.PositiveSmallIntegerField(_("days to rectify"), default=3)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "inspections.view"

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("inspections:plan-detail", args=[self.pk])


class PlanSubject(models.Model):
    """One subject of a plan and the duty that has it inspected."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="subjects")
    duty = models.OneToOneField("duties.Duty", on_delete=models.PROTECT, related_name="plan_subject")
    jurisdiction = models.ForeignKey("geo.Node", on_delete=models.PROTECT, related_name="+")
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    name = models.CharField(_("subject"), max_length=150)
    enterprise = models.ForeignKey("resumption.Enterprise", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("responsible party"), max_length=150, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "inspections.view"
    scope_enterprise_field = "enterprise"

    class Meta:
        verbose_name = _("plan subject")
        verbose_name_plural = _("plan subjects")
        ordering = ["plan", "name"]
        constraints = [models.UniqueConstraint(fields=["plan", "subject_type", "subject_id"],
                                               name="inspections_one_subject_per_plan")]

    def __str__(self):
        return self.name


class Inspection(AuditedModel):
    """One inspection of a plan's subject: the answers to the checklist version it was made
    with, the failed items, and the name of the person in charge on site who signed it."""

    subject = models.ForeignKey(PlanSubject, verbose_name=_("subject"), on_delete=models.PROTECT,
                                related_name="inspections")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("resumption.Enterprise", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="inspections")
    version = models.ForeignKey("checklists.ChecklistVersion", verbose_name=_("checklist version"),
                                on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"),
                                  on_delete=models.PROTECT, related_name="inspections")
    inspected_at = models.DateTimeField(_("inspected at"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    answers = models.JSONField(_("answers"), default=dict)
    failed = models.JSONField(_("failed items"), default=list, blank=True)
    passed = models.BooleanField(_("passed"), default=True)
    signed_by = models.CharField(_("signed on site by"), max_length=50)
    remarks = models.CharField(_("remarks"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "inspections.view"
    scope_enterprise_field = "enterprise"

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-id"]
        indexes = [models.Index(fields=["jurisdiction", "inspected_at"],
                                name="inspections_by_place_time")]

    def __str__(self):
        return f"{self.subject} {timezone.localtime(self.inspected_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("inspections:inspection-detail", args=[self.pk])


class RectificationState(models.TextChoices):
    OPEN = "open", _("To rectify")
    ANSWERED = "answered", _("Answered, to re-inspect")
    CLOSED = "closed", _("Closed")


class Rectification(AuditedModel):
    """整改: one failed item of one inspection, to be put right by ``party`` by ``deadline``."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"),
                                   on_delete=models.PROTECT, related_name="rectifications")
    subject = models.ForeignKey(PlanSubject, verbose_name=_("subject"), on_delete=models.PROTECT,
                                related_name="rectifications")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("resumption.Enterprise", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="rectifications")
    item_key = models.CharField(_("item"), max_length=40)
    item_text = models.CharField(_("problem"), max_length=200)
    party = models.CharField(_("responsible party"), max_length=150)
    deadline = models.DateField(_("rectify by"))
    state = models.CharField(_("state"), max_length=10, choices=RectificationState.choices,
                             default=RectificationState.OPEN, db_index=True)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Set once, by the one sweep or failure that escalated it: the task force's alert.
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalation = models.CharField(_("why escalated"), max_length=200, blank=True)
    task_force = models.ForeignKey("accounts.Team", verbose_name=_("supervision task force"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="rectifications")

    objects = ScopedQuerySet.as_manager()
    scope_capability = "inspections.view"
    scope_enterprise_field = "enterprise"
    # Set by the escalation sweep's one UPDATE, which audits each row it escalates itself.
    audit_exclude = frozenset({"escalated_at", "escalation"})

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["deadline"], name="inspections_rect_open",
                                condition=models.Q(state__in=["open", "answered"],
                                                   escalated_at=None))]

    def __str__(self):
        return f"{self.party}: {self.item_text}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("inspections:rectification-detail", args=[self.pk])

    @property
    def overdue(self) -> bool:
        return self.state != RectificationState.CLOSED and self.deadline < timezone.localdate()


class RectificationStep(models.Model):
    """One round of a rectification: opened, the party's answer, a re-inspection's outcome."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE,
                                      related_name="steps")
    state = models.CharField(_("state"), max_length=10, choices=RectificationState.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    deadline = models.DateField(_("rectify by"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("rectification step")
        verbose_name_plural = _("rectification steps")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.rectification_id} {self.state}"


def _record_step(rectification, before, after, actor, details) -> RectificationStep:
    deadline = details.get("deadline")
    if deadline is not None:
        rectification.deadline = deadline
    if after == RectificationState.CLOSED:
        rectification.closed_at = timezone.now()
    return RectificationStep.objects.create(rectification=rectification, state=after, by=actor,
                                            note=details.get("note", ""), deadline=deadline)


_R = RectificationState
# The party answers (with evidence); a re-inspection closes it, or sends it back with a new
# deadline. A party may answer again before the re-inspection (more evidence).
Rectification.state_flow = Workflow("state", RectificationState, [
    Step({_R.OPEN, _R.ANSWERED}, _R.ANSWERED, "rectifications.answer"),
    Step({_R.ANSWERED, _R.OPEN}, _R.OPEN, "inspections.record"),
    Step({_R.ANSWERED, _R.OPEN}, _R.CLOSED, "inspections.record"),
], record=_record_step, saves=("deadline", "closed_at"),
    refused=_("Only the responsible party answers a rectification, and only an inspector "
              "re-inspects it."))
