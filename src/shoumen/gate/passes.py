"""Resident passes: issuing (one or a whole community), revoking, the lists an offline
checkpoint needs, and checking a scanned pass at the gate."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import audit
from shoumen.people.models import CONFINED_STATUSES, Person, PersonKind

from . import cose, keys
from .models import Direction, RefusalReason, ResidentPass


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳小明 → 欧**明: enough for a guard to match a face, not to identify."""
    name = (name or "").strip()
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _pass_number() -> str:
    """Ten digits, the last a Luhn check digit so a mistyped number is caught at once."""
    body = f"{secrets.randbelow(9 * 10**8) + 10**8}"
    return body + luhn_digit(body)


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _community_of(person: Person):
    from shoumen.geo.models import NodeKind

    node = person.jurisdiction
    return node.parent if node.kind == NodeKind.GRID else node


def _new_pass(person: Person, *, actor, key, now, valid_until) -> ResidentPass:
    community = _community_of(person)
    number = _pass_number()
    holder = mask_name(person.name)
    text = cose.sign(private_key=keys.private_key(key), number=number,
                     community_code=community.code, holder=holder, issued_at=now,
                     expires_at=valid_until)
    return ResidentPass(number=number, person=person, jurisdiction=community,
                        holder_display=holder, issued_at=now, valid_until=valid_until,
                        signing_key=key, qr_text=text, qr_digest=qr_digest(text),
                        issued_by=actor)


def qr_digest(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode()).hexdigest()


def _check_issuer(actor, people_ids) -> None:
    visible = Person.objects.visible_to(actor, "gate.passes").filter(pk__in=people_ids).count()
    if visible != len(set(people_ids)):
        raise PermissionError("cannot issue passes outside one's jurisdiction")


@transaction.atomic
def issue_pass(person: Person, *, actor, valid_days: int | None = None) -> ResidentPass:
    """Issue a pass to ``person``; a pass they already hold is revoked (replaced)."""
    _check_issuer(actor, [person.pk])
    if person.kind == PersonKind.VISITOR:
        raise ValidationError(_("Visitors do not get resident passes; register them at the "
                                "gate each time."))
    now = timezone.now()
    days = valid_days or settings.PASS_VALID_DAYS
    if not 1 <= days <= settings.PASS_VALID_DAYS:
        raise ValidationError({"valid_days": _("A pass is valid for 1 to %(max)d days.")
                               % {"max": settings.PASS_VALID_DAYS}})
    for old in ResidentPass.objects.select_for_update().filter(person=person, revoked_at=None):
        _revoke(old, _("Replaced by a new pass"), now)
    new = _new_pass(person, actor=actor, key=keys.signing_key(), now=now,
                    valid_until=now + timedelta(days=days))
    new.save()
    return new


@dataclass
class BulkIssueResult:
    issued: int = 0
    skipped: int = 0  # already hold a live pass


@transaction.atomic
def issue_passes(people, *, actor, valid_days: int | None = None) -> BulkIssueResult:
    """Issue passes to everyone in ``people`` (a queryset) who has no live pass: a whole
    community at once. Written in bulk with one audit row per pass."""
    from shoumen.core.bulk import insert_objects

    people = people.exclude(kind=PersonKind.VISITOR)
    ids = list(people.values_list("pk", flat=True))
    _check_issuer(actor, ids)
    holding = set(ResidentPass.objects.filter(person_id__in=ids, revoked_at=None)
                  .values_list("person_id", flat=True))
    now = timezone.now()
    valid_until = now + timedelta(days=valid_days or settings.PASS_VALID_DAYS)
    key = keys.signing_key()
    todo = [p for p in people.select_related("jurisdiction__parent") if p.pk not in holding]
    passes = [_new_pass(p, actor=actor, key=key, now=now, valid_until=valid_until) for p in todo]
    insert_objects(passes)
    audit.record_bulk_create(passes, note=_("Passes issued in bulk"))
    return BulkIssueResult(issued=len(passes), skipped=len(holding))


