"""Signing keys: the one that signs now, the ones checkers must still trust, rotation.

A key signs until it is rotated out (``settings.PASS_KEY_ROTATION_DAYS``, by the scheduled
task or by hand). A retired key stays *published* for as long as the longest credential it
signed can be valid (``settings.PASS_VALID_DAYS`` for a pass,
``settings.CONFIRMATION_VALID_DAYS`` for a resumption confirmation), then drops out of
``GET /api/gate/keys/``.
"""

from __future__ import annotations

import base64
import time
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shoumen.core import pii

from . import cose
from .models import SigningKey

_CACHE_SECONDS = 60


# "at" is a time.monotonic() reading; -inf means "never loaded" (0.0 would not do: the
# monotonic clock may start near zero, on a machine booted less than a minute ago).
_public_cache: dict = {"at": float("-inf"), "keys": {}}
_private_cache: dict[int, ec.EllipticCurvePrivateKey] = {}


def _new_key() -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    der = cose.public_der(private)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SigningKey.objects.create(kid=cose.kid_text(cose.kid_of(der)), public_key_der=der,
                                     private_key_encrypted=pii.encrypt(pem))


def signing_key() -> SigningKey:
    """The key that signs new credentials; made on first use."""
    key = SigningKey.objects.filter(retired_at=None).order_by("-created_at", "-id").first()
    if key is None:
        with transaction.atomic():
            key = _new_key()
        forget_cached_keys()
    return key


def private_key(key: SigningKey) -> ec.EllipticCurvePrivateKey:
    if key.pk not in _private_cache:
        pem = pii.decrypt(key.private_key_encrypted).encode()
        _private_cache[key.pk] = serialization.load_pem_private_key(pem, password=None)
    return _private_cache[key.pk]


@transaction.atomic
def rotate() -> SigningKey:
    """Retire the signing key and make a new one. Credentials already issued stay valid."""
    SigningKey.objects.filter(retired_at=None).update(retired_at=timezone.now())
    key = _new_key()
    forget_cached_keys()
    return key


def rotate_if_due() -> SigningKey | None:
    key = signing_key()
    if key.created_at <= timezone.now() - timedelta(days=settings.PASS_KEY_ROTATION_DAYS):
        return rotate()
    return None


def published() -> list[SigningKey]:
    """Keys a checker must trust: the signing key and the recently retired ones."""
    signing_key()
    horizon = timezone.now() - timedelta(days=max(settings.PASS_VALID_DAYS,
                                                  settings.CONFIRMATION_VALID_DAYS))
    return list(SigningKey.objects.exclude(retired_at__lt=horizon))


def public_keys() -> dict[str, ec.EllipticCurvePublicKey]:
    """kid → public key of every published key, cached in the process for a minute."""
    if time.monotonic() - _public_cache["at"] > _CACHE_SECONDS:
        _public_cache["keys"] = {
            k.kid: serialization.load_der_public_key(bytes(k.public_key_der)) for k in published()
        }
        _public_cache["at"] = time.monotonic()
    return _public_cache["keys"]


def forget_cached_keys() -> None:
    _public_cache["at"] = float("-inf")


def as_json(key: SigningKey) -> dict:
    return {"kid": key.kid, "alg": "ES256",
            "public_key": base64.b64encode(bytes(key.public_key_der)).decode(),
            "created_at": key.created_at, "retired_at": key.retired_at}
