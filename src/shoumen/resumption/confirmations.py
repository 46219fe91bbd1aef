"""The resumption confirmation (复工确认书): issued when an enterprise is approved, revoked when
it is suspended, checked from its QR.

The QR is a signed credential (:mod:`shoumen.credentials.cose`, the resident pass's form) of
private claim -70002 holding ``{"n": number, "e": enterprise name, "u": credit code}`` —
public facts, no personal data — signed by the platform's current key. A checker offline
needs the published keys (and, to see revocations, the list of revoked numbers it last
fetched); the platform's check also looks the number up.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.services import service
from shoumen.credentials import cose, keys

from .models import Confirmation, EnterpriseStatus

CLAIM_CONFIRMATION = -70002
FIELDS = ("n", "e", "u")


@service
def issue(declaration, *, actor) -> Confirmation:
    """A new confirmation for the enterprise approved with ``declaration`` (from the
    approval, in its transaction); any earlier one still standing is revoked."""
    enterprise = declaration.enterprise
    authz.authorize(actor, enterprise, "resumption.approve", _(
        "Only the subdistrict's staff who approve resumption issue its confirmation."))
    now = timezone.now()
    revoke(enterprise, reason=_("replaced by a new confirmation"), now=now)
    key = keys.signing_key()
    number = f"FG{timezone.localdate(now):%Y%m%d}{secrets.token_hex(3).upper()}"
    valid_until = now + timedelta(days=settings.CONFIRMATION_VALID_DAYS)
    text = cose.sign(private_key=keys.private_key(key), claim=CLAIM_CONFIRMATION,
                     body={"n": number, "e": enterprise.name, "u": enterprise.credit_code},
                     issued_at=now, expires_at=valid_until)
    return Confirmation.objects.create(
        number=number, enterprise=enterprise, declaration=declaration,
        jurisdiction_id=enterprise.jurisdiction_id, issued_at=now, valid_until=valid_until,
        issued_by=actor, signing_key=key, qr_text=text)


def revoke(enterprise, *, reason: str, now=None) -> int:
    """Revoke the enterprise's standing confirmations (a suspension); audited per row."""
    now = now or timezone.now()
    count = 0
    for confirmation in enterprise.confirmations.filter(revoked_at=None):
        confirmation.revoked_at, confirmation.revoked_reason = now, reason[:200]
        confirmation.save(update_fields=["revoked_at", "revoked_reason"])
        count += 1
    return count


@dataclass(frozen=True)
class Check:
    """The answer to a scanned QR: ``valid``, and if not, ``reason`` and what to tell the
    person checking; the confirmation when the number is known."""

    valid: bool
    reason: str
    message: str
    confirmation: Confirmation | None = None


def check(text: str, now=None) -> Check:
    """Check a scanned QR: the signature and period, then the number — unknown, revoked, or
    the enterprise no longer resumed all fail."""
    try:
        found = _verify(text, now)
    except cose.CredentialError as exc:
        return Check(False, exc.reason, _message(exc.reason, exc.detail))
    confirmation = (Confirmation.objects.select_related("enterprise")
                    .filter(number=str(found.body["n"])).first())
    if confirmation is None or confirmation.qr_text != text.strip():
        return Check(False, "unknown", _("This confirmation was not issued by the platform."))
    if confirmation.revoked_at is not None:
        return Check(False, "revoked", _("Revoked on %(date)s: %(why)s") % {
            "date": timezone.localtime(confirmation.revoked_at).strftime("%Y-%m-%d"),
            "why": confirmation.revoked_reason}, confirmation)
    if confirmation.enterprise.status != EnterpriseStatus.RESUMED:
        return Check(False, "status", _("The enterprise is now “%(state)s”.") % {
            "state": confirmation.enterprise.get_status_display()}, confirmation)
    return Check(True, "", _("Valid: %(name)s may operate.") % {
        "name": confirmation.enterprise.name}, confirmation)


def _verify(text: str, now) -> cose.Verified:
    try:
        found = cose.verify(text, keys.public_keys(), claim=CLAIM_CONFIRMATION, now=now)
    except cose.CredentialError as exc:
        if exc.reason != "unknown_key":
            raise
        keys.forget_cached_keys()  # another process may just have rotated
        found = cose.verify(text, keys.public_keys(), claim=CLAIM_CONFIRMATION, now=now)
    if any(not isinstance(found.body.get(f), str) for f in FIELDS):
        raise cose.CredentialError("malformed", _("claims are incomplete"))
    return found


def _message(reason: str, detail: str) -> str:
    return {
        "malformed": _("This is not a resumption confirmation's code (%(detail)s)."),
        "unknown_key": _("Signed by a key the platform does not know: not genuine."),
        "bad_signature": _("The code was altered or forged: the signature does not match."),
        "expired": _("The confirmation has expired (%(detail)s); ask for a new one."),
    }.get(reason, "%(detail)s") % {"detail": detail}


def revoked_numbers(user) -> list[str]:
    """Numbers of the revoked confirmations ``user`` may see, for an offline checker."""
    return list(Confirmation.objects.visible_to(user).exclude(revoked_at=None)
                .values_list("number", flat=True))
