from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet

from .roles import ENTERPRISE_ROLES, Role


class User(AbstractUser):
    """A person who signs in: staff, volunteers, enterprise liaisons, administrators."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username


class RoleAssignment(AuditedModel):
    """``user`` holds ``role`` at ``node`` and so acts on that node's subtree; for an
    enterprise liaison, on ``enterprise`` only."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    node = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                             on_delete=models.PROTECT, related_name="role_assignments")
    enterprise = models.ForeignKey("resumption.Enterprise", verbose_name=_("enterprise"),
                                   null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="liaisons")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "node", "enterprise"],
                                    name="accounts_unique_assignment"),
        ]

    def __str__(self):
        where = self.enterprise or self.node
        return f"{self.user} · {self.get_role_display()} @ {where}"

    def audit_jurisdiction(self):
        return self.node

    def clean(self):
        if self.role in ENTERPRISE_ROLES and not self.enterprise_id:
            raise ValidationError({"enterprise": _("An enterprise liaison must be assigned to "
                                                   "an enterprise.")})
        if self.role not in ENTERPRISE_ROLES and self.enterprise_id:
            raise ValidationError({"enterprise": _("Only enterprise liaisons are assigned to an "
                                                   "enterprise.")})
        if self.enterprise_id and self.node_id and self.enterprise.jurisdiction_id != self.node_id:
            self.node = self.enterprise.jurisdiction


class TeamKind(models.TextChoices):
    INSPECTION = "inspection", _("Inspection team")
    SUPERVISION = "supervision", _("Supervision task force")
    WORKING_GROUP = "working_group", _("Special working group")
    CREW = "crew", _("Disinfection crew")


class Team(AuditedModel):
    """A named group of staff at a jurisdiction: an inspection team that shares a plan's
    subjects, the supervision task force that rectifications escalate to (经发中心, 应急办,
    派出所, 市场监管所), an isolation site's special working group (工作专班), a crew."""

    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="teams")
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    place = models.ForeignKey("geo.Place", verbose_name=_("place"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="teams",
                              help_text=_("The isolation site a working group looks after."))
    members = models.ManyToManyField(User, through="TeamMember", related_name="teams")

    objects = ScopedQuerySet.as_manager()
    scope_capability = "geo.view"

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "name"],
                                               name="accounts_one_team_name")]

    def __str__(self):
        return self.name

    def leader(self) -> User | None:
        member = self.memberships.filter(position=TeamPosition.LEADER).select_related("user").first()
        return member.user if member else None


class TeamPosition(models.TextChoices):
    LEADER = "leader", _("Leader")
    DEPUTY = "deputy", _("Deputy leader")
    MEMBER = "member", _("Member")


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="memberships")
    position = models.CharField(_("position"), max_length=8, choices=TeamPosition.choices,
                                default=TeamPosition.MEMBER)
    unit = models.CharField(_("unit"), max_length=50, blank=True,
                            help_text=_("The department they come from, e.g. 派出所, 排水科."))

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "user"],
                                               name="accounts_one_membership")]

    def __str__(self):
        return f"{self.user} · {self.get_position_display()}"


class TrainingTopic(models.TextChoices):
    DISINFECTION = "disinfection", _("Disinfection and protective equipment")


class Training(AuditedModel):
    """A person's training on a topic, valid until a date: nobody is sent out to disinfect
    before theirs (``shoumen.accounts.training``)."""

    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="trainings")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("topic"), max_length=20, choices=TrainingTopic.choices)
    trained_on = models.DateField(_("trained on"))
    valid_until = models.DateField(_("valid until"))
    trainer = models.CharField(_("given by"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "geo.view"

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-trained_on", "-id"]
        indexes = [models.Index(fields=["user", "topic", "valid_until"],
                                name="accounts_training_valid")]

    def __str__(self):
        return f"{self.user} · {self.get_topic_display()} → {self.valid_until}"
