"""Deterministic generation of residents, households and key-person markings.

:func:`generate_residents` is pure: from a seed and a list of :class:`Slot` (grids to fill)
it yields :class:`ResidentSpec` values with no database access, so the same seed always gives
the same people (the tests compare two runs). :func:`seed_residents` turns the specs into
:class:`~shoumen.people.models.Person` rows with :mod:`shoumen.core.bulk`.

Seeding bypasses the per-row audit trail by design: writing an audit row per generated person
would double the work of a million-row benchmark load and record nothing a reviewer needs.
Instead the command writes one ``import`` audit event summarising what was seeded.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from shoumen.core import bulk
from shoumen.core.bulk import indexes_dropped
from shoumen.people import fake

from . import names

# Ages are computed against a fixed date, not "today", so that a seed gives the same ID
# numbers whenever it runs.
REFERENCE_DATE = date(2025, 6, 1)

# Where people registered elsewhere come from (real GB/T 2260 codes).
OTHER_JINAN_REGIONS = ("370102", "370103", "370104", "370105", "370112")
OUTSIDE_REGIONS = ("420106", "110101", "310101", "440106", "320102", "410105", "370202",
                   "370302", "371302", "370883")


@dataclass(frozen=True)
class TagSpec:
    code: str
    name: str
    is_key_person: bool = True


# Key-person tags (重点人员) the demo uses; ``code`` is stable, ``name`` is shown in the UI.
TAGS: tuple[TagSpec, ...] = (
    TagSpec("returned-from-outside", "外地返济"),
    TagSpec("returned-from-abroad", "境外返回"),
    TagSpec("fever-history", "发热史"),
    TagSpec("elderly-living-alone", "独居老人"),
    TagSpec("chronic-disease", "慢性病"),
    TagSpec("close-contact", "密切接触者"),
)


@dataclass(frozen=True)
class Slot:
    """A grid to fill with households: its key (the caller's, e.g. a node id), the household
    number prefix, streets for addresses, the local region code for ID numbers and a relative
    size."""

    key: int
    household_prefix: str
    streets: tuple[str, ...]
    home_region: str
    weight: float = 1.0


@dataclass(slots=True)
class ResidentSpec:
    """One generated person, ready to become a Person row."""

    slot: int
    name: str
    id_number: str
    phone: str
    kind: str
    household: str
    address: str
    tags: tuple[str, ...] = ()
    # Status history as (to_status, days before seeding, reason); the last one is current.
    history: tuple[tuple[str, int, str], ...] = ()

    @property
    def status(self) -> str:
        return self.history[-1][0] if self.history else "normal"


# Age bands of household heads (years, weight): a city's adult population, older-leaning.
_ADULT_AGES = ((18, 24, 6), (25, 34, 16), (35, 44, 15), (45, 54, 18), (55, 64, 16),
               (65, 74, 12), (75, 84, 6), (85, 97, 2))


@cache
def region_valid(region: str, year: int) -> bool:
    """Whether python-stdnum (and so our validator) accepts ``region`` for a birth ``year``.

    stdnum only accepts a county code for people born while the code was assigned, so
    历下区's 370102 (from 1983) is refused for someone born in 1950.
    """
    body = f"{region}{year}0101001"
    try:
        ric.get_birth_place(body + ric.calc_check_digit(body + "0"))
    except StdnumError:
        return False
    return True


def usable_region(region: str, year: int) -> str:
    """``region``, else its city's code, else 济南市's: the first accepted for ``year``."""
    for candidate in (region, region[:4] + "00", "370100"):
        if region_valid(candidate, year):
            return candidate
    return "370100"


class _IdAllocator:
    """Hands out unique ID numbers: per (region, birth date, sex) it counts the 3-digit
    sequence, whose last digit carries the sex (odd for men)."""

    def __init__(self):
        self.used: dict[int, int] = {}

    def allocate(self, region: str, birth: date, sex: str) -> str:
        odd = 1 if sex == "M" else 0
        while True:
            region_ok = usable_region(region, birth.year)
            key = (int(region_ok) * 1_000_000 + birth.toordinal()) * 2 + odd
            k = self.used.get(key, 0)
            if k < 500:
                self.used[key] = k + 1
                return fake.id_number(region_ok, birth, 2 * k + odd)
            birth += timedelta(days=1)  # that day is full: the next day is just as plausible


@dataclass
class _Member:
    sex: str
    age: int
    surname: str | None = None
    tags: list[str] = field(default_factory=list)


def _age(rng: random.Random, lo: int = 18, hi: int = 97) -> int:
    bands = [(a, b, w) for a, b, w in _ADULT_AGES if b >= lo and a <= hi]
    total = sum(w for *_, w in bands)
    pick = rng.random() * total
    for a, b, w in bands:
        pick -= w
        if pick <= 0:
            return rng.randint(max(a, lo), min(b, hi))
    return rng.randint(lo, hi)


def _household_members(rng: random.Random) -> list[_Member]:
    """A plausible household: singles, couples, parents with children, three generations."""
    size = rng.choices((1, 2, 3, 4, 5), weights=(25, 30, 21, 13, 11))[0]  # 2020 census
    if size == 1:
        age = _age(rng)
        sex = "F" if rng.random() < (0.6 if age >= 70 else 0.45) else "M"
        return [_Member(sex, age)]
    if size == 2 and rng.random() < 0.65:
        # Mostly empty nesters, some young couples.
        husband = _age(rng, 45, 92) if rng.random() < 0.7 else _age(rng, 23, 44)
        return [_Member("M", husband), _Member("F", max(20, husband + rng.randint(-6, 3)))]
    # Two parents (or one) with children, sometimes grandparents.
    father = _age(rng, 24, 72)  # older parents often live with grown-up children
    mother = max(21, father + rng.randint(-5, 2))
    members = [_Member("M", father)]
    if size == 2 or (size >= 3 and rng.random() < 0.08):
        members = [_Member(rng.choice("MF"), max(father, mother))]  # single parent
    else:
        members.append(_Member("F", mother))
    youngest_parent = min(m.age for m in members)
    grandparents = 0
    if size >= 4 and rng.random() < 0.45:
        grandparents = 1 if size == 4 else 2
    children = size - len(members) - grandparents
    gap = rng.randint(22, 34)
    child_age = youngest_parent - gap if gap <= youngest_parent else rng.randint(0, 3)
    for _ in range(max(children, 0)):
        if child_age < 0:  # no room for another child: the household is one smaller
            break
        members.append(_Member(rng.choice("MF"), child_age, surname="father"))
        child_age -= rng.randint(2, 6)
    for i in range(grandparents):
        gp_age = min(97, max(m.age for m in members) + rng.randint(20, 28))
        members.append(_Member("M" if i == 0 else "F", gp_age,
                               surname="father" if i == 0 else None))
    return members[:size]


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer shares proportional to ``weights`` (largest remainder)."""
    wsum = sum(weights) or 1.0
    raw = [total * w / wsum for w in weights]
    shares = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


_RETURN_REASONS = {
    "returned-from-outside": "外地返济，按规定居家观察14天",
    "returned-from-abroad": "境外返回，按规定居家观察14天",
    "close-contact": "密切接触者，居家医学观察14天",
}


def _statuses(rng: random.Random, tags: list[str]) -> tuple[tuple[str, int, str], ...]:
    """Some recent returnees and contacts are in home observation; a few have finished it."""
    reason_tag = next((t for t in tags if t in _RETURN_REASONS), None)
    if reason_tag is None or rng.random() > 0.3:
        return ()
    started = rng.randint(1, 20)
    history = [("home_observation", started, _RETURN_REASONS[reason_tag])]
    if started > 14:
        history.append(("released", started - 14, "居家观察期满14天，体温正常，解除观察"))
    return tuple(history)


def generate_residents(seed: int, slots: Sequence[Slot], total: int,
                       reference_date: date = REFERENCE_DATE) -> Iterator[ResidentSpec]:
    """Yield ``total`` fictional residents across ``slots``, deterministically from ``seed``.

    Guarantees: every ID number is check-digit valid, unique, carries the person's sex and a
    region code python-stdnum accepts for their birth year; every phone (held by ~95% of people
    aged 14+) is a distinct test-range mobile; households of 1-5 share a household number and
    an address such as 泺文路12号3单元501; about 5% of people carry a key-person tag and a few
    of the returnees are, or were, in home observation.
    """
    rng = random.Random(f"shoumen-residents:{seed}")
    ids = _IdAllocator()
    # Distinct phone numbers: i -> (a*i + b) mod 10^9 is a bijection for a coprime to 10.
    phone_a, phone_b = 387_420_489, rng.randrange(10**9)
    quotas = _apportion(total, [s.weight * rng.uniform(0.85, 1.15) for s in slots])
    index = 0
    for slot, quota in zip(slots, quotas, strict=True):
        used_addresses: set[str] = set()
        household_no = 0
        left = quota
        while left > 0:
            household_no += 1
            members = _household_members(rng)[:left]
            left -= len(members)
            while True:
                street = rng.choice(slot.streets)
                high_rise = rng.random() < 0.3
                address = (f"{street}{rng.randint(1, 199)}号{rng.randint(1, 6)}单元"
                           f"{rng.randint(1, 28 if high_rise else 6)}{rng.randint(1, 4):02d}")
                if address not in used_addresses:
                    used_addresses.add(address)
                    break
            local = rng.random() < 0.86
            if local:
                region = slot.home_region if rng.random() < 0.7 else rng.choice(OTHER_JINAN_REGIONS)
            else:
                region = rng.choice(OUTSIDE_REGIONS)
            household = f"{slot.household_prefix}-{household_no:04d}"
            family = None
            for m in members:
                # Tags first: they depend only on the person's situation.
                if len(members) == 1 and m.age >= 70 and rng.random() < 0.6:
                    m.tags.append("elderly-living-alone")
                if m.age >= 55 and rng.random() < 0.05:
                    m.tags.append("chronic-disease")
                if m.age >= 16 and rng.random() < (0.10 if not local else 0.012):
                    m.tags.append("returned-from-outside")
                elif m.age >= 18 and rng.random() < 0.002:
                    m.tags.append("returned-from-abroad")
                if rng.random() < 0.003:
                    m.tags.append("fever-history")
                if rng.random() < 0.002:
                    m.tags.append("close-contact")
                birth_year = reference_date.year - m.age
                birth = date(birth_year, 1, 1) + timedelta(days=rng.randrange(365))
                if birth > reference_date:
                    birth = reference_date - timedelta(days=rng.randint(1, 150))
                if m.surname == "father" and family:
                    name = names.full_name(rng, m.sex, birth.year, family)
                else:
                    name = names.full_name(rng, m.sex, birth.year)
                if family is None:
                    family = name[:2] if name[:2] in ("欧阳", "司马", "诸葛") else name[0]
                if local:
                    kind = "resident"
                elif len(members) == 1 and 18 <= m.age <= 45 and rng.random() < 0.4:
                    kind = "worker"
                else:
                    kind = "non_resident"
                if kind == "resident" and rng.random() < 0.01:
                    kind = "visitor"
                index += 1
                phone = ""
                if m.age >= 14 and rng.random() < 0.95:
                    phone = fake.mobile((phone_a * index + phone_b) % 10**9)
                yield ResidentSpec(
                    slot=slot.key, name=name, id_number=ids.allocate(region, birth, m.sex),
                    phone=phone, kind=kind, household=household, address=address,
                    tags=tuple(m.tags), history=_statuses(rng, m.tags),
                )


# --- writing to the database --------------------------------------------------------------

@cache
def name_keys(name: str) -> tuple[str, str]:
    """(initials, pinyin) for a name, exactly as Person.set_name computes them, once per name."""
    from shoumen.people.search import initials_of, pinyin_of

    return initials_of(name), pinyin_of(name)


@dataclass
class SeedStats:
    people: int = 0
    households: int = 0
    tagged: int = 0
    observation: int = 0
    status_changes: int = 0
    seconds: float = 0.0
    by_tag: dict[str, int] = field(default_factory=dict)


def _person_for(spec: ResidentSpec, node_id: int, now: datetime):
    """An unsaved Person for ``spec``, its numbers set through the model's own setters."""
    from shoumen.people.models import Person

    person = Person()
    person.jurisdiction_id = node_id
    person.kind = spec.kind
    person.address = spec.address
    person.household = spec.household
    person.name = spec.name
    person.name_initials, person.name_pinyin = name_keys(spec.name)
    person.set_id_number(spec.id_number)
    person.set_phone(spec.phone)
    person.created_at = person.updated_at = now
    if spec.history:
        person.status = spec.status
        person.status_since = now - timedelta(days=spec.history[-1][1])
    else:
        person.status_since = now
    return person


# Per-process state of the row builders (set in the parent too when running in-process).
_BUILDER: dict = {}


def _builder_init(node_ids: dict[int, int], now: datetime, attnames: list[str]) -> None:
    _BUILDER.update(node_ids=node_ids, now=now, attnames=attnames)


def _build_rows(chunk: list[ResidentSpec]) -> list[tuple]:
    """Row values (every concrete column but the id) for a chunk of specs. Runs in a worker
    process: encryption is the costliest step of seeding and parallelises perfectly."""
    node_ids, now, attnames = _BUILDER["node_ids"], _BUILDER["now"], _BUILDER["attnames"]
    rows = []
    for spec in chunk:
        person = _person_for(spec, node_ids[spec.slot], now)
        rows.append(tuple(getattr(person, a) for a in attnames))
    return rows


def _chunks(specs: Iterable[ResidentSpec], size: int) -> Iterator[list[ResidentSpec]]:
    chunk = []
    for spec in specs:
        chunk.append(spec)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed_residents(specs: Iterable[ResidentSpec], *, nodes: dict, tags: dict, actor,
                   now: datetime, batch_size: int = 5000, jobs: int = 1,
                   progress: Callable[[int, float], None] | None = None,
                   progress_every: int = 100_000) -> SeedStats:
    """Insert the specs as Person rows (with tags and status history) in batches.

    ``nodes`` maps a spec's slot key to its jurisdiction node, ``tags`` a tag code to its
    PersonTag. Bypasses per-row auditing (see the module docstring); the caller records one
    audit event. Numbers are set through Person.set_id_number / set_phone (encrypted, blind
    indexed, masked); names get the same pinyin keys as Person.set_name, computed once per
    distinct name.

    Rows go in with :func:`shoumen.core.bulk.insert_rows` (COPY on PostgreSQL, whose plain
    indexes are dropped for the load and rebuilt at the end). With ``jobs`` > 1 the rows are
    built (encrypted) in that many worker processes while this one generates and loads. Output
    does not depend on ``jobs``: the specs are generated here, in order.
    """
    from django.db import connection

    from shoumen.people.models import Person, StatusChange

    stats = SeedStats()
    started = time.perf_counter()
    households: set[str] = set()
    next_report = progress_every
    node_ids = {key: node.pk for key, node in nodes.items()}
    through = Person.tags.through
    actor_id = actor.pk if actor is not None else None

    def load(chunk: list[ResidentSpec], rows: list[tuple]) -> None:
        nonlocal next_report
        ids = bulk.insert_rows(Person, rows, fields=attnames)
        links, changes = [], []
        for spec, pk in zip(chunk, ids, strict=True):
            for code in spec.tags:
                links.append((pk, tags[code].pk))
                stats.by_tag[code] = stats.by_tag.get(code, 0) + 1
            stats.tagged += bool(spec.tags)
            previous = "normal"
            for to_status, days, reason in spec.history:
                # changed_at given, not auto_now_add: the steps happened days ago.
                changes.append((pk, previous, to_status, reason, actor_id,
                                now - timedelta(days=days)))
                previous = to_status
            stats.observation += spec.status == "home_observation"
            households.add(spec.household)
        bulk.insert_rows(through, links, fields=("person_id", "persontag_id"),
                         returning_ids=False)
        bulk.insert_rows(StatusChange, changes, returning_ids=False,
                         fields=("person_id", "from_status", "to_status", "reason",
                                 "changed_by_id", "changed_at"))
        stats.status_changes += len(changes)
        stats.people += len(chunk)
        if progress and stats.people >= next_report:
            progress(stats.people, time.perf_counter() - started)
            next_report += progress_every

    attnames = [f.attname for f in Person._meta.concrete_fields if not f.primary_key]
    initargs = (node_ids, now, attnames)
    postgresql = connection.vendor == "postgresql"
    with indexes_dropped(Person._meta.db_table) if postgresql else nullcontext():
        if jobs <= 1:
            _builder_init(*initargs)
            for chunk in _chunks(specs, batch_size):
                load(chunk, _build_rows(chunk))
        else:
            # Forked workers only compute; they never touch the database connection.
            pool = multiprocessing.get_context("fork").Pool(jobs, _builder_init, initargs)
            try:
                pending: deque = deque()
                for chunk in _chunks(specs, batch_size):
                    pending.append((chunk, pool.apply_async(_build_rows, (chunk,))))
                    if len(pending) > 2 * jobs:  # bounded: generation waits for workers
                        done, result = pending.popleft()
                        load(done, result.get())
                while pending:
                    done, result = pending.popleft()
                    load(done, result.get())
            finally:
                pool.terminate()
                pool.join()
    stats.households = len(households)
    stats.seconds = time.perf_counter() - started
    return stats
