"""Registration at the gate: one person through one checkpoint (:func:`register`, the hot
path: one pass lookup, one insert), the guard's look-up of a person without a pass, visitors,
and the idempotent batch upload of an offline checkpoint's queue."""

from __future__ import annotations

import functools
import uuid as uuid_mod
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import authz, bulk, pii
from shoumen.core.ids import parse_id
from shoumen.core.rows import hot_cursor, insert_row, partial_instance
from shoumen.core.services import service
from shoumen.core.uuids import uuid7
from shoumen.people.models import CONFINED_STATUSES, Person, PersonKind

from ..alerts.models import FeverAlert
from ..checkpoints.models import Checkpoint, CheckpointDevice
from ..passes.services import (
    PASS_SELECT,
    Refused,
    check_pass,
    db_datetime,
    pass_from_row,
    qr_digest,
    refusal_reason,
)
from .models import ENTRY_ROW_FIELDS, Direction, Entry, Method, Refusal, RefusalReason
from .temperature import parse_temperature


def _parse_at(value, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    if value in (None, ""):
        return now
    at = value
    if not isinstance(value, datetime):
        from django.utils.dateparse import parse_datetime

        try:  # a well-formed but impossible time ("2026-13-45T…") raises ValueError
            at = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            at = None
        if at is None:
            raise ValidationError({"at": _("Give the time as ISO 8601, e.g. "
                                           "2026-03-01T08:30:00+08:00.")})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + timedelta(minutes=5):
        raise ValidationError({"at": _("The time is in the future: check the phone's clock.")})
    if at < now - timedelta(days=settings.RETENTION_DAYS):
        raise ValidationError({"at": _("The entry is older than the %(days)d-day retention "
                                       "period and cannot be stored.")
                               % {"days": settings.RETENTION_DAYS}})
    return at


def _parse_uuid(value) -> uuid_mod.UUID:
    if value in (None, ""):
        return uuid7()
    try:
        return value if isinstance(value, uuid_mod.UUID) else uuid_mod.UUID(str(value))
    except ValueError:
        raise ValidationError({"uuid": _("“%(v)s” is not a UUID.") % {"v": value}}) from None


_DIRECTIONS = frozenset(Direction.values)


def validate_input(*, uuid, direction, at, temperature, sources, visitor_prefix="", now=None):
    """The checks every registration needs before touching the database, all reported at
    once: ``(uuid, at, temperature)`` or a ValidationError by field. ``sources`` is
    ``(qr_text, person, visitor)`` as received; a visitor's fields are reported under
    ``visitor_prefix`` + ``name``, ``phone``, ``id_number``, ``reason``. ``now`` is the
    server time the entry's time is checked against (default: now)."""
    errors: dict[str, list] = {}
    parsed = {}
    qr_text, _person, visitor = sources
    if qr_text and not isinstance(qr_text, str):
        errors["qr_text"] = [_("Send the scanned pass as text (it starts with “SM1:”).")]
    if visitor and not isinstance(visitor, dict):
        errors["visitor"] = [_("Give the visitor as an object with name, phone, id_number, "
                               "reason and visiting.")]
    elif visitor:
        try:
            clean_visitor(visitor, prefix=visitor_prefix)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for name, parse in (("uuid", lambda: _parse_uuid(uuid)), ("at", lambda: _parse_at(at, now)),
                        ("temperature", lambda: parse_temperature(temperature))):
        try:
            parsed[name] = parse()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not (isinstance(direction, str) and direction in _DIRECTIONS):
        errors["direction"] = [_("Direction must be “in” or “out”.")]
    if sum(bool(x) for x in sources) != 1:
        errors["non_field_errors"] = [_("Scan a pass, pick a person or register a visitor — "
                                        "exactly one of them.")]
    if errors:
        raise ValidationError(errors)
    return parsed["uuid"], parsed["at"], parsed["temperature"]


@dataclass
class Outcome:
    """What happened to one registration: an entry, a refusal, or (on a retry) the entry or
    refusal stored the first time (``duplicate``)."""

    entry: Entry | None = None
    refusal: Refusal | None = None
    duplicate: bool = False
    person: Person | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def admitted(self) -> bool:
        return self.entry is not None

    @property
    def fever(self) -> bool:
        return bool(self.entry and self.entry.fever)


def _existing(uid) -> Outcome | None:
    entry = Entry.objects.filter(uuid=uid).select_related("person__jurisdiction__parent").first()
    if entry is not None:
        return Outcome(entry=entry, duplicate=True, person=entry.person)
    refusal = Refusal.objects.filter(uuid=uid).first()
    if refusal is not None:
        return Outcome(refusal=refusal, duplicate=True)
    return None


NOT_HERE = gettext_lazy("You cannot register at this checkpoint: it is not one you guard or "
                        "manage.")


@service(atomic=False)  # one insert on the hot path needs no transaction of its own
def register(*, checkpoint: Checkpoint, actor, direction: str, temperature, qr_text: str = "",
             person: Person | None = None, visitor: dict | None = None, uuid=None, at=None,
             device: CheckpointDevice | None = None) -> Outcome:
    """Register one person through ``checkpoint``: by scanned pass (``qr_text``), by a person
    the guard looked up (``person``), or as a visitor (``visitor``: name, phone, id_number,
    reason, visiting), by ``actor`` (for a phone: the guard who registered it), who must be
    able to register there (``Checkpoint.objects.visible_to(actor, "gate.register")``).

    Idempotent on ``uuid``: a retry returns what the first call stored. Bad input raises
    ValidationError naming the field; a refused pass is stored as a :class:`Refusal` and
    returned, not raised. A fever raises a :class:`FeverAlert` in the same transaction.
    """
    authz.authorize(actor, checkpoint, "gate.register", NOT_HERE)
    uid, at, temp = validate_input(uuid=uuid, direction=direction, at=at,
                                   temperature=temperature, sources=(qr_text, person, visitor))
    method, resident_pass = Method.LOOKUP, None
    fever = temp >= Decimal(str(settings.FEVER_THRESHOLD_C))
    if qr_text and not fever and connection.vendor == "postgresql":
        stored = _store_scan(qr_text, uid=uid, checkpoint_id=checkpoint.pk, direction=direction,
                             at=at, temperature=temp, site_id=checkpoint.site_id,
                             guard_id=actor.pk if actor else None,
                             device_id=device.pk if device else None)
        if stored is not None:
            return stored
    try:
        if qr_text:
            method = Method.PASS
            checked = check_pass(qr_text, direction=direction, at=at)
            person, resident_pass = checked.person, checked.resident_pass
        elif visitor:
            method = Method.VISITOR
        elif direction == Direction.OUT and person.status in CONFINED_STATUSES:
            raise Refused(RefusalReason.STATUS, person.get_status_display(), person)
    except Refused as refused:
        return _store_refusal(refused, uid=uid, checkpoint=checkpoint, actor=actor,
                              direction=direction, at=at)
    if Refusal.objects.filter(uuid=uid).exists():  # logged as a refusal before: stays one
        return _existing(uid)
    # One insert needs no transaction of its own (a savepoint, though, if the caller has one:
    # the unique violation of a retried uuid must not break the caller's transaction).
    alone = not (visitor or fever or connection.in_atomic_block)
    try:
        with nullcontext() if alone else transaction.atomic():
            if visitor:
                person = _visitor_person(checkpoint, visitor)
            # Ids, not instances, in the constructor: each related-object assignment costs,
            # and this is the hot path; the holder is attached for the response below.
            entry = Entry(uuid=uid, checkpoint_id=checkpoint.pk, site_id=checkpoint.site_id,
                          at=at, direction=direction, temperature=temp, fever=fever,
                          person_id=person.pk, method=method,
                          resident_pass_id=resident_pass.pk if resident_pass else None,
                          guard_id=actor.pk if actor else None,
                          device_id=device.pk if device else None,
                          visit_reason=((visitor or {}).get("reason") or "").strip()[:100],
                          visiting=((visitor or {}).get("visiting") or "").strip()[:100])
            insert_row(entry)
            Entry.person.field.set_cached_value(entry, person)
            if entry.fever:
                raise_fever_alert(entry, checkpoint=checkpoint)
    except IntegrityError:
        # The same uuid arrived twice at once (a retry racing its original): the first won.
        previous = _existing(uid)
        if previous is None:
            raise
        return previous
    return Outcome(entry=entry, person=person)


def register_as_device(token: str, *, checkpoint_id: int, direction, temperature, qr_text: str,
                       uuid, at=None) -> Outcome | None:
    """The fast lane's scan (:mod:`.fastlane`): a phone's device token, a scanned pass, and
    nothing unusual. On PostgreSQL one statement checks the token (a live device of this
    checkpoint, as :func:`..checkpoints.services.device_for_token`), finds the pass and stores the entry.
    Returns the outcome when the entry was stored; None for anything else (bad input, a
    fever, an unknown token or pass, a refusal, a retried uuid, another database), which
    the API view then handles in full."""
    from ..checkpoints.services import token_digest

    if connection.vendor != "postgresql":
        return None
    try:
        uid, at, temp = validate_input(uuid=uuid, direction=direction, at=at,
                                       temperature=temperature, sources=(qr_text, None, None))
    except ValidationError:
        return None
    if temp >= Decimal(str(settings.FEVER_THRESHOLD_C)):
        return None
    return _store_scan(qr_text, uid=uid, checkpoint_id=checkpoint_id, direction=direction, at=at,
                       temperature=temp, token=token_digest(token))


def _store_scan(qr_text: str, *, uid, checkpoint_id: int, direction, at, temperature,
                site_id=None, guard_id=None, device_id=None, token=None) -> Outcome | None:
    """The common scan on PostgreSQL, in one statement: find the pass by its text's digest
    and store the entry if the pass admits its holder (:func:`passes.refusal_reason`) and the
    uuid is new. The site, guard and device are given, or (``token``: a device token's
    digest) those of the live device of this checkpoint holding it. Returns the outcome, or
    None when nothing was stored: the general path then finds out why and answers."""
    now = timezone.now()
    values = {"digest": qr_digest(qr_text), "uuid": uid, "checkpoint": checkpoint_id,
              "site": site_id, "at": at, "direction": direction, "temperature": temperature,
              "guard": guard_id, "device": device_id, "now": now, "confined": _CONFINED,
              "token": token}
    with hot_cursor() as cursor:
        cursor.execute(_scan_sql(as_device=token is not None), values)
        row = cursor.fetchone()
    if row is None or row[-4] is None:
        return None
    entry_id, site_id, guard_id, device_id = row[-4:]
    found = pass_from_row(row[:-4])
    entry = partial_instance(Entry, {
        "id": entry_id, "uuid": uid, "checkpoint_id": checkpoint_id, "site_id": site_id,
        "at": at, "direction": direction, "temperature": temperature, "fever": False,
        "person_id": found.person_id, "method": Method.PASS, "resident_pass_id": found.pk,
        "guard_id": guard_id, "device_id": device_id, "visit_reason": "", "visiting": "",
        "recorded_at": now})
    Entry.person.field.set_cached_value(entry, found.person)
    return Outcome(entry=entry, person=found.person)


@functools.cache
def _scan_sql(*, as_device: bool) -> str:
    """The pass (passes.PASS_SELECT) and, if it admits its holder, the new entry's id, site,
    guard and device. The admission rule is passes.refusal_reason's: in date, not revoked by
    then, not kept at home going out; and a uuid logged as a refusal stays one.
    ``as_device``: the site, guard and device are those of the live device holding the token
    (services.LIVE_DEVICE) at this checkpoint, and without one nothing is stored."""
    from ..checkpoints.services import LIVE_DEVICE

    if as_device:
        device = (f"d AS (SELECT d.id, d.registered_by_id, "  # the site: Checkpoint.site_id
                  f"(SELECT coalesce(pl.building_id, pl.id) FROM geo_place pl "
                  f"WHERE pl.id = d.checkpoint_id) AS site_id "
                  f"{LIVE_DEVICE} AND d.checkpoint_id = %(checkpoint)s::bigint),")
        given, source = "d.site_id, d.registered_by_id, d.id", "FROM p, d"
    else:
        device = ""
        given = "%(site)s::bigint, %(guard)s::bigint, %(device)s::bigint"
        source = "FROM p"
    return f"""
    WITH {device} p AS ({PASS_SELECT} WHERE p.qr_digest = %(digest)s),
    stored AS (
        INSERT INTO gate_entry (uuid, checkpoint_id, site_id, guard_id, device_id, "at",
                                direction, temperature, fever, person_id, method,
                                resident_pass_id, visit_reason, visiting, recorded_at)
        SELECT %(uuid)s::uuid, %(checkpoint)s::bigint, {given}, %(at)s::timestamptz,
               %(direction)s::varchar, %(temperature)s::numeric, false, p.person_id, 'pass',
               p.id, '', '', %(now)s::timestamptz
        {source}
        WHERE p.valid_until > %(at)s::timestamptz
          AND (p.revoked_at IS NULL OR p.revoked_at > %(at)s::timestamptz)
          AND NOT (%(direction)s::varchar = 'out' AND p.status = ANY(%(confined)s::varchar[]))
          AND NOT EXISTS (SELECT 1 FROM gate_refusal r WHERE r.uuid = %(uuid)s::uuid)
        ON CONFLICT (uuid) DO NOTHING
        RETURNING id, site_id, guard_id, device_id
    )
    SELECT p.*, s.* FROM p LEFT JOIN stored s ON true
"""


_CONFINED = sorted(str(status.value) for status in CONFINED_STATUSES)  # plain text for SQL


def _store_refusal(refused: Refused, *, uid, checkpoint, actor, direction, at) -> Outcome:
    previous = _existing(uid)  # a retry of an entry admitted before the pass was revoked
    if previous is not None:
        return previous
    try:
        with transaction.atomic():
            refusal = Refusal.objects.create(
                uuid=uid, checkpoint=checkpoint, at=at, direction=direction,
                reason=refused.reason, detail=refused.detail[:200],
                pass_number=refused.pass_number[:12], person=refused.person, guard=actor)
    except IntegrityError:
        previous = _existing(uid)
        if previous is None:
            raise
        return previous
    return Outcome(refusal=refusal, person=refused.person)


def clean_visitor(data: dict, *, prefix: str = "") -> tuple[str, str, str]:
    """A visitor's ``(name, id_number, phone)``, validated and normalised; otherwise a
    ValidationError naming each bad field (``prefix`` + field name)."""
    errors: dict[str, list] = {}
    text = {}
    for key in ("name", "id_number", "phone", "reason", "visiting"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            errors[prefix + key] = [_("Give this as text.")]
        text[key] = value.strip() if isinstance(value, str) else ""
    if not text["name"] and prefix + "name" not in errors:
        errors[prefix + "name"] = [_("Enter the visitor's name.")]
    try:
        number = pii.validate_id_number(text["id_number"])
    except ValidationError as exc:
        errors.setdefault(prefix + "id_number", exc.messages)
        number = ""
    try:
        phone = pii.validate_phone(text["phone"])
    except ValidationError as exc:
        errors.setdefault(prefix + "phone", exc.messages)
        phone = ""
    if not text["reason"] and prefix + "reason" not in errors:
        errors[prefix + "reason"] = [_("Say why the visitor comes (e.g. visiting family, "
                                       "delivery).")]
    if errors:
        raise ValidationError(errors)
    return text["name"], number, phone


def _visitor_person(checkpoint: Checkpoint, data: dict) -> Person:
    """The person a visitor registration is about: found by ID number if known anywhere,
    else registered as a visitor in the checkpoint's community. Raises ValidationError."""
    name, number, phone = clean_visitor(data)
    known = Person.objects.filter(id_number_index=pii.blind_index("id", number)).first()
    if known is not None:
        return known
    person = Person(jurisdiction=checkpoint.place.jurisdiction, kind=PersonKind.VISITOR,
                    status_since=timezone.now(),
                    note=_("Registered at %(checkpoint)s") % {"checkpoint": checkpoint})
    person.set_name(name)
    person.set_id_number(number)
    person.set_phone(phone)
    person.save()
    return person


def lookup(query: str, *, checkpoint: Checkpoint, limit: int = 10) -> list[Person]:
    """People a guard may mean by ``query``: a pass number, a full phone or ID number
    (anywhere), or the last 4–6 digits of an ID number (in the checkpoint's community)."""
    from shoumen.core.scoping import subtree_q

    q = (query or "").strip().upper()
    if not q:
        return []
    people = Person.objects.select_related("jurisdiction__parent")
    if q.isdigit() and len(q) == 10:
        by_pass = people.filter(passes__number=q, passes__revoked_at=None)
        if by_pass.exists():
            return list(by_pass[:limit])
    for column, kind, normal in (("phone_index", "phone", pii.normalize_phone(q)),
                                 ("id_number_index", "id", pii.normalize_id_number(q))):
        index = pii.blind_index(kind, normal)
        found = people.filter(**{column: index}) if index else people.none()
        if found.exists():
            return list(found[:limit])
    if 4 <= len(q) <= 6 and (q[:-1].isdigit() and (q[-1].isdigit() or q[-1] == "X")):
        community = checkpoint.place.jurisdiction
        return list(people.filter(subtree_q(community.path, "jurisdiction__"),
                                  id_number_masked__endswith=q[-4:])[:limit])
    return []


@dataclass
class ItemResult:
    index: int
    uuid: str
    status: str  # "stored", "duplicate", "refused", "invalid"
    errors: dict | None = None
    refusal: str | None = None
    fever: bool = False


@service(atomic=False)  # each item stands alone
def register_batch(items: list, *, actor, device: CheckpointDevice | None = None,
                   allowed_checkpoints) -> list[ItemResult]:
    """Register many entries at once (an offline queue uploaded when the network returns).

    Each item stands alone: a bad one gets its own errors and the good ones are stored;
    uuids already stored (a retried upload) come back as ``duplicate`` and are stored once.
    ``allowed_checkpoints`` narrows the checkpoints items may name (for a device: its own
    only); of those, the ones ``actor`` may register at are used, and an item naming another
    is invalid. The common case — a known pass or person, admitted, no fever —
    is decided with a few queries for the whole batch and inserted in bulk; refusals,
    fevers and visitors go through :func:`register` one by one.
    """
    allowed = {c.pk: c for c in authz.permitted(actor, allowed_checkpoints, "gate.register")
               .select_related("place")}
    results: list[ItemResult | None] = [None] * len(items)
    ready = []  # (index, item, uid, at, temp, checkpoint)
    now = timezone.now()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            results[index] = ItemResult(index, "", "invalid", errors={
                "non_field_errors": [_("Each entry must be an object.")]})
            continue
        errors = {}
        checkpoint = allowed.get(parse_id(item.get("checkpoint")))
        if checkpoint is None:
            errors["checkpoint"] = [_("Unknown checkpoint, or not one this device or account "
                                      "may register at.")]
        try:
            uid, at, temp = validate_input(
                uuid=item.get("uuid") or _missing_uuid(), direction=item.get("direction"),
                at=item.get("at"), temperature=item.get("temperature"),
                sources=(item.get("qr_text"), item.get("person"), item.get("visitor")),
                visitor_prefix="visitor.", now=now)  # as the API's single entry names them
        except ValidationError as exc:
            errors = {**_error_dict(exc), **errors}
        if errors:
            results[index] = ItemResult(index, str(item.get("uuid") or ""), "invalid",
                                        errors=errors)
            continue
        ready.append((index, item, uid, at, temp, checkpoint))

    passes, people = _holders(ready)
    threshold = Decimal(str(settings.FEVER_THRESHOLD_C))
    guard_id, device_id = (actor.pk if actor else None), (device.pk if device else None)
    fast, rows, slow = [], [], []
    in_batch = set()
    for index, item, uid, at, temp, checkpoint in ready:
        if uid in in_batch:
            results[index] = ItemResult(index, str(uid), "duplicate")
            continue
        in_batch.add(uid)
        holder = (passes.get(qr_digest(item["qr_text"])) if item.get("qr_text")
                  else people.get(parse_id(item.get("person"))))
        if holder is not None and temp < threshold and not item.get("visitor") \
                and holder.admits(item["direction"], at):
            fast.append((index, uid))
            rows.append((uid, checkpoint.pk, checkpoint.site_id, at, item["direction"], temp,
                         False, holder.person_id, Method.PASS if holder.pass_id else Method.LOOKUP,
                         holder.pass_id, guard_id, device_id, "", "", now))
        else:
            slow.append((index, item, uid, checkpoint))
    # Uuids already stored, as an entry or a refusal (a retried upload), are skipped here and
    # reported as duplicates: so are those a concurrent upload stored a moment ago.
    stored = bulk.insert_new_rows(Entry, rows, fields=ENTRY_ROW_FIELDS, key="uuid",
                                  skip_keys_of=Refusal)
    for index, uid in fast:
        results[index] = ItemResult(index, str(uid),
                                    "stored" if uid in stored else "duplicate")
    for index, item, uid, checkpoint in slow:
        results[index] = _register_item(index, item, uid, checkpoint, actor=actor, device=device)
    return results


@dataclass(frozen=True)
class _Holder:
    """Who a batch item is about (by pass or picked by the guard) and what decides whether
    they may pass: the pass's dates and the holder's status."""

    person_id: int
    status: str
    pass_id: int | None = None
    valid_until: datetime | None = None
    revoked_at: datetime | None = None

    def admits(self, direction: str, at: datetime) -> bool:
        return refusal_reason(valid_until=self.valid_until, revoked_at=self.revoked_at,
                              status=self.status, direction=direction, at=at) is None


def _holders(ready) -> tuple[dict[str, _Holder], dict[int, _Holder]]:
    """The holders of a batch's passes (by digest of the text) and the people picked by
    look-up (by id), in one query each."""
    digests = list({qr_digest(r[1]["qr_text"]) for r in ready if r[1].get("qr_text")})
    person_ids = list({parse_id(r[1]["person"]) for r in ready if r[1].get("person")}
                      - {None})
    passes = {}
    with hot_cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter: one short statement
            chunks = [(_HOLDERS_BY_DIGEST % "= ANY(%s)", [digests])] if digests else []
        else:  # SQLite has no arrays: chunks under its limit of 999 parameters
            chunks = [(_HOLDERS_BY_DIGEST % f"IN ({', '.join(['%s'] * len(chunk))})", chunk)
                      for chunk in (digests[i:i + 500] for i in range(0, len(digests), 500))]
        for sql, params in chunks:
            cursor.execute(sql, params)
            passes.update((digest, _Holder(person_id, status, pass_id, db_datetime(valid_until),
                                           db_datetime(revoked_at)))
                          for digest, pass_id, person_id, valid_until, revoked_at, status
                          in cursor.fetchall())
    people = {pk: _Holder(pk, status) for pk, status in
              Person.objects.filter(pk__in=person_ids).values_list("pk", "status")
              } if person_ids else {}
    return passes, people


_HOLDERS_BY_DIGEST = """
    SELECT p.qr_digest, p.id, p.person_id, p.valid_until, p.revoked_at, h.status
    FROM gate_residentpass p JOIN people_person h ON h.id = p.person_id
    WHERE p.qr_digest %s
"""


def _missing_uuid():
    raise ValidationError({"uuid": _("Each entry needs the uuid the phone made for it.")})


def _register_item(index, item, uid, checkpoint, *, actor, device) -> ItemResult:
    try:
        person = None
        if item.get("person"):
            person = Person.objects.filter(pk=parse_id(item["person"])).first()
            if person is None:
                raise ValidationError({"person": _("No such person.")})
        visitor = item.get("visitor") or None
        if visitor is not None and not isinstance(visitor, dict):
            raise ValidationError({"visitor": _("Give the visitor as an object with name, "
                                                "phone, id_number, reason and visiting.")})
        outcome = register(checkpoint=checkpoint, actor=actor, device=device,
                           direction=item["direction"], temperature=item["temperature"],
                           qr_text=item.get("qr_text") or "", person=person, visitor=visitor,
                           uuid=uid, at=item.get("at"))
    except ValidationError as exc:
        return ItemResult(index, str(uid), "invalid", errors=_error_dict(exc))
    status = "duplicate" if outcome.duplicate else "stored" if outcome.admitted else "refused"
    return ItemResult(index, str(uid), status, fever=outcome.fever,
                      refusal=outcome.refusal.reason if outcome.refusal else None)


def _error_dict(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def raise_fever_alert(entry: Entry, *, checkpoint: Checkpoint) -> FeverAlert:
    """Open an alert for the staff of the person's community (the checkpoint's, for a
    visitor). Called inside the registration's transaction."""
    person = entry.person
    community = checkpoint.place.jurisdiction if person.kind == PersonKind.VISITOR else None
    return FeverAlert.objects.create(
        entry=entry, person=person, checkpoint=checkpoint,
        jurisdiction=community or person.jurisdiction, temperature=entry.temperature,
        measured_at=entry.at)
