"""The gate in the demo world: checkpoint rows, guards, resident passes, 14 days of entries,
fever alerts with their follow-up, a few refusals and one confirmed case.

Everything here reads the world from the database (not from
:class:`~shoumen.demo.world.DemoWorld`), so it also runs on a database whose world and
residents were loaded earlier: ``demo-data --if-empty`` resumes a long city build part by
part, and :func:`seed_gate` skips each part whose rows are already there.

Bulk rows go in with :mod:`shoumen.core.bulk` (COPY on PostgreSQL, where a city-scale load
drops the table's indexes and constraints and rebuilds them at the end). Passes are issued
through :func:`shoumen.gate.passes.services.issue_passes` at demo scale; a city's million passes are
signed in worker processes and streamed to COPY, and carry one summary audit event instead
of a million audit rows, like the generated residents. Entries come from the pure model in
:mod:`.movements`.
"""

from __future__ import annotations

import multiprocessing
import random
import time
import uuid as uuid_mod
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import bulk

from ..entries.models import ENTRY_ROW_FIELDS
from . import movements
from .movements import FEVER, PERSON, Checkpoints, Walker

GATE_DAYS = 14
CITY_ENTRIES_PER_RESIDENT = 10  # 1 M residents → 10 M entries in 14 days
LUOYUAN_CODE = "370103001"
GUARD_COMMUNITY_CODE = "370103001001"  # 泺文路社区, where the demo guard and worker serve
CASE_TOWER = "绿地中心"
CASE_CONTACTS = 40  # the demo case: someone with about this many first-degree contacts
CLINICS = ("济南市传染病医院发热门诊", "济南市中心医院发热门诊", "山东省立医院发热门诊")
_BUILDING_SUFFIXES = ("大厦", "中心", "广场", "商务楼", "国际", "金融大厦")
# Shops and markets whose entrance is a checkpoint (generated city); their checkpoints' names
# end so, which is how the entry model tells them from gates.
_VENUES = ("超市", "农贸市场", "药店", "菜店", "便利店", "生鲜超市")
_VENUE_CHECKPOINT_ENDINGS = tuple(f"{v}入口卡口" for v in _VENUES)
# Pass numbers of a generated city: i → A·i + b (mod 9·10^8) is a bijection (A coprime to
# 2, 3 and 5), so a million passes get distinct ten-digit numbers with no lookups.
_PASS_A = 282_475_249
_PASS_SPACE = 9 * 10**8


