"""Resident passes: issuing (one or a whole community), revoking, the lists an offline
checkpoint needs, and checking a scanned pass at the gate."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import audit, authz
from shoumen.core.rows import hot_cursor, partial_instance
from shoumen.core.services import service
from shoumen.credentials import keys
from shoumen.people.models import CONFINED_STATUSES, Person, PersonKind

from ..entries.models import Direction, RefusalReason
from . import cose
from .models import ResidentPass


class PassState(models.TextChoices):
    """Where a pass stands now: usable, past its validity, or revoked (revoked wins)."""

    LIVE = "live", gettext_lazy("Valid")
    EXPIRED = "expired", gettext_lazy("Expired")
    REVOKED = "revoked", gettext_lazy("Revoked")


def state_q(state: str, at: datetime | None = None, prefix: str = "") -> Q:
    """Passes in ``state`` at ``at`` (default now), as a filter (``prefix`` for a relation)."""
    at = at or timezone.now()
    if state == PassState.REVOKED:
        return Q(**{f"{prefix}revoked_at__isnull": False})
    lookup = "gt" if state == PassState.LIVE else "lte"
    return Q(**{f"{prefix}revoked_at": None, f"{prefix}valid_until__{lookup}": at})


def state_of(resident_pass: ResidentPass, at: datetime | None = None) -> PassState:
    if resident_pass.revoked_at is not None:
        return PassState.REVOKED
    if resident_pass.valid_until <= (at or timezone.now()):
        return PassState.EXPIRED
    return PassState.LIVE


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


def _unused_numbers(count: int) -> list[str]:
    """``count`` distinct pass numbers that no pass holds yet.

    Random numbers collide: with a city's million passes issued, a new community's 10,000
    would meet about ten numbers already taken, and one duplicate would fail the unique index
    and with it the whole batch. Numbers already taken are drawn again instead.
    """
    numbers: set[str] = set()
    while len(numbers) < count:
        fresh = list({_pass_number() for _ in range(count - len(numbers))} - numbers)
        for start in range(0, len(fresh), 5000):
            chunk = fresh[start:start + 5000]
            taken = set(ResidentPass.objects.filter(number__in=chunk)
                        .values_list("number", flat=True))
            numbers.update(n for n in chunk if n not in taken)
    return list(numbers)


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _community_of(node):
    """The community a pass is filed under: a grid's parent, else the person's own node."""
    from shoumen.geo.models import NodeKind

    return node.parent if node.kind == NodeKind.GRID else node


# The columns of a new pass, in the order _pass_row gives them.
_PASS_FIELDS = ("person_id", "number", "jurisdiction_id", "holder_display", "issued_at",
                "valid_until", "signing_key_id", "qr_text", "qr_digest", "issued_by_id")


def _pass_row(person_id: int, name: str, community, *, number, actor, key, now,
              valid_until) -> tuple:
    """The values of a new pass (see _PASS_FIELDS), its QR signed with ``key``."""
    holder = mask_name(name)
    text = cose.sign(private_key=keys.private_key(key), number=number,
                     community_code=community.code, holder=holder, issued_at=now,
                     expires_at=valid_until)
    return (person_id, number, community.pk, holder, now, valid_until, key.pk, text,
            qr_digest(text), getattr(actor, "pk", None))


def qr_digest(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode()).hexdigest()


def _check_issuer(actor, people) -> None:
    authz.authorize(actor, people, "gate.passes", _(
        "You may not issue or revoke passes for this person: they are outside the communities "
        "where you issue passes."))


def _validity(valid_days: int | None) -> int:
    days = settings.PASS_VALID_DAYS if valid_days is None else valid_days
    if not 1 <= days <= settings.PASS_VALID_DAYS:
        raise ValidationError({"valid_days": _("A pass is valid for 1 to %(max)d days.")
                               % {"max": settings.PASS_VALID_DAYS}})
    return days


def _now():
    # Whole seconds: the signed exp/iat are whole seconds, so the printed validity, the
    # database row and the QR's claims all say the same instant.
    return timezone.now().replace(microsecond=0)


@service
def issue_pass(person: Person, *, actor, valid_days: int | None = None) -> ResidentPass:
    """Issue a pass to ``person``; a pass they already hold is revoked (replaced).

    Two issuers at once cannot both leave the person a live pass: the person's row is locked
    first. Raises ``NotAllowed`` outside the actor's ``gate.passes`` scope and
    ``ValidationError`` for visitors or a validity outside 1..PASS_VALID_DAYS days.
    """
    _check_issuer(actor, person)
    if person.kind == PersonKind.VISITOR:
        raise ValidationError(_("Visitors do not get resident passes; register them at the "
                                "gate each time."))
    days = _validity(valid_days)
    now = _now()
    list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk"))
    for old in ResidentPass.objects.select_for_update().filter(person=person, revoked_at=None):
        _revoke(old, _("Replaced by a new pass"), now)
    row = _pass_row(person.pk, person.name, _community_of(person.jurisdiction),
                    number=_unused_numbers(1)[0], actor=actor, key=keys.signing_key(), now=now,
                    valid_until=now + timedelta(days=days))
    new = ResidentPass(**dict(zip(_PASS_FIELDS, row, strict=True)))
    new.save()
    return new


@dataclass
class BulkIssueResult:
    issued: int = 0
    skipped: int = 0  # already hold a live pass
    renewed: int = 0  # of the issued: held an expired pass, now revoked and replaced


@service
def issue_passes(people, *, actor, valid_days: int | None = None) -> BulkIssueResult:
    """Issue passes to everyone in ``people`` (a queryset) who has no live pass (one not
    revoked and still in date): a whole community at once. A pass that has expired is
    revoked and replaced. Visitors are left out. All or nothing: a person outside the actor's
    ``gate.passes`` scope raises ``NotAllowed`` before anything is written. Written in
    bulk with one audit row per pass."""
    from shoumen.core.bulk import insert_objects, new_objects
    from shoumen.geo.models import Node

    days = _validity(valid_days)
    people = people.exclude(kind=PersonKind.VISITOR).order_by()
    # Locked (PostgreSQL), so that a single issue at the same time waits for this one.
    ids = set(people.select_for_update(of=("self",)).values_list("pk", flat=True))
    _check_issuer(actor, people)
    now = _now()
    unrevoked = ResidentPass.objects.filter(person__in=people.values("pk"), revoked_at=None)
    live = unrevoked.filter(valid_until__gt=now)
    expired = list(unrevoked.filter(valid_until__lte=now).select_for_update())
    for old in expired:
        _revoke(old, _("Expired; replaced by a new pass"), now)
    # Plain values, not model instances: a community is ten thousand people.
    todo = list(people.exclude(pk__in=live.values("person_id"))
                .values_list("pk", "name", "jurisdiction_id"))
    nodes = Node.objects.select_related("parent").in_bulk({row[2] for row in todo})
    valid_until = now + timedelta(days=days)
    key = keys.signing_key()
    numbers = _unused_numbers(len(todo))
    rows = [_pass_row(pk, name, _community_of(nodes[node_id]), number=number, actor=actor,
                      key=key, now=now, valid_until=valid_until)
            for (pk, name, node_id), number in zip(todo, numbers, strict=True)]
    issued = insert_objects(new_objects(ResidentPass, rows, _PASS_FIELDS))
    audit.record_bulk_create(issued, note=_("Passes issued in bulk"))
    return BulkIssueResult(issued=len(issued), skipped=len(ids) - len(todo),
                           renewed=len(expired))


def _revoke(resident_pass: ResidentPass, reason: str, now) -> None:
    resident_pass.revoked_at = now
    resident_pass.revoke_reason = reason[:200]
    resident_pass.save(update_fields=["revoked_at", "revoke_reason"])


@service
def revoke_pass(resident_pass: ResidentPass, *, actor, reason: str) -> ResidentPass:
    """Revoke a pass: every checkpoint refuses it (offline ones once they refresh their
    list, which they do whenever online)."""
    _check_issuer(actor, resident_pass.person)
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
    found = _pass_by_digest(qr_digest(text))
    if found is None:
        claims = _verify_unknown(text, at)
        raise Refused(RefusalReason.UNKNOWN_PASS, claims.number, pass_number=claims.number)
    judge(found, direction=direction, at=at)
    return Checked(found, found.person)


def judge(found: ResidentPass, *, direction: str, at: datetime) -> None:
    """Raise :class:`Refused` if this issued pass may not be used at ``at`` going
    ``direction`` (see :func:`refusal_reason`), with what the guard is told."""
    person = found.person
    reason = refusal_reason(valid_until=found.valid_until, revoked_at=found.revoked_at,
                            status=person.status, direction=direction, at=at)
    if reason == RefusalReason.EXPIRED:
        raise Refused(reason, f"{found.valid_until:%Y-%m-%d}", person, found.number)
    if reason == RefusalReason.REVOKED:
        raise Refused(reason, found.revoke_reason, person, found.number)
    if reason == RefusalReason.STATUS:
        raise Refused(reason, person.get_status_display(), person, found.number)


def refusal_reason(*, valid_until: datetime | None, revoked_at: datetime | None, status: str,
                   direction: str, at: datetime) -> RefusalReason | None:
    """Why a holder may not pass at ``at`` going ``direction``, or None: the pass (if any:
    ``valid_until`` None for a person picked by look-up) expired or was revoked by then, or
    their status keeps them at home and they are going out. The one-statement registration on
    PostgreSQL states the same rule in SQL (``registration._scan_sql``); the tests hold both
    to it."""
    if valid_until is not None and valid_until <= at:
        return RefusalReason.EXPIRED
    if revoked_at is not None and revoked_at <= at:
        return RefusalReason.REVOKED
    if direction == Direction.OUT and status in CONFINED_STATUSES:
        return RefusalReason.STATUS
    return None


# The pass and what the guard's screen shows of its holder (masked numbers, community) in one
# indexed lookup. Plain SQL: this runs on every scan, and compiling the equivalent ORM query
# cost more than the database's own work. Rows read with PASS_SELECT become instances with
# pass_from_row.
PASS_SELECT = """
    SELECT p.id, p.number, p.revoked_at, p.revoke_reason, p.valid_until, p.person_id,
           h.name, h.status, h.id_number_masked, h.phone_masked, h.kind, h.jurisdiction_id,
           n.name, n.kind, n.parent_id, up.name
    FROM gate_residentpass p
    JOIN people_person h ON h.id = p.person_id
    JOIN geo_node n ON n.id = h.jurisdiction_id
    LEFT JOIN geo_node up ON up.id = n.parent_id
