from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel

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
