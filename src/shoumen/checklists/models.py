"""A checklist template and its versions. A version's items never change once it is
published: editing a template publishes a new version, and every record points at the version
it was filled with, so an old inspection still reads as it was made."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet


class Checklist(AuditedModel):
    """A template, e.g. "九小场所日常检查" (the nine kinds of small venues), at a jurisdiction:
    those below it use it too."""

    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="checklists")
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    purpose = models.CharField(_("used for"), max_length=40, db_index=True,
                               help_text=_("e.g. small_venue, office_public_area, "
                                           "enterprise_daily, isolation_patrol"))
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "checklists.view"

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def current(self):
        """The latest published version, or None before the first."""
        return self.versions.order_by("-number").first()


class ChecklistVersion(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"),
                                     on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["checklist", "number"]
        constraints = [models.UniqueConstraint(fields=["checklist", "number"],
                                               name="checklists_one_number_per_version")]

    def __str__(self):
        return f"{self.checklist} v{self.number}"


class ItemKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no / not applicable")
    NUMBER = "number", _("A number within limits")
    CHOICE = "choice", _("One of several choices")
    NOTE = "note", _("A note")
    PHOTO = "photo", _("A photo")


class ChecklistItem(models.Model):
    """One item of one version. ``options``: for a number ``{"min": 0, "max": 100, "unit":
    "mg/L"}``; for a choice ``{"choices": ["...", "..."], "failing": ["..."]}``."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    key = models.SlugField(_("key"), max_length=40)
    text = models.CharField(_("item"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    required = models.BooleanField(_("required"), default=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    photo_when_failed = models.BooleanField(_("photo required when it fails"), default=False)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "key"],
                                               name="checklists_one_key_per_version")]

    def __str__(self):
        return self.text
