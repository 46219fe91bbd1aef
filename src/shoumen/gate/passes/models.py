"""Resident passes and the keys that sign them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet


class ResidentPass(AuditedModel):
    """A resident pass (居民出入证): a signed QR that any checkpoint can verify offline.

    ``qr_text`` is the exact signed payload (``SM1:`` + Base45(zlib(COSE_Sign1(CWT)))), kept so
    that the printed card and the phone view show the same code, and so that the server
    recognises a scanned pass by its digest without decoding it. A person holds at most one
    pass that is not revoked; issuing a new one revokes the old.
    """

    number = models.CharField(_("pass number"), max_length=12, unique=True)
    person = models.ForeignKey("people.Person", verbose_name=_("holder"),
                               on_delete=models.CASCADE, related_name="passes")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("community"),
                                     on_delete=models.PROTECT, related_name="+")
    holder_display = models.CharField(_("holder (masked)"), max_length=50)
    issued_at = models.DateTimeField(_("issued"))
    valid_until = models.DateTimeField(_("valid until"))
    signing_key = models.ForeignKey("credentials.SigningKey", on_delete=models.PROTECT,
                                    related_name="+")
    qr_text = models.TextField(editable=False)
    # SHA-256 of qr_text: a scanned text that matches is a pass we signed, found by one index
    # lookup; only unknown texts pay for a signature check (to say why they are refused).
    qr_digest = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"),
                                  null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, db_index=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "gate.view"
    audit_exclude = frozenset({"qr_text", "qr_digest"})

    class Meta:
        verbose_name = _("resident pass")
        verbose_name_plural = _("resident passes")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(revoked_at=None),
                                    name="gate_one_live_pass_per_person"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.valid_until <= timezone.now()
