from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from shoumen.core import pii
from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet
from shoumen.core.workflow import Step, Workflow


def validate_uscc(value: str) -> None:
    """统一社会信用代码: 18 characters with a check character (GB 32100-2015)."""
    try:
        uscc.validate(value)
    except StdnumError:
        raise ValidationError(
            _g("“%(value)s” is not a valid unified social credit code: it has 18 characters "
               "(digits and capital letters except I, O, S, V, Z) and the last is a check "
               "character; copy it from the business licence.") % {"value": value},
            code="uscc",
        ) from None


class EnterpriseStatus(models.TextChoices):
    NOT_RESUMED = "not_resumed", _("Not resumed")
    DECLARED = "declared", _("Declared")
    RESUMED = "resumed", _("Resumed")
    SUSPENDED = "suspended", _("Suspended")


class Enterprise(AuditedModel):
    """An enterprise under a community: the third level of the subdistrict–community–enterprise
    network. Its resumption workflow (declaration, on-site review, supervision) builds on it."""

    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="enterprises")
    name = models.CharField(_("name"), max_length=150)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True,
                                   validators=[validate_uscc])
    building = models.ForeignKey("geo.Place", verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="enterprises")
    floor_room = models.CharField(_("floor / room"), max_length=50, blank=True)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    employees = models.PositiveIntegerField(_("employees"), default=0)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    # The contact's phone, like a resident's: only encrypted, with a blind index and a mask
    # (set and read through ``contact_phone``; a full read is an audited reveal).
    contact_phone_encrypted = models.TextField(editable=False, blank=True)
    contact_phone_index = models.CharField(max_length=64, null=True, editable=False)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=20, blank=True,
                                            editable=False)
    status = models.CharField(_("status"), max_length=20, choices=EnterpriseStatus.choices,
                              default=EnterpriseStatus.NOT_RESUMED, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"
    scope_enterprise_field = "pk"
    audit_exclude = frozenset({"contact_phone_encrypted", "contact_phone_index"})

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def contact_phone(self) -> str:
        """The full number (decrypted): show it only after ``services.reveal_contact``."""
        return pii.decrypt(self.contact_phone_encrypted)

    @contact_phone.setter
    def contact_phone(self, phone: str) -> None:
        """Store an already validated, normalised number ('' removes it)."""
        (self.contact_phone_encrypted, self.contact_phone_index,
         self.contact_phone_masked) = pii.phone_columns(phone or "")


_E = EnterpriseStatus
# Until the resumption workflow (declaration, review, on-site review, approval) takes this
# over: staff at the enterprise's jurisdiction move it; a liaison never does.
Enterprise.status_flow = Workflow("status", EnterpriseStatus, [
    Step({_E.NOT_RESUMED, _E.SUSPENDED}, _E.DECLARED, "enterprises.edit"),
    Step({_E.NOT_RESUMED, _E.DECLARED, _E.SUSPENDED}, _E.RESUMED, "enterprises.edit"),
    Step({_E.RESUMED}, _E.SUSPENDED, "enterprises.edit"),
    Step({_E.DECLARED, _E.SUSPENDED}, _E.NOT_RESUMED, "enterprises.edit"),
], authorize_on=lambda enterprise: enterprise.jurisdiction,
    refused=_("Only the subdistrict's staff may change an enterprise's status."))
