"""How people move through checkpoints: a deterministic model of 14 days of gate entries.

:func:`generate_entries` is pure: from a seed, the people who may go out and the checkpoints
(gates per community, lobbies per building) it yields each day's entries as rows ready for
:mod:`shoumen.core.bulk`, sorted by time, with no database access; the same inputs always
give the same rows (uuids included). What it models, from how lockdown communities worked:

* on a given day a share of residents goes out (``daily_out``, or a share derived from a
  target number of entries), one to three times, mostly in the morning and afternoon, each
  time out through a gate of their own compound (or community) and back through it (usually
  the same, habitual gate) after twenty minutes to a few hours, on the way often through the
  checkpoint of a shop or market of their community;
* some working-age people commute to an office building of their district: on working days
  they leave home, enter the building's lobby between 7:30 and 9:45, one in three go out for
  lunch, and they leave between 17:00 and 21:00 and come home;
* every passage has its temperature taken: 36.0–37.0 °C, and now and then a fever
  (≥ 37.3 °C, ``fever_rate`` of passages);
* the guard scans the person's pass (97 %) or looks them up (forgotten card, no pass).
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import NormalDist

from shoumen.core.uuids import uuid7

from ..entries.models import ENTRY_ROW_FIELDS

# Positions of some entry columns in the rows (see ENTRY_ROW_FIELDS).
AT, CHECKPOINT, SITE, PERSON, FEVER = (ENTRY_ROW_FIELDS.index(n) for n in
                                      ("at", "checkpoint_id", "site_id", "person_id", "fever"))

DAILY_OUT = 0.55  # demo: the share of residents who go out on a given day
OUTINGS = (1, 2, 3)
OUTING_WEIGHTS = (45, 35, 20)
MEAN_OUTINGS = sum(o * w for o, w in zip(OUTINGS, OUTING_WEIGHTS, strict=True)) / sum(OUTING_WEIGHTS)
COMMUTER_SHARE = 0.08  # of working-age residents, who commute to an office building
WORKING_AGE = (20, 59)
FEVER_RATE = 1 / 6000
HABITUAL_GATE = 0.8  # share of outings through the person's usual gate
VENUE_VISIT = 0.6  # share of outings that pass a shop's or market's checkpoint, if any
PASS_SCANNED = 0.97

# Departure times (hours) of outings: (low, mode, high, weight) of triangular distributions.
_DEPARTURES = ((6.5, 8.0, 10.0, 35), (10.0, 11.5, 14.0, 25), (14.0, 15.5, 17.0, 30),
               (17.0, 18.5, 21.0, 10))
_TEMPERATURES = {t: Decimal(t) / 10 for t in range(340, 431)}  # tenths of °C → Decimal
_FEVERS = (373, 374, 375, 376, 377, 378, 379, 380, 382, 384, 386, 388)
_FEVER_WEIGHTS = (16, 14, 12, 11, 10, 9, 7, 6, 5, 4, 3, 3)


def _table(values, weights) -> tuple:
    """``values`` repeated by integer ``weights``: one ``rng.random()`` picks by weight (the
    generator draws ~10 M times; ``rng.choices`` costs five times as much)."""
    return tuple(v for v, w in zip(values, weights, strict=True) for _ in range(w))


_OUTING_TABLE = _table(OUTINGS, OUTING_WEIGHTS)
_DEPARTURE_TABLE = _table([d[:3] for d in _DEPARTURES], [d[3] for d in _DEPARTURES])
_FEVER_TABLE = _table(_FEVERS, _FEVER_WEIGHTS)
# Normal temperatures: tenths of °C, N(36.5, 0.22) cut to 36.0–37.0, as 1,000 quantiles.
_NORMAL_TABLE = tuple(min(370, max(360, round(NormalDist(365, 2.2).inv_cdf((i + 0.5) / 1000))))
                      for i in range(1000))


@dataclass(frozen=True, slots=True)
class Walker:
    """Someone who may pass checkpoints: their person id, home node (the grid whose compound
    gates they use, else their community), community and district node ids, age in years and
    live pass id (None: no pass, so the guard looks them up)."""

    person: int
    home: int
    community: int
    district: int
    age: int
    pass_id: int | None = None


@dataclass
class Checkpoints:
    """Where people pass. ``gates``: node id (a grid's compound, a community) → its gate
    checkpoint ids; ``venues``: community → checkpoints of its shops and markets;
    ``lobbies``: building place id → its lobby checkpoint ids (the main lobby first);
    ``building_district``: building → district node id; ``site``: checkpoint → site id
    (the building for a lobby); ``guard``: checkpoint → the guard user id on duty there."""

    gates: dict[int, list[int]] = field(default_factory=dict)
    venues: dict[int, list[int]] = field(default_factory=dict)
    lobbies: dict[int, list[int]] = field(default_factory=dict)
    building_district: dict[int, int] = field(default_factory=dict)
    site: dict[int, int] = field(default_factory=dict)
    guard: dict[int, int] = field(default_factory=dict)


def choose_commuters(rng: random.Random, walkers: Sequence[Walker], where: Checkpoints,
                     share: float = COMMUTER_SHARE) -> dict[int, int]:
    """person id → the building they work in: ``share`` of each district's working-age
    people, spread over the district's buildings (each gets 60–140 % of an even share)."""
    lo, hi = WORKING_AGE
    pools: dict[int, list[int]] = {}
    for w in walkers:
        if lo <= w.age <= hi:
            pools.setdefault(w.district, []).append(w.person)
    buildings_by_district: dict[int, list[int]] = {}
    for building in sorted(where.lobbies):
        district = where.building_district.get(building)
        if district is not None and where.lobbies[building]:
            buildings_by_district.setdefault(district, []).append(building)
    commuters: dict[int, int] = {}
    for district in sorted(buildings_by_district):
        pool = pools.get(district, [])
        rng.shuffle(pool)
        buildings = buildings_by_district[district]
        even = len(pool) * share / len(buildings)
        for building in buildings:
            for _ in range(min(len(pool), round(even * rng.uniform(0.6, 1.4)))):
                commuters[pool.pop()] = building
    return commuters


def expected_entries_per_day(walkers: int, commuters: int, daily_out: float,
                             per_outing: float = 2.0) -> float:
    """Mean entries a day the model makes (to derive ``daily_out`` from a target);
    ``per_outing``: entries an outing makes on average (2, more with shop visits)."""
    working = 5 / 7 * 0.92 + 2 / 7 * 0.08
    per_commute = 4 + 0.35 * 2  # home gate out/in, lobby in/out, lunch out/in
    others = walkers - commuters * working
    return commuters * working * per_commute + others * daily_out * MEAN_OUTINGS * per_outing


def daily_out_for(target: int, days: float, walkers: int, commuters: int,
                  per_outing: float = 2.0) -> float:
    """The share going out each day that makes about ``target`` entries over ``days``."""
    commute_only = expected_entries_per_day(walkers, commuters, 0.0)
    per_outer = expected_entries_per_day(walkers, commuters, 1.0, per_outing) - commute_only
    if per_outer <= 0:
        return 0.0
    return max(0.0, min(1.0, (target / days - commute_only) / per_outer))


def _clock(rng: random.Random, low: float, mode: float, high: float) -> int:
    """Seconds after midnight, triangular between ``low`` and ``high`` hours."""
    return int(rng.triangular(low, high, mode) * 3600)


def _pick(rng: random.Random, table: tuple):
    return table[int(rng.random() * len(table))]


def _departures(rng: random.Random, count: int) -> list[int]:
    return sorted(_clock(rng, *_pick(rng, _DEPARTURE_TABLE)) for _ in range(count))


class _Day:
    """The passages of one day, as (seconds after midnight, checkpoint, direction, walker)."""

    def __init__(self, rng: random.Random, where: Checkpoints, gates: dict):
        self.rng, self.where, self.gates = rng, where, gates
        self.passages: list[tuple[int, int, str, Walker]] = []

    def gate(self, walker: Walker) -> int:
        """Mostly the walker's habitual home gate, else any gate of home or community."""
        home, usable = self.gates[walker.home]
        if len(usable) == 1 or self.rng.random() < HABITUAL_GATE:
            return home[walker.person % len(home)]
        return self.rng.choice(usable)

    def outing(self, walker: Walker, out: int, back: int) -> None:
        rng = self.rng
        gate = self.gate(walker)
        self.passages.append((out, gate, "out", walker))
        venues = self.where.venues.get(walker.community)
        if venues and rng.random() < VENUE_VISIT:
            arrive = out + rng.randint(300, 1200)
            leave = arrive + rng.randint(600, 2400)
            if leave + 300 <= back:
                venue = rng.choice(venues)
                self.passages += [(arrive, venue, "in", walker), (leave, venue, "out", walker)]
        back_gate = gate if rng.random() < 0.7 else self.gate(walker)
        self.passages.append((back, back_gate, "in", walker))

    def errands(self, walker: Walker) -> None:
        rng = self.rng
        starts = _departures(rng, _pick(rng, _OUTING_TABLE))
        for i, out in enumerate(starts):
            latest = starts[i + 1] - 300 if i + 1 < len(starts) else 23 * 3600 + 1800
            length = int(rng.lognormvariate(8.2, 0.7))  # median ~60 min, most 20 min-3 h
            back = min(out + max(length, 300), latest)
            if back > out:
                self.outing(walker, out, back)

    def workday(self, walker: Walker, building: int) -> None:
        rng = self.rng
        lobbies = self.where.lobbies[building]
        lobby = lobbies[0] if len(lobbies) == 1 or rng.random() < 0.85 else rng.choice(lobbies[1:])
        arrive = _clock(rng, 7.5, 8.5, 9.75)
        leave = _clock(rng, 17.0, 17.75, 21.0)
        home_out = arrive - rng.randint(600, 2700)
        home_in = leave + rng.randint(900, 3600)
        gate = self.gate(walker)
        self.passages += [(home_out, gate, "out", walker), (arrive, lobby, "in", walker)]
        if rng.random() < 0.35:
            lunch = _clock(rng, 11.5, 12.0, 12.75)
            self.passages += [(lunch, lobby, "out", walker),
                              (lunch + rng.randint(1500, 3600), lobby, "in", walker)]
        self.passages += [(leave, lobby, "out", walker),
                          (home_in, gate if rng.random() < 0.8 else self.gate(walker), "in",
                           walker)]


def home_gates(walkers: Sequence[Walker], where: Checkpoints) -> dict[int, tuple[tuple, tuple]]:
    """home node → (its own gates, every gate its people may use: those and their
    community's), for each home with a gate."""
    result = {}
    for w in walkers:
        if w.home in result:
            continue
        own = where.gates.get(w.home) or where.gates.get(w.community) or []
        usable = list(own)
        if w.home != w.community:
            usable += [g for g in where.gates.get(w.community, []) if g not in own]
        if own:
            result[w.home] = (tuple(own), tuple(usable))
    return result


class EntryPlan:
    """The entries between ``start`` (exclusive) and ``end`` (inclusive), day by day: each
    day's rows come from their own random stream (seed and date), so days can be made in any
    order or in parallel processes and still be the same. ``start``/``end`` are aware local
    times; days run midnight to midnight. Give ``daily_out`` (share of residents going out a
    day) or ``target`` (about how many entries in all); ``commuters`` (person → building)
    defaults to :func:`choose_commuters`. Walkers whose community has no gate stay in."""

    def __init__(self, seed: int, walkers: Sequence[Walker], where: Checkpoints, *,
                 start: datetime, end: datetime, daily_out: float | None = None,
                 target: int | None = None, fever_rate: float = FEVER_RATE,
                 commuters: dict[int, int] | None = None):
        self.seed, self.where, self.start, self.end = seed, where, start, end
        self.fever_rate = fever_rate
        self.gates = home_gates(walkers, where)
        self.walkers = [w for w in walkers if w.home in self.gates]
        if commuters is None:
            commuters = choose_commuters(random.Random(f"shoumen-gate:{seed}"), self.walkers,
                                         where)
        self.commuters = commuters
        if daily_out is None:
            days = (end - start).total_seconds() / 86400
            daily_out = (daily_out_for(target, days, len(self.walkers), len(commuters),
                                       self._entries_per_outing()) if target else DAILY_OUT)
        self.daily_out = daily_out

    def _entries_per_outing(self, sample: int = 5000) -> float:
        """Entries an outing makes on average (two, more when a shop is on the way),
        measured on a sample of the walkers' errands."""
        rng = random.Random(f"shoumen-gate-pilot:{self.seed}")
        walkers = self.walkers if len(self.walkers) <= sample else rng.sample(self.walkers, sample)
        day = _Day(rng, self.where, self.gates)
        for walker in walkers:
            day.errands(walker)
        return len(day.passages) / max(1, len(walkers)) / MEAN_OUTINGS if walkers else 2.0

    def midnights(self) -> list[datetime]:
        """The local midnight starting each day of the period."""
        days = []
        midnight = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        while midnight <= self.end:
            days.append(midnight)
            midnight = (midnight + timedelta(days=1, hours=2)).replace(hour=0)
        return days

    def day(self, midnight: datetime) -> list[tuple]:
        """The rows of the day starting at ``midnight`` (:data:`ENTRY_ROW_FIELDS`), by time."""
        rng = random.Random(f"shoumen-gate:{self.seed}:{midnight:%Y-%m-%d}")
        start, end, commuters, daily_out = self.start, self.end, self.commuters, self.daily_out
        working_day = midnight.weekday() < 5
        day = _Day(rng, self.where, self.gates)
        for walker in self.walkers:
            building = commuters.get(walker.person)
            if building is not None and rng.random() < (0.92 if working_day else 0.08):
                day.workday(walker, building)
            elif rng.random() < daily_out:
                day.errands(walker)
        day.passages.sort(key=lambda p: (p[0], p[1], p[3].person))
        site, guard, fever_rate = self.where.site, self.where.guard, self.fever_rate
        temperatures, normal, fevers = _TEMPERATURES, _NORMAL_TABLE, _FEVER_TABLE
        random_, bits = rng.random, rng.getrandbits
        rows = []
        for seconds, checkpoint, direction, walker in day.passages:
            at = midnight + timedelta(seconds=seconds)
            if not start < at <= end:
                continue
            if random_() < fever_rate:
                tenths = fevers[int(random_() * len(fevers))]
            else:
                tenths = normal[int(random_() * 1000)]
            scanned = walker.pass_id is not None and random_() < PASS_SCANNED
            rows.append((
                uuid7(at, bits(128)), checkpoint, site[checkpoint], at, direction,
                temperatures[tenths], tenths >= 373,
                walker.person, "pass" if scanned else "lookup",
                walker.pass_id if scanned else None, guard.get(checkpoint), None, "", "", at,
            ))
        return rows


def generate_entries(seed: int, walkers: Sequence[Walker], where: Checkpoints, *,
                     start: datetime, end: datetime, **options) -> Iterator[list[tuple]]:
    """Yield each day's rows of :class:`EntryPlan` in order (options as EntryPlan's)."""
    plan = EntryPlan(seed, walkers, where, start=start, end=end, **options)
    for midnight in plan.midnights():
        yield plan.day(midnight)


def copy_text(rows: Iterable[tuple]) -> bytes:
    """Rows as PostgreSQL ``COPY … FROM STDIN`` text (tab-separated, ``\\N`` for NULL). The
    generated values hold no tab, newline or backslash, so nothing needs escaping."""
    def text(value) -> str:
        if value is None:
            return "\\N"
        if value is True or value is False:
            return "t" if value else "f"
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    return "".join("\t".join(map(text, row)) + "\n" for row in rows).encode()


class Passages:
    """Generated rows indexed by site and by person, to find who met whom (a brute-force
    reference for close contacts, and how the demo picks a case with a readable contact
    list)."""

    def __init__(self, rows: Sequence[tuple]):
        self.by_site: dict[int, tuple[list[datetime], list[int]]] = {}
        self.by_person: dict[int, list[tuple]] = {}
        for row in sorted(rows, key=lambda r: r[AT]):
            times, people = self.by_site.setdefault(row[SITE], ([], []))
            times.append(row[AT])
            people.append(row[PERSON])
            self.by_person.setdefault(row[PERSON], []).append(row)

    def first_degree(self, person: int, window: timedelta) -> set[int]:
        """Everyone else through the same site within ``window`` of any of ``person``'s
        entries."""
        met = set()
        for row in self.by_person.get(person, ()):
            times, people = self.by_site[row[SITE]]
            met.update(people[bisect_left(times, row[AT] - window):
                              bisect_right(times, row[AT] + window)])
        met.discard(person)
        return met