"""


def _pass_by_digest(digest: str) -> ResidentPass | None:
    """The issued pass whose text has this digest, with its holder and the holder's node
    (partial instances: other fields load on access), or None."""
    with hot_cursor() as cursor:
        cursor.execute(PASS_SELECT + " WHERE p.qr_digest = %s", [digest])
        row = cursor.fetchone()
    return None if row is None else pass_from_row(row)


def pass_from_row(row) -> ResidentPass:
    """A pass read with :data:`PASS_SELECT`, its holder attached, and the holder's node."""
    from shoumen.geo.models import Node

    (pass_id, number, revoked_at, revoke_reason, valid_until, person_id, name, status,
     id_masked, phone_masked, kind, node_id, node_name, node_kind, parent_id, parent_name) = row
    found = partial_instance(ResidentPass, {
        "id": pass_id, "number": number, "revoked_at": db_datetime(revoked_at),
        "revoke_reason": revoke_reason, "valid_until": db_datetime(valid_until),
        "person_id": person_id})
    person = partial_instance(Person, {
        "id": person_id, "name": name, "status": status, "id_number_masked": id_masked,
        "phone_masked": phone_masked, "kind": kind, "jurisdiction_id": node_id})
    node = partial_instance(Node, {"id": node_id, "name": node_name, "kind": node_kind,
                                   "parent_id": parent_id})
    if parent_id is not None:
        node.parent = partial_instance(Node, {"id": parent_id, "name": parent_name})
    person.jurisdiction = node
    found.person = person
    return found


def db_datetime(value):
    """A timestamp column as the ORM would return it (SQLite hands back naive UTC text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


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
