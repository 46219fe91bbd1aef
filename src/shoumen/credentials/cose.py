"""A credential on the wire: ``SM1:`` + Base45( zlib( COSE_Sign1( CWT ) ) ), ES256.

This is the EU Digital COVID Certificate's transport (RFC 9052 COSE_Sign1, RFC 8392 CWT,
RFC 9285 Base45) with our own prefix and private claims, so any COSE library can check a
credential offline given the published public key, and so can a browser with WebCrypto.

* protected header: ``{1: -7 (ES256), 4: kid}``, kid = first 8 bytes of SHA-256 of the public
  key's DER SubjectPublicKeyInfo;
* payload (CWT): ``{1: iss, 4: exp, 6: iat, <claim>: {…}}``, where ``<claim>`` is a private
  claim (negative, outside the IANA registry) naming the kind of credential — a resident pass
  (-70001), a resumption confirmation (-70002) — and holding its few fields; never an ID
  number;
* signature: raw r‖s (64 bytes), as COSE and WebCrypto both expect.

Nothing here touches the database: :func:`sign` and :func:`verify` take keys as arguments.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from django.utils.translation import gettext as _

PREFIX = "SM1:"
ISSUER = "shoumen"
ALG_ES256 = -7
COSE_SIGN1_TAG = 18
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT = 1, 4, 6
HEADER_ALG, HEADER_KID = 1, 4
_MAX_MESSAGE_BYTES = 4096


class CredentialError(Exception):
    """The text is not a valid credential of the kind asked for; ``reason`` is one of
    ``malformed``, ``unknown_key``, ``bad_signature``, ``expired`` and ``detail`` says what
    exactly was wrong (in the active language)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Verified:
    """What a valid credential says: its private claim's fields, when it was issued and until
    when it is valid, and the id of the key that signed it."""

    body: Mapping
    issued_at: datetime
    expires_at: datetime
    kid: str


def kid_of(public_key_der: bytes) -> bytes:
    return hashlib.sha256(public_key_der).digest()[:8]


def kid_text(kid: bytes) -> str:
    return base64.b64encode(kid).decode()


def public_der(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign(*, private_key: ec.EllipticCurvePrivateKey, claim: int, body: dict,
         issued_at: datetime, expires_at: datetime) -> str:
    """The QR text of a credential of kind ``claim`` holding ``body``, signed with
    ``private_key``."""
    kid = kid_of(public_der(private_key))
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})
    payload = cbor2.dumps({
        CLAIM_ISS: ISSUER,
        CLAIM_EXP: int(expires_at.timestamp()),
        CLAIM_IAT: int(issued_at.timestamp()),
        claim: body,
    })
    der = private_key.sign(_sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    message = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + base45.b45encode(zlib.compress(message, 9)).decode()


def _unwrap(text: str) -> tuple[bytes, dict, bytes, bytes]:
    text = (text or "").strip()
    if not text.startswith(PREFIX):
        raise CredentialError("malformed", _("missing SM1: prefix"))
    try:
        compressed = base45.b45decode(text[len(PREFIX):])
    except (ValueError, KeyError) as exc:
        raise CredentialError("malformed", _("not Base45")) from exc
    try:
        # Bounded: a credential is a few hundred bytes, a crafted "zip bomb" QR must not cost
        # memory.
        message = cbor2.loads(zlib.decompressobj().decompress(compressed, _MAX_MESSAGE_BYTES))
    except (zlib.error, cbor2.CBORDecodeError, ValueError) as exc:
        raise CredentialError("malformed", _("not a compressed COSE message")) from exc
    if isinstance(message, cbor2.CBORTag):
        if message.tag != COSE_SIGN1_TAG:
            raise CredentialError("malformed", _("CBOR tag %(tag)s is not COSE_Sign1")
                                  % {"tag": message.tag})
        message = message.value
    if not (isinstance(message, list | tuple) and len(message) == 4
            and all(isinstance(message[i], bytes) for i in (0, 2, 3))):
        raise CredentialError("malformed", _("not a COSE_Sign1 structure"))
    protected_bytes, _unprotected, payload, signature = message
    try:
        protected = cbor2.loads(protected_bytes) if protected_bytes else {}
    except (cbor2.CBORDecodeError, ValueError) as exc:
        raise CredentialError("malformed", _("unreadable protected header")) from exc
    if not isinstance(protected, Mapping) or protected.get(HEADER_ALG) != ALG_ES256:
        raise CredentialError("malformed", _("algorithm is not ES256"))
    return protected_bytes, protected, payload, signature


def verify(text: str, public_keys: dict[str, ec.EllipticCurvePublicKey], *, claim: int,
           now: datetime | None = None) -> Verified:
    """Check the signature and the validity period of a credential of kind ``claim``.

    ``public_keys`` maps kid (base64) to the published public keys. Raises
    :class:`CredentialError`. Revocation is the caller's to check (it needs the database).
    """
    protected_bytes, protected, payload, signature = _unwrap(text)
    kid = protected.get(HEADER_KID)
    key = public_keys.get(kid_text(kid)) if isinstance(kid, bytes) else None
    if key is None:
        raise CredentialError("unknown_key", _("signed by an unknown key"))
    if len(signature) != 64:
        raise CredentialError("bad_signature", _("signature has the wrong length"))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, _sig_structure(protected_bytes, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise CredentialError("bad_signature", _("signature does not match the contents")) \
            from exc
    try:
        claims = cbor2.loads(payload)
        if not isinstance(claims, Mapping):
            raise TypeError("claims are not a map")
        body = claims[claim]
        if not isinstance(body, Mapping):
            raise TypeError("the credential's claim is not a map")
        issued = datetime.fromtimestamp(int(claims[CLAIM_IAT]), UTC)
        expires = datetime.fromtimestamp(int(claims[CLAIM_EXP]), UTC)
    except (cbor2.CBORDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CredentialError("malformed", _("claims are incomplete")) from exc
    now = now or datetime.now(UTC)
    if expires <= now:
        raise CredentialError("expired", _("expired %(date)s") % {"date": f"{expires:%Y-%m-%d}"})
    return Verified(body=body, issued_at=issued, expires_at=expires, kid=kid_text(kid))
