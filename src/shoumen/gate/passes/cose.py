"""The resident pass as a signed credential (:mod:`shoumen.credentials.cose`): private claim
-70001 holding ``{"n": pass number, "c": community code, "h": holder's masked name}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.translation import gettext as _

from shoumen.credentials import cose as credentials
from shoumen.credentials.cose import (  # noqa: F401  (the pass's transport, named here too)
    COSE_SIGN1_TAG,
    PREFIX,
    _sig_structure,
    kid_of,
    kid_text,
    public_der,
)

CLAIM_PASS = -70001  # private-use claim (negative, outside the IANA registry's range)

# A pass that fails the check; ``reason`` is a :class:`~shoumen.gate.models.RefusalReason`.
PassError = credentials.CredentialError


@dataclass(frozen=True)
class PassClaims:
    number: str
    community_code: str
    holder: str
    issued_at: datetime
    expires_at: datetime
    kid: str


def sign(*, private_key: ec.EllipticCurvePrivateKey, number: str, community_code: str,
         holder: str, issued_at: datetime, expires_at: datetime) -> str:
    """The QR text of a pass signed with ``private_key``."""
    return credentials.sign(private_key=private_key, claim=CLAIM_PASS,
                            body={"n": number, "c": community_code, "h": holder},
                            issued_at=issued_at, expires_at=expires_at)


def verify(text: str, public_keys: dict[str, ec.EllipticCurvePublicKey],
           now: datetime | None = None) -> PassClaims:
    """Check the signature and the validity period of a pass; return its claims. Raises
    :class:`PassError`; revocation and the holder's status are the caller's to check."""
    found = credentials.verify(text, public_keys, claim=CLAIM_PASS, now=now)
    body: Mapping = found.body
    try:
        number, community, holder = str(body["n"]), str(body["c"]), str(body["h"])
    except KeyError as exc:
        raise PassError("malformed", _("claims are incomplete")) from exc
    return PassClaims(number=number, community_code=community, holder=holder,
                      issued_at=found.issued_at, expires_at=found.expires_at, kid=found.kid)