@dataclass
class GateReport:
    """What :func:`seed_gate` did: lines for the console, a note for the audit trail."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, line: str, note: str | None = None) -> None:
        self.lines.append(line)
        if note:
            self.notes.append(note)


# --- checkpoints and guards -------------------------------------------------------------------

def ensure_checkpoint_rows() -> int:
    """A :class:`~shoumen.gate.models.Checkpoint` row for every place of kind checkpoint that
    has none (places written in bulk skip the post_save signal that makes it)."""
    from shoumen.geo.models import Place, PlaceKind

    from ..checkpoints.models import Checkpoint

    missing = list(Place.objects.filter(kind=PlaceKind.CHECKPOINT, checkpoint__isnull=True)
                   .order_by("pk").values_list("pk", flat=True))
    now = _now()
    bulk.insert_rows(Checkpoint, [(pk, True, now) for pk in missing],
                     fields=("place_id", "active", "created_at"), returning_ids=False)
    return len(missing)


def add_office_buildings(seed: int) -> tuple[int, int]:
    """City scale: three to eight office buildings in each generated subdistrict, each with a
    lobby checkpoint (a third also with a garage entrance), written in bulk. Returns
    (buildings, lobby checkpoints); nothing if the generated city already has buildings."""
    from shoumen.geo.models import Node, NodeKind, Place, PlaceKind
    from shoumen.people.demo.names import PLACE_WORDS

    communities = (Node.objects.filter(kind=NodeKind.COMMUNITY)
                   .exclude(parent__code=LUOYUAN_CODE).order_by("path"))
    if Place.objects.filter(kind=PlaceKind.BUILDING, jurisdiction__in=communities).exists():
        return 0, 0
    by_subdistrict: dict[int, list[Node]] = {}
    for community in communities.only("pk", "parent_id", "name"):
        by_subdistrict.setdefault(community.parent_id, []).append(community)
    rng = random.Random(f"shoumen-buildings:{seed}")
    buildings, taken = [], set()
    for subdistrict in sorted(by_subdistrict):
        for _building in range(rng.randint(3, 8)):
            community = rng.choice(by_subdistrict[subdistrict])
            name = rng.choice(PLACE_WORDS) + rng.choice(_BUILDING_SUFFIXES)
            if (community.pk, name) in taken:
                continue
            taken.add((community.pk, name))
            buildings.append(Place(
                jurisdiction_id=community.pk, kind=PlaceKind.BUILDING, name=name,
                address=f"{community.name.removesuffix('社区')}路{rng.randint(1, 300)}号",
                property_company=f"{name}物业服务有限公司"))
    buildings = Place.objects.bulk_create(buildings, batch_size=2000)
    lobbies = []
    for building in buildings:
        gates = ["大堂卡口"] + (["地下车库入口卡口"] if rng.random() < 0.35 else [])
        lobbies += [Place(jurisdiction_id=building.jurisdiction_id, kind=PlaceKind.CHECKPOINT,
                          building=building, name=f"{building.name}{gate}",
                          address=building.address) for gate in gates]
    Place.objects.bulk_create(lobbies, batch_size=2000)
    return len(buildings), len(lobbies)


def add_compounds_and_shops(seed: int) -> tuple[int, int]:
    """City scale: the compounds (小区) of each generated grid, one or two gates each
    (lockdown kept most gates shut), and two to eight shops and markets per generated
    community with a checkpoint at their entrance, written in bulk. Returns (compound gates,
    shop checkpoints); each kind only if the generated city has none yet."""
    from shoumen.geo.models import Node, NodeKind, Place, PlaceKind
    from shoumen.people.demo.names import PLACE_WORDS

    generated = Node.objects.filter(kind=NodeKind.COMMUNITY).exclude(parent__code=LUOYUAN_CODE)
    grids = Node.objects.filter(kind=NodeKind.GRID, parent__in=generated).order_by("path")
    rng = random.Random(f"shoumen-compounds:{seed}")
    gates, shops = [], []
    if not Place.objects.filter(kind=PlaceKind.CHECKPOINT, jurisdiction__in=grids).exists():
        for grid in grids.only("pk"):
            for word in rng.sample(PLACE_WORDS, rng.choice((2, 3, 3, 4))):
                for gate in rng.sample(("东门", "西门", "南门", "北门"), rng.choice((1, 1, 2))):
                    gates.append(Place(jurisdiction_id=grid.pk, kind=PlaceKind.CHECKPOINT,
                                       name=f"{word}小区{gate}卡口"))
    venue_places = Place.objects.filter(kind=PlaceKind.CHECKPOINT, building=None,
                                        jurisdiction__in=generated)
    if not any(name.endswith(_VENUE_CHECKPOINT_ENDINGS)
               for name in venue_places.values_list("name", flat=True)):
        for community in generated.order_by("path").only("pk"):
            for word in rng.sample(PLACE_WORDS, rng.randint(2, 8)):
                shops.append(Place(jurisdiction_id=community.pk, kind=PlaceKind.CHECKPOINT,
                                   name=f"{word}{rng.choice(_VENUES)}入口卡口"))
    Place.objects.bulk_create(gates + shops, batch_size=5000)
    return len(gates), len(shops)


def assign_guards(actor) -> list[str]:
    """The demo guard guards 泺文路社区's gates (through the gate services, so audited).
    Idempotent."""
    from shoumen.accounts.models import User

    from ..checkpoints import services
    from ..checkpoints.models import Checkpoint

    lines = []
    guard = User.objects.filter(username="guard").first()
    if guard is not None and not guard.guarded_checkpoints.exists():
        gates = list(Checkpoint.objects.filter(place__jurisdiction__code=GUARD_COMMUNITY_CODE,
                                               place__building=None).select_related("place"))
        for checkpoint in gates:
            services.set_guards(checkpoint, [guard], actor=actor)
        lines.append(f"{guard.username} ({guard.display_name}) guards "
                     + "、".join(c.place.name for c in gates))
    return lines


# --- passes -----------------------------------------------------------------------------------

def issue_demo_passes(actor) -> int:
    """Every resident (not visitors) gets a pass, through the passes service."""
    from shoumen.people.models import Person

    from ..passes.services import issue_passes

    return issue_passes(Person.objects.all(), actor=actor).issued


_SIGNER: dict = {}


def _sign_chunk(chunk: list[tuple]) -> list[tuple]:
    """Rows of signed passes for (person, number, holder, community id, community code)
    tuples. Runs in a worker process (signing is ~150 µs a pass); no database access."""
    from ..passes import cose
    from ..passes.services import qr_digest

    s = _SIGNER
    rows = []
    for person, number, holder, community, code in chunk:
        text = cose.sign(private_key=s["private"], number=number, community_code=code,
                         holder=holder, issued_at=s["issued_at"], expires_at=s["valid_until"])
        rows.append((number, person, community, holder, s["issued_at"], s["valid_until"],
                     s["key"], text, qr_digest(text), s["actor"], None, ""))
    return rows


def sign_city_passes(*, seed: int, actor, now: datetime, jobs: int = 1,
                     chunk: int = 2000) -> int:
    """City scale: a pass for every resident but visitors, signed in ``jobs`` processes and
    streamed to COPY (indexes and constraints rebuilt at the end, so uniqueness is still
    checked). Issued the day before the 14 days of entries; no per-pass audit rows."""
    from shoumen.credentials import keys
    from shoumen.people.models import Person, PersonKind

    from ..passes.models import ResidentPass
    from ..passes.services import luhn_digit, mask_name

    key = keys.signing_key()
    communities = _community_of_nodes()
    codes = dict(_nodes().values_list("pk", "code"))
    rng = random.Random(f"shoumen-passes:{seed}")
    offset = rng.randrange(_PASS_SPACE)
    todo = []
    people = (Person.objects.exclude(kind=PersonKind.VISITOR).order_by("pk")
              .values_list("pk", "name", "jurisdiction_id"))
    for i, (person, name, node) in enumerate(people.iterator(chunk_size=20_000)):
        body = str(10**8 + (_PASS_A * i + offset) % _PASS_SPACE)
        community = communities[node]
        todo.append((person, body + luhn_digit(body), mask_name(name), community, codes[community]))
    issued_at = now - timedelta(days=GATE_DAYS + 1)
    _SIGNER.update(private=keys.private_key(key), issued_at=issued_at,
                   valid_until=issued_at + timedelta(days=settings.PASS_VALID_DAYS),
                   key=key.pk, actor=actor.pk if actor else None)
    chunks = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
    fields = ("number", "person_id", "jurisdiction_id", "holder_display", "issued_at",
              "valid_until", "signing_key_id", "qr_text", "qr_digest", "issued_by_id",
              "revoked_at", "revoke_reason")
    with _fast_load(ResidentPass, big=True):
        if jobs <= 1:
            bulk.insert_rows(ResidentPass, (r for c in chunks for r in _sign_chunk(c)),
                             fields=fields, returning_ids=False)
        else:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                bulk.insert_rows(ResidentPass, (r for rows in pool.imap(_sign_chunk, chunks)
                                                for r in rows),
                                 fields=fields, returning_ids=False)
    return len(todo)


# --- who passes where -------------------------------------------------------------------------

def _nodes():
    from shoumen.geo.models import Node

    return Node.objects.order_by()


def _community_of_nodes() -> dict[int, int]:
    """node id → its community's id (grids → parent; communities → themselves)."""
    from shoumen.geo.models import NodeKind

    nodes = {pk: (parent, kind) for pk, parent, kind in
             _nodes().values_list("pk", "parent_id", "kind")}
    return {pk: (parent if kind == NodeKind.GRID else pk) for pk, (parent, kind) in nodes.items()}


