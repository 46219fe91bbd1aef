"""The keys that sign the platform's credentials (resident passes, resumption confirmations).

The table keeps its first name (``gate_signingkey``): the keys began as the gate's and moved
here when a second kind of credential needed them (decision 0017)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SigningKey(models.Model):
    """An ES256 key pair that signs credentials. One key signs at a time (the newest not
    retired); retired keys stay published while credentials they signed can still be valid,
    so a rotation never strands a printed one. The private key is stored encrypted."""

    kid = models.CharField(_("key id"), max_length=24, unique=True,
                           help_text=_("Base64 of the first 8 bytes of SHA-256 of the public key"))
    public_key_der = models.BinaryField()
    private_key_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        db_table = "gate_signingkey"
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.kid
