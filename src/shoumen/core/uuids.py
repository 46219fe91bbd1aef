"""Time-ordered UUIDs (RFC 9562 version 7), as the checkpoint page makes them for entries.

Python 3.11 has no ``uuid.uuid7``. The first 48 bits are the Unix time in milliseconds, so
uuids made later sort later and a unique index takes new ones at its end (decision 0007).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from uuid import UUID, SafeUUID

_RANDOM_BITS = (1 << 74) - 1
_new, _set = object.__new__, object.__setattr__


def uuid7(at: datetime | None = None, random_bits: int | None = None) -> UUID:
    """A version-7 UUID for the moment ``at`` (default: now) with ``random_bits`` (74 bits,
    default: from the OS) in its random fields."""
    ms = int((at.timestamp() if at is not None else time.time()) * 1000) & ((1 << 48) - 1)
    if random_bits is None:
        random_bits = int.from_bytes(os.urandom(10), "big")
    random_bits &= _RANDOM_BITS
    value = (ms << 80) | (0x7 << 76) | ((random_bits >> 62) << 64) | (0b10 << 62) \
        | (random_bits & ((1 << 62) - 1))
    u = _new(UUID)  # UUID(int=...) checks its arguments; this runs for millions of demo rows
    _set(u, "int", value)
    _set(u, "is_safe", SafeUUID.unknown)
    return u