def _district_of_nodes() -> dict[int, int]:
    from shoumen.geo.models import NodeKind

    nodes = {pk: (parent, kind) for pk, parent, kind in
             _nodes().values_list("pk", "parent_id", "kind")}
    result = {}
    for pk in nodes:
        node = pk
        while node is not None and nodes[node][1] != NodeKind.DISTRICT:
            node = nodes[node][0]
        result[pk] = node
    return result


def load_walkers(now: datetime) -> list[Walker]:
    """Everyone who may go out: not visitors, not confined, with their live pass if any."""
    from shoumen.people.models import CONFINED_STATUSES, Person, PersonKind

    from ..passes.models import ResidentPass

    community, district = _community_of_nodes(), _district_of_nodes()
    passes = dict(ResidentPass.objects.filter(revoked_at=None).order_by()
                  .values_list("person_id", "pk").iterator(chunk_size=50_000))
    today = timezone.localdate(now)
    people = (Person.objects.exclude(kind=PersonKind.VISITOR)
              .exclude(status__in=CONFINED_STATUSES).order_by("pk")
              .values_list("pk", "jurisdiction_id", "birth_date"))
    return [Walker(pk, node, community[node], district[node],
                   (today - born).days // 365 if born else 40, passes.get(pk))
            for pk, node, born in people.iterator(chunk_size=50_000)]


def load_checkpoints() -> Checkpoints:
    """Gates by community or compound (grid), shops' and markets' checkpoints by community,
    lobbies by building (main lobby first), sites and guards."""
    from shoumen.geo.models import NodeKind, Place

    from ..checkpoints.models import Checkpoint

    where = Checkpoints()
    kinds = dict(_nodes().values_list("pk", "kind"))
    district = _district_of_nodes()
    rows = (Checkpoint.objects.filter(active=True).order_by("pk")
            .values_list("pk", "place__jurisdiction_id", "place__building_id", "place__name"))
    for pk, node, building, name in rows:
        where.site[pk] = building or pk
        if building is not None:
            where.lobbies.setdefault(building, []).append(pk)
        elif kinds[node] == NodeKind.COMMUNITY and name.endswith(_VENUE_CHECKPOINT_ENDINGS):
            where.venues.setdefault(node, []).append(pk)
        elif kinds[node] in (NodeKind.COMMUNITY, NodeKind.GRID):
            where.gates.setdefault(node, []).append(pk)
    buildings = Place.objects.filter(pk__in=list(where.lobbies)).values_list("pk", "jurisdiction_id")
    where.building_district = {pk: district[node] for pk, node in buildings}
    for checkpoint, user in (Checkpoint.guards.through.objects.order_by("pk")
                             .values_list("checkpoint_id", "user_id")):
        where.guard.setdefault(checkpoint, user)
    return where


# --- entries, fevers, refusals, the case ------------------------------------------------------

def seed_entries(*, seed: int, scale: str, actor, now: datetime, target: int | None,
                 jobs: int = 1, progress: Callable[[str], None] | None = None) -> list[str]:
    """14 days of entries up to ``now``, their fever alerts, some refusals and (demo scale)
    one confirmed case. Returns summary lines."""
    from ..entries.models import Entry

    walkers = load_walkers(now)
    where = load_checkpoints()
    commuters = movements.choose_commuters(
        random.Random(f"shoumen-commuters:{seed}"),
        [w for w in walkers if w.home in where.gates or w.community in where.gates], where)
    plan = movements.EntryPlan(seed, walkers, where, start=now - timedelta(days=GATE_DAYS),
                               end=now, target=target, commuters=commuters)
    lines = []
    case = None
    started = time.perf_counter()
    if scale == "demo" or connection.vendor != "postgresql":
        rows = [row for midnight in plan.midnights() for row in plan.day(midnight)]
        if scale == "demo":
            case, rows = _demo_case(rows, walkers, where, commuters, now)
        fevers = [row for row in rows if row[FEVER]]
        bulk.insert_rows(Entry, rows, fields=ENTRY_ROW_FIELDS, returning_ids=False)
        count = len(rows)
    else:
        count, fevers = _copy_city_entries(plan, jobs=jobs, progress=progress)
    seconds = time.perf_counter() - started
    gates = sum(map(len, where.gates.values()))
    shops = sum(map(len, where.venues.values()))
    lobbies = sum(map(len, where.lobbies.values()))
    lines.append(f"Entries: {count:,} over {GATE_DAYS} days through {len(where.site):,} "
                 f"checkpoints ({gates:,} gates, {shops:,} shops and markets, {lobbies:,} lobbies "
                 f"of {len(where.lobbies):,} buildings), {len(commuters):,} office commuters "
                 f"({seconds:.1f} s, {count / seconds if seconds else 0:,.0f}/s).")
    lines.append(_fever_alerts(fevers, case, actor=actor, now=now))
    lines.append(_refusals(seed, where, now=now, count=max(6, count // 20_000)))
    if case is not None:
        lines.append(_confirm(case, actor=actor))
    return lines


_PLAN: dict = {}


def _day_as_copy_text(midnight: datetime) -> tuple[bytes, list[tuple], int]:
    """One day of the plan as COPY text, its fever rows and its row count (in a worker)."""
    rows = _PLAN["plan"].day(midnight)
    return movements.copy_text(rows), [r for r in rows if r[FEVER]], len(rows)


def _copy_city_entries(plan: movements.EntryPlan, *, jobs: int,
                       progress: Callable[[str], None] | None) -> tuple[int, list[tuple]]:
    """A city's ten million entries on PostgreSQL: days made in ``jobs`` forked processes, each as COPY
    text, streamed into one COPY with the table's indexes and constraints dropped (rebuilt,
    and so checked, at the end).

    Not :mod:`shoumen.core.bulk`: its per-value conversion and adaptation in this one process
    cost more than generating the rows (~3,000 rows/s on the loaded benchmark machine); the
    generated values need no conversion and no escaping, so workers write the text."""
    from ..entries.models import Entry

    qn = connection.ops.quote_name
    columns = ", ".join(qn(Entry._meta.get_field(name).column) for name in ENTRY_ROW_FIELDS)
    sql = f"COPY {qn(Entry._meta.db_table)} ({columns}) FROM STDIN"
    _PLAN["plan"] = plan
    count, fevers, started = 0, [], time.perf_counter()
    pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 else None
    try:
        days = (pool.imap(_day_as_copy_text, plan.midnights()) if pool
                else map(_day_as_copy_text, plan.midnights()))
        with (_fast_load(Entry, big=True), connection.cursor() as cursor,
              connection.wrap_database_errors, cursor.cursor.copy(sql) as copy):
            for midnight, (text, day_fevers, n) in zip(plan.midnights(), days, strict=True):
                copy.write(text)
                count += n
                fevers += day_fevers
                if progress:
                    progress(f"  entries of {midnight:%m-%d}: {count:,} in "
                             f"{time.perf_counter() - started:.0f} s")
    finally:
        if pool:
            pool.terminate()
            pool.join()
        _PLAN.clear()
    return count, fevers


def _demo_case(rows: list[tuple], walkers: list[Walker], where: Checkpoints,
               commuters: dict[int, int], now: datetime) -> tuple[Walker | None, list[tuple]]:
    """Pick the demo's confirmed case: someone of 泺文路社区 who works in 绿地中心 (else anyone
    who went out) with at least 20 entries and about CASE_CONTACTS first-degree contacts.
    Their last return home at least 20 hours ago becomes a fever (which sent them to the
    clinic), and they pass no checkpoint after it."""
    from shoumen.geo.models import Node, Place

    passages = movements.Passages(rows)
    window = timedelta(minutes=settings.CONTACT_WINDOW_MINUTES)
    home = Node.objects.filter(code=GUARD_COMMUNITY_CODE).values_list("pk", flat=True).first()
    tower = Place.objects.filter(name=CASE_TOWER).values_list("pk", flat=True).first()
    by_id = {w.person: w for w in walkers}
    candidates = [p for p, b in commuters.items() if b == tower and by_id[p].community == home]
    candidates = [p for p in sorted(candidates) if len(passages.by_person.get(p, ())) >= 20]
    if not candidates:
        candidates = sorted(passages.by_person, key=lambda p: (-len(passages.by_person[p]), p))[:50]
    if not candidates:
        return None, rows
    person = min(candidates, key=lambda p: (abs(len(passages.first_degree(p, window))
                                                - CASE_CONTACTS), p))
    gates = {c for cs in where.gates.values() for c in cs}
    last_home = [r for r in passages.by_person[person]
                 if r[ENTRY_ROW_FIELDS.index("direction")] == "in"
                 and r[ENTRY_ROW_FIELDS.index("checkpoint_id")] in gates
                 and r[ENTRY_ROW_FIELDS.index("at")] <= now - timedelta(hours=20)]
    if not last_home:
        return None, rows
    fever_row = last_home[-1]
    fevered = list(fever_row)
    fevered[ENTRY_ROW_FIELDS.index("temperature")] = Decimal("37.8")
    fevered[FEVER] = True
    at = ENTRY_ROW_FIELDS.index("at")
    kept = []
    for row in rows:
        if row is fever_row:
            kept.append(tuple(fevered))
        elif row[PERSON] != person or row[at] < fever_row[at]:
            kept.append(row)
    return by_id[person], kept


def _fever_alerts(fevers: list[tuple], case: Walker | None, *, actor, now: datetime) -> str:
    """An alert per fever entry. Older ones were re-measured (and some sent to a fever
    clinic) and cleared; the two latest are still open; the case's is at the clinic."""
    from shoumen.accounts.models import User
    from shoumen.core import audit
    from shoumen.people.models import Person

    from ..alerts.models import FeverAlert, FeverFollowUp, FeverStage
    from ..entries.models import Entry

    if not fevers:
        return "Fever alerts: none."
    col = {name: i for i, name in enumerate(ENTRY_ROW_FIELDS)}
    ids = dict(Entry.objects.filter(uuid__in=[r[0] for r in fevers]).values_list("uuid", "pk"))
    homes = dict(Person.objects.filter(pk__in={r[PERSON] for r in fevers})
                 .values_list("pk", "jurisdiction_id"))
    worker = User.objects.filter(username="community").first()
    community = _community_of_nodes()
    worker_home = _nodes().filter(code=GUARD_COMMUNITY_CODE).values_list("pk", flat=True).first()
    rng = random.Random(f"shoumen-fevers:{len(fevers)}")
    fevers = sorted(fevers, key=lambda r: r[col["at"]])
    latest = {r[0] for r in [r for r in fevers if not (case and r[PERSON] == case.person)][-2:]}
    alerts, steps = [], []
    for row in fevers:
        at, person = row[col["at"]], row[PERSON]
        by = worker if worker and community[homes[person]] == worker_home else actor
        alert = FeverAlert(entry_id=ids[row[0]], person_id=person,
                           checkpoint_id=row[col["checkpoint_id"]],
                           jurisdiction_id=homes[person], temperature=row[col["temperature"]],
                           measured_at=at, stage=FeverStage.OPEN)
        plan = []
        if case is not None and person == case.person:
            plan = [(FeverStage.REMEASURED, 10, Decimal("38.0"), "复测仍发热"),
                    (FeverStage.SENT_TO_CLINIC, 40, None, CLINICS[0])]
        elif row[0] not in latest:
            again = Decimal(str(round(rng.uniform(36.2, 36.9), 1)))
            plan = [(FeverStage.REMEASURED, rng.randint(5, 20), again, "休息后复测")]
            if rng.random() < 0.3:
                plan = [(FeverStage.REMEASURED, rng.randint(5, 20), row[col["temperature"]],
                         "复测仍发热"),
                        (FeverStage.SENT_TO_CLINIC, rng.randint(30, 90), None, rng.choice(CLINICS))]
            cleared = at + timedelta(hours=rng.randint(6, 30))
            if cleared < now:
                plan.append((FeverStage.CLEARED, int((cleared - at).total_seconds() // 60), None,
                             "核酸检测阴性，体温正常，解除"))
        for stage, minutes, temperature, note in plan:
            step_at = min(at + timedelta(minutes=minutes), now)
            steps.append((alert, stage, temperature, note, by.pk if by else None, step_at))
            alert.stage = stage
            if stage == FeverStage.CLEARED:
                alert.closed_at = step_at
        alerts.append(alert)
    bulk.insert_objects(alerts)
    audit.record_bulk_create(alerts, note=_("Demo data: fever alerts of the generated entries"))
    bulk.insert_rows(FeverFollowUp, [(a.pk, *rest) for a, *rest in steps],
                     fields=("alert_id", "stage", "temperature", "note", "by_id", "at"),
                     returning_ids=False)
    still_open = sum(a.closed_at is None for a in alerts)
    return (f"Fever alerts: {len(alerts)} ({still_open} open, {len(alerts) - still_open} "
            f"followed up and cleared), {len(steps)} follow-up steps.")


def _refusals(seed: int, where: Checkpoints, *, now: datetime, count: int) -> str:
    """Refusals logged at the gates: people under home observation trying to leave (half),
    unreadable codes, tampered and forged passes."""
    from shoumen.people.models import CONFINED_STATUSES, PersonStatus

    from ..entries.models import Refusal, RefusalReason
    from ..passes.models import ResidentPass

    rng = random.Random(f"shoumen-refusals:{seed}")
    community = _community_of_nodes()
    confined = list(ResidentPass.objects.filter(revoked_at=None,
                                                person__status__in=CONFINED_STATUSES)
                    .order_by("pk").values_list("number", "person_id", "person__status",
                                                "person__jurisdiction_id")[:count])
    gates = [c for cs in where.gates.values() for c in cs]
    if not gates:
        return "Refusals: none (no gates)."
    rows = []
    for i in range(count):
        at = now - timedelta(seconds=rng.randint(3600, GATE_DAYS * 86400 - 3600))
        at = at.replace(hour=rng.randint(7, 20))
        if at > now:
            at -= timedelta(days=1)
        if i % 2 == 0 and confined:
            number, person, status, node = confined[(i // 2) % len(confined)]
            checkpoint = (where.gates.get(node) or where.gates.get(community[node], gates))[0]
            reason, detail, direction = RefusalReason.STATUS, str(PersonStatus(status).label), "out"
        else:
            person = None
            number, checkpoint, direction = "", rng.choice(gates), rng.choice(("in", "out"))
            reason, detail = rng.choice((  # as gate.cose words them, in the site's language
                (RefusalReason.MALFORMED, _("not a compressed COSE message")),
                (RefusalReason.MALFORMED, _("missing SM1: prefix")),
                (RefusalReason.BAD_SIGNATURE, _("signature does not match the contents")),
                (RefusalReason.UNKNOWN_KEY, _("signed by an unknown key"))))
        rows.append((uuid_mod.UUID(int=rng.getrandbits(128), version=4), checkpoint, at,
                     direction, reason, detail, number, person, where.guard.get(checkpoint), at))
    bulk.insert_rows(Refusal, rows, returning_ids=False,
                     fields=("uuid", "checkpoint_id", "at", "direction", "reason", "detail",
                             "pass_number", "person_id", "guard_id", "recorded_at"))
    return f"Refusals: {len(rows)} ({sum(r[4] == RefusalReason.STATUS for r in rows)} by status)."


def _confirm(case: Walker, *, actor) -> str:
    from shoumen.people.models import Person, PersonStatus
    from shoumen.people.services import change_status

    person = Person.objects.get(pk=case.person)
    change_status(person, actor=actor, status=PersonStatus.CONFIRMED,
                  reason="发热门诊核酸检测阳性，确诊新冠肺炎，已转运定点医院")
    return (f"Confirmed case: {person.name} (person {person.pk}, "
            f"{person.jurisdiction}), for the close-contacts page.")


# --- loading fast -----------------------------------------------------------------------------

def _fast_load(model, *, big: bool):
    """On PostgreSQL, a big load drops the table's indexes, unique and foreign-key
    constraints and rebuilds them at the end (still inside the transaction)."""
    from shoumen.core.bulk import indexes_dropped

    if big and connection.vendor == "postgresql":
        return indexes_dropped(model._meta.db_table, constraints=True)
    return nullcontext()


def _now():
    return timezone.now()


# --- all of it --------------------------------------------------------------------------------

def seed_gate(*, seed: int, scale: str, actor, now: datetime, entries: int | None = None,
              jobs: int = 1, progress: Callable[[str], None] | None = None) -> GateReport:
    """Load each part of the gate demo that is not loaded yet, each in its own transaction:
    checkpoint rows (and, for a city, office buildings with lobbies), guards, passes, then
    entries with their alerts, refusals and case. ``entries`` is about how many entries
    (default: the demo's behaviour model; a city makes 10 per resident)."""
    from shoumen.people.models import Person

    from ..entries.models import Entry
    from ..passes.models import ResidentPass

    report = GateReport()
    now = now.astimezone(_local_zone())

    def part(name: str, fn: Callable[[], Iterable[str] | str | None]) -> None:
        t = time.perf_counter()
        with transaction.atomic():
            result = fn()
        for line in [result] if isinstance(result, str) else (result or []):
            report.add(line)
        if progress:
            progress(f"  gate: {name} ({time.perf_counter() - t:.1f} s)")

    def checkpoints():
        lines = []
        if scale == "city":
            buildings, lobbies = add_office_buildings(seed)
            if buildings:
                lines.append(f"Office buildings: {buildings:,} with {lobbies:,} lobby checkpoints.")
                report.notes.append(_("%(buildings)s office buildings with %(lobbies)s lobbies")
                                    % {"buildings": buildings, "lobbies": lobbies})
            gates, shops = add_compounds_and_shops(seed)
            if gates or shops:
                lines.append(f"Compound gates: {gates:,}; shop and market checkpoints: {shops:,}.")
                report.notes.append(_("%(gates)s compound gates, %(shops)s shop checkpoints")
                                    % {"gates": gates, "shops": shops})
        made = ensure_checkpoint_rows()
        if made:
            lines.append(f"Checkpoint rows made for {made:,} checkpoint places written in bulk.")
        return lines

    part("checkpoints", checkpoints)
    part("guards", lambda: [f"Guards: {line}." for line in assign_guards(actor)])
    if not ResidentPass.objects.exists():
        def passes():
            t = time.perf_counter()
            n = (sign_city_passes(seed=seed, actor=actor, now=now, jobs=jobs) if scale == "city"
                 else issue_demo_passes(actor))
            report.notes.append(_("%(n)s passes") % {"n": n})
            return f"Passes: {n:,} issued ({time.perf_counter() - t:.1f} s)."

        part("passes", passes)
    if not Entry.objects.exists():
        if entries is None and scale == "city":
            entries = CITY_ENTRIES_PER_RESIDENT * Person.objects.count()

        def entry_part():
            lines = seed_entries(seed=seed, scale=scale, actor=actor, now=now, target=entries,
                                 jobs=jobs, progress=progress)
            report.notes.append(_("%(n)s entries") % {"n": Entry.objects.count()})
            return lines

        part("entries", entry_part)
        if connection.vendor == "postgresql":
            _vacuum("gate_entry", "gate_residentpass", "gate_feveralert")
    return report


def _vacuum(*tables: str) -> None:
    """After a load: visibility map (index-only scans) and statistics, outside transactions."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def _local_zone():
    from django.utils import timezone

    return timezone.get_current_timezone()
