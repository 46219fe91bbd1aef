from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    VIEW_PII = "view_pii", _("Viewed personal data")
    IMPORT = "import", _("Imported")
    EXPORT = "export", _("Exported")
    ACTION = "action", _("Action")


class AuditEvent(models.Model):
    """One row of the audit trail: who did what to which object, when, from which request.

    Written by the audit signal handlers for every create/update/delete of an
    :class:`AuditedModel`, and by :func:`shoumen.core.audit.record` for reads of full personal
    data, imports, exports and other actions. Never updated or deleted by the application.
    ``before``/``after`` hold only the changed fields; personal data appears masked.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    jurisdiction = models.ForeignKey(
        "geo.Node", verbose_name=_("jurisdiction"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "audit.view"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        # Declared here rather than with db_index: no extra pattern-ops indexes on PostgreSQL,
        # since every audited write pays for each index.
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"]),
            models.Index(fields=["action"], name="core_audit_action_idx"),
            models.Index(fields=["request_id"], name="core_audit_request_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    def field_label(self, key: str) -> str:
        """The audited model's name for a snapshot key (``jurisdiction_id`` → 社区/网格)."""
        from django.core.exceptions import FieldDoesNotExist

        model = self.content_type.model_class() if self.content_type_id else None
        if model is None:
            return key
        for name in (key, key.removesuffix("_id")):
            try:
                return str(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                continue
        return key

    def changed_labels(self) -> list[str]:
        """Readable names of the fields an update changed."""
        return [self.field_label(key) for key in (self.after or {})] if self.action == "update" else []


class AuditedModel(models.Model):
    """Base for domain models: every create/update/delete writes an :class:`AuditEvent`.

    Subclasses name fields that must never reach the audit trail (ciphertext, blind indexes)
    in ``audit_exclude``; the masked forms of those values are audited instead.
    """

    audit_exclude: frozenset[str] = frozenset()

    class Meta:
        abstract = True

    def audit_jurisdiction(self):
        """The jurisdiction node the audit row is filed under (who may read it)."""
        return getattr(self, "jurisdiction", None)