def _revoke(resident_pass: ResidentPass, reason: str, now) -> None:
    resident_pass.revoked_at = now
    resident_pass.revoke_reason = reason[:200]
    resident_pass.save(update_fields=["revoked_at", "revoke_reason"])


@transaction.atomic
def revoke_pass(resident_pass: ResidentPass, *, actor, reason: str) -> ResidentPass:
    """Revoke a pass: every checkpoint refuses it (offline ones once they refresh their
    list, which they do whenever online)."""
    _check_issuer(actor, [resident_pass.person_id])
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the pass is revoked (e.g. lost, moved "
                                           "away).")})
    if resident_pass.revoked_at is None:
        _revoke(resident_pass, reason.strip(), timezone.now())
    return resident_pass


def offline_lists() -> dict:
    """What a checkpoint needs to decide without the server: revoked passes that would still
    be in date, and passes whose holder may not leave. Small: only exceptions are listed."""
    now = timezone.now()
    revoked = ResidentPass.objects.filter(revoked_at__isnull=False, valid_until__gt=now)
    confined = ResidentPass.objects.filter(revoked_at=None, valid_until__gt=now,
                                           person__status__in=CONFINED_STATUSES)
    return {
        "generated_at": now,
        "revoked": sorted(revoked.values_list("number", flat=True)),
        "confined": sorted(confined.values_list("number", flat=True)),
    }


class Refused(Exception):
    """The person may not pass; ``reason`` is a RefusalReason value."""

    def __init__(self, reason: str, detail: str = "", person=None, pass_number: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail
        self.person, self.pass_number = person, pass_number

    @property
    def message(self) -> str:
        return str(RefusalReason(self.reason).label)


@dataclass
class Checked:
    """A pass that verified and may be used now: its holder, as the guard sees them."""

    resident_pass: ResidentPass
    person: Person


def check_pass(text: str, *, direction: str, at: datetime | None = None) -> Checked:
    """Verify a scanned pass as of ``at`` (default now): that it is one we signed, in date,
    not revoked, and that the holder's status lets them go ``direction``. Raises
    :class:`Refused` with the reason.

    A text byte-identical to an issued pass is found by its digest (one index lookup, no
    decoding); anything else is decoded and its signature checked, only to tell the guard
    why it is refused (forged, tampered, malformed, expired).
    """
    at = at or timezone.now()
    found = (ResidentPass.objects.select_related("person")
             .filter(qr_digest=qr_digest(text)).only(
                 "number", "revoked_at", "revoke_reason", "valid_until", "person__id",
                 "person__name", "person__status", "person__jurisdiction_id",
                 "person__id_number_masked", "person__kind").first())
    if found is None:
        claims = _verify_unknown(text, at)
        raise Refused(RefusalReason.UNKNOWN_PASS, claims.number, pass_number=claims.number)
    person = found.person
    if found.valid_until <= at:
        raise Refused(RefusalReason.EXPIRED, f"{found.valid_until:%Y-%m-%d}", person,
                      found.number)
    if found.revoked_at is not None and found.revoked_at <= at:
        raise Refused(RefusalReason.REVOKED, found.revoke_reason, person, found.number)
    if direction == Direction.OUT and person.status in CONFINED_STATUSES:
        raise Refused(RefusalReason.STATUS, person.get_status_display(), person, found.number)
    return Checked(found, person)


def _verify_unknown(text: str, at) -> cose.PassClaims:
    """Decode and check a text we did not issue; raises Refused with the precise reason."""
    try:
        try:
            return cose.verify(text, keys.public_keys(), now=at)
        except cose.PassError as exc:
            if exc.reason != "unknown_key":
                raise
            keys.forget_cached_keys()  # another process may just have rotated
            return cose.verify(text, keys.public_keys(), now=at)
    except cose.PassError as exc:
        raise Refused(exc.reason, exc.detail) from None
