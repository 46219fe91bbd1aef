"""Close contacts (密切接触者): who passed the same site as a case, close in time.

What counts, exactly (the tests check these against a brute-force computation):

* **Period.** Only entries with ``until - days <= at <= until`` count, on both sides of an
  exposure (both ends inclusive). ``days`` is 1 to ``settings.RETENTION_DAYS`` (default
  ``settings.CONTACT_PERIOD_DAYS``); ``until`` defaults to now.
* **Co-located.** Two entries are co-located when they share ``site_id`` (every lobby of a
  building shares the building's id; any other checkpoint is its own site) and their times are
  at most ``window`` minutes apart, both edges inclusive (``|Δt| <= window``; one microsecond
  more is outside). ``window`` is 5 to 120 minutes (default
  ``settings.CONTACT_WINDOW_MINUTES``).
* **First degree.** Everyone but the case with an entry co-located with one of the case's
  entries. Each such pair (their entry, the case's entry) is one *exposure*.
* **Second degree.** Everyone but the case and the first-degree people with an entry
  co-located with any entry of a first-degree person in the period (not only the entries that
  met the case). The exposure links to that first-degree person (*via*).
* **Caps.** A station at rush hour must not stall the page: at most ``FIRST_DEGREE_LIMIT``
  first-degree and ``SECOND_DEGREE_LIMIT`` second-degree exposures are read. When a limit is
  reached the result says so (``truncated_first`` / ``truncated_second``) and the pages show
  it; the people found are still correct contacts, but there may be more.

The search is one SQL statement (:func:`contacts_sql`) that runs on PostgreSQL and SQLite:
the case's entries, each joined to entries at the same site within the window through the
``(site_id, at)`` index; then the first-degree people's entries, joined the same way. The
Python around it groups the rows and loads names and checkpoints in two more queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import audit, authz
from shoumen.core.models import AuditAction
from shoumen.core.services import service
from shoumen.people.models import Person, PersonStatus
from shoumen.people.services import change_status

from ..entries.models import Entry
from . import contact_cards
from .contact_cards import CheckpointCard, PersonCard

WINDOW_RANGE = (5, 120)  # minutes
FIRST_DEGREE_LIMIT = 10_000  # exposures read at most, per degree
SECOND_DEGREE_LIMIT = 10_000


# Statuses home observation would loosen: such contacts keep theirs.
STRICTER_THAN_HOME = frozenset({PersonStatus.CENTRAL_ISOLATION, PersonStatus.HOSPITALISED,
                                PersonStatus.CONFIRMED})


@dataclass(frozen=True)
class ContactParams:
    """A validated search: the window, the period ``[since, until]`` and the degrees wanted."""

    window_minutes: int
    days: int
    degree: int
    until: datetime

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    @property
    def since(self) -> datetime:
        return self.until - timedelta(days=self.days)


def _int(value, default: int, name: str, errors: dict, message: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[name] = [message]
        return default
    return number


def contact_params(*, window=None, days=None, degree=None, until=None) -> ContactParams:
    """Check a search's parameters (strings from a form or query string are fine); missing
    ones take the defaults. Raises ValidationError by field, saying what is allowed."""
    low, high = WINDOW_RANGE
    retention = settings.RETENTION_DAYS
    errors: dict = {}
    window_message = _("The window is a whole number of minutes from %(low)s to %(high)s.") % {
        "low": low, "high": high}
    days_message = _("The period is a whole number of days from 1 to %(max)s (entries are kept "
                     "%(max)s days).") % {"max": retention}
    degree_message = _("Choose degree 1 (direct contacts) or 2 (also their contacts).")
    window = _int(window, settings.CONTACT_WINDOW_MINUTES, "window", errors, window_message)
    days = _int(days, min(settings.CONTACT_PERIOD_DAYS, retention), "days", errors, days_message)
    degree = _int(degree, 2, "degree", errors, degree_message)
    if "window" not in errors and not low <= window <= high:
        errors["window"] = [window_message]
    if "days" not in errors and not 1 <= days <= retention:
        errors["days"] = [days_message]
    if "degree" not in errors and degree not in (1, 2):
        errors["degree"] = [degree_message]
    now = timezone.now()
    if until in (None, ""):
        until = now
    elif not isinstance(until, datetime):
        errors["until"] = [_("Give the end of the period as a date and time, e.g. "
                             "2020-02-14T18:00+08:00.")]
    elif timezone.is_naive(until):
        until = timezone.make_aware(until)
    if errors:
        raise ValidationError(errors)
    return ContactParams(window_minutes=window, days=days, degree=degree, until=min(until, now))


# Columns of every row contacts_sql returns, in order.
ROW_COLUMNS = ("degree", "person_id", "entry_id", "at", "checkpoint_id", "site_id",
               "linked_entry_id", "linked_at", "linked_checkpoint_id", "linked_person_id")


def contacts_sql(case_id: int, params: ContactParams, *, using: str = "default",
                 first_limit: int = FIRST_DEGREE_LIMIT,
                 second_limit: int = SECOND_DEGREE_LIMIT) -> tuple[str, dict]:
    """The close-contact search as one SQL statement and its parameters, for the database
    ``using`` (PostgreSQL or SQLite), so that a benchmark can time exactly what
    :func:`find_contacts` runs.

    Rows (columns :data:`ROW_COLUMNS`): degree 0 for each of the case's entries in the period
    (linked columns NULL), degree 1 and 2 for each exposure: the contact's entry and the
    entry it is co-located with (the case's for degree 1, a first-degree person's for 2).
    Times come as epoch seconds on PostgreSQL, as stored text on SQLite.
    """
    connection = connections[using]
    table = connection.ops.quote_name(Entry._meta.db_table)

    def shifted(column: str, connector: str) -> str:
        expression = connection.ops.combine_duration_expression(connector, [column, "%(window)s"])
        return f"({expression})"

    def near(alias: str, other: str) -> str:
        """``alias``'s entry at ``other``'s site, within the window of it and in the period."""
        at, other_at = f'{alias}."at"', f'{other}."at"'
        return (f"{alias}.site_id = {other}.site_id"
                f" AND {at} >= {shifted(other_at, '-')} AND {at} <= {shifted(other_at, '+')}"
                f" AND {at} >= %(since)s AND {at} <= %(until)s")

    def time_of(column: str) -> str:
        """PostgreSQL sends times as epoch seconds: a float reads several times faster than
        a timestamp's text (thousands per search). SQLite's are text anyway."""
        if connection.vendor == "postgresql":
            return f"EXTRACT(EPOCH FROM {column})::float8"
        return column

    columns = ('{a}.person_id, {a}.id AS entry_id, ' + time_of('{a}."at"') + ' AS "at", '
               '{a}.checkpoint_id, {a}.site_id, {b}.id AS linked_entry_id, '
               + time_of('{b}."at"') + ' AS linked_at, '
               '{b}.checkpoint_id AS linked_checkpoint_id, {b}.person_id AS linked_person_id')
    sql = f"""
WITH case_entries AS (
    SELECT id, person_id, site_id, "at", checkpoint_id FROM {table}
    WHERE person_id = %(case)s AND "at" >= %(since)s AND "at" <= %(until)s
),
first_links AS (
    SELECT 1 AS degree, {columns.format(a="e", b="c")}
    FROM case_entries c JOIN {table} e ON {near("e", "c")}
    WHERE e.person_id <> %(case)s
    LIMIT %(first_limit)s
)"""
    if params.degree >= 2:
        sql += f""",
first_people AS (SELECT DISTINCT person_id FROM first_links),
first_entries AS (
    SELECT f.id, f.person_id, f.site_id, f."at", f.checkpoint_id FROM {table} f
    WHERE f.person_id IN (SELECT person_id FROM first_people)
      AND f."at" >= %(since)s AND f."at" <= %(until)s
),
second_links AS (
    SELECT 2 AS degree, {columns.format(a="s", b="f")}
    FROM first_entries f JOIN {table} s ON {near("s", "f")}
    WHERE s.person_id <> %(case)s AND s.person_id NOT IN (SELECT person_id FROM first_people)
    LIMIT %(second_limit)s
)"""
    sql += "\nSELECT * FROM first_links"
    if params.degree >= 2:
        sql += "\nUNION ALL SELECT * FROM second_links"
    sql += ("\nUNION ALL SELECT 0, person_id, id, " + time_of('"at"') + ", checkpoint_id, site_id, "
            "NULL, NULL, NULL, NULL FROM case_entries")
    at_field = Entry._meta.get_field("at")
    values = {
        "case": case_id,
        "since": at_field.get_db_prep_value(params.since, connection),
        "until": at_field.get_db_prep_value(params.until, connection),
        # An interval on PostgreSQL, microseconds on SQLite: as Django stores a duration.
        "window": models.DurationField().get_db_prep_value(params.window, connection),
        "first_limit": first_limit,
        "second_limit": second_limit,
    }
    return sql, values


@dataclass(slots=True)
class Exposure:
    """A contact's entry co-located with a linked entry (the case's, or for the second
    degree a first-degree person's). Times are kept as epoch seconds (``at_s``,
    ``linked_at_s``) and become datetimes when read: a search makes tens of thousands of
    these and shows few."""

    entry_id: int
    at_s: float
    checkpoint_id: int
    site_id: int
    linked_entry_id: int
    linked_at_s: float
    linked_checkpoint_id: int
    linked_person_id: int
    checkpoint: CheckpointCard | None = None
    linked_checkpoint: CheckpointCard | None = None
    linked_person: Person | PersonCard | None = None

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.at_s, UTC)

    @property
    def linked_at(self) -> datetime | None:
        return None if self.linked_at_s is None else datetime.fromtimestamp(self.linked_at_s, UTC)

    @property
    def minutes_apart(self) -> float:
        """Signed: positive when the contact came after the linked entry."""
        return round((self.at_s - self.linked_at_s) / 60, 1)

    @property
    def site_name(self) -> str:
        return self.checkpoint.site_name if self.checkpoint else ""


@dataclass
class Contact:
    """A person found by the search, with the result rows that link them (``rows``, columns
    :data:`ROW_COLUMNS`). Their :class:`Exposure` objects are made when first read: a search
    can return ten thousand exposures, and a page shows those of fifty contacts."""

    person: PersonCard
    degree: int
    rows: list[tuple] = field(default_factory=list, repr=False)
    via: list[PersonCard] = field(default_factory=list)  # second degree: the linking contacts
    in_scope: bool = False  # the user may change their status (set by mark_scope)
    make_exposure: Callable[[tuple], Exposure] | None = field(default=None, repr=False)
    _exposures: list[Exposure] | None = field(default=None, repr=False)

    @property
    def exposures(self) -> list[Exposure]:
        """Every exposure, in time order."""
        if self._exposures is None:
            self._exposures = sorted(map(self.make_exposure, self.rows), key=_exposure_order)
        return self._exposures

    @property
    def exposure_count(self) -> int:
        return len(self.rows)

    @property
    def first_exposure(self) -> Exposure:
        return self.exposures[0]

    @property
    def first_at_s(self) -> float:
        return min(map(_AT, self.rows))


@dataclass
class ContactResult:
    case: Person
    params: ContactParams
    case_entries: list[Exposure]  # the case's own entries in the period (linked fields unused)
    contacts: list[Contact]
    truncated_first: bool
    truncated_second: bool

    @property
    def truncated(self) -> bool:
        return self.truncated_first or self.truncated_second

    def of_degree(self, degree: int) -> list[Contact]:
        return [c for c in self.contacts if c.degree == degree]

    @property
    def counts(self) -> dict:
        first = sum(1 for c in self.contacts if c.degree == 1)
        in_scope = sum(1 for c in self.contacts if c.in_scope)
        return {"first": first, "second": len(self.contacts) - first,
                "in_scope": in_scope, "outside_scope": len(self.contacts) - in_scope,
                "exposures": sum(c.exposure_count for c in self.contacts),
                "case_entries": len(self.case_entries)}


def find_contacts(case: Person, params: ContactParams, *, using: str = "default",
                  first_limit: int = FIRST_DEGREE_LIMIT,
                  second_limit: int = SECOND_DEGREE_LIMIT) -> ContactResult:
    """The case's close contacts under ``params`` (see the module's definitions): each with
    their exposures in time order, contacts sorted by degree and first exposure. Reads only
    (three queries: the search, then the people and the checkpoints it names, as
    :mod:`.contact_cards`); the caller has checked that the user may trace ``case``."""
    sql, values = contacts_sql(case.pk, params, using=using, first_limit=first_limit,
                               second_limit=second_limit)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    if connections[using].vendor != "postgresql":  # PostgreSQL sends epoch seconds already
        rows = [(*r[:3], _epoch(r[3]), *r[4:7], None if r[7] is None else _epoch(r[7]), *r[8:])
                for r in rows]
    own, by_person = [], {}
    for row in rows:
        if row[0] == 0:
            own.append(row)
        elif (found := by_person.get(row[1])) is None:
            by_person[row[1]] = [row]
        else:
            found.append(row)
    links = [sum(len(r) for r in by_person.values() if r[0][0] == degree) for degree in (0, 1, 2)]
    people = contact_cards.people(by_person.keys(), using=using)
    sites = contact_cards.checkpoints({r[4] for r in rows} | {r[8] for r in rows if r[0]},
                                      using=using)

    def make_exposure(row) -> Exposure:
        (degree, _person, entry_id, at, checkpoint_id, site_id, linked_entry_id, linked_at,
         linked_checkpoint_id, linked_person_id) = row
        return Exposure(entry_id, at, checkpoint_id, site_id, linked_entry_id, linked_at,
                        linked_checkpoint_id, linked_person_id, sites[checkpoint_id],
                        sites.get(linked_checkpoint_id),
                        case if degree == 1 else people[linked_person_id] if degree == 2 else None)

    contacts = [Contact(person=people[person_id], degree=found[0][0], rows=found,
                        via=([people[i] for i in sorted({r[9] for r in found})]
                             if found[0][0] == 2 else []),
                        make_exposure=make_exposure)
                for person_id, found in by_person.items()]
    contacts.sort(key=lambda c: (c.degree, c.first_at_s, c.person.pk))
    case_entries = sorted(map(make_exposure, own), key=lambda e: (e.at_s, e.entry_id))
    return ContactResult(case=case, params=params, case_entries=case_entries, contacts=contacts,
                         truncated_first=links[1] >= first_limit,
                         truncated_second=params.degree >= 2 and links[2] >= second_limit)


_AT = itemgetter(ROW_COLUMNS.index("at"))


def _exposure_order(e: Exposure):
    return e.at_s, e.linked_at_s, e.entry_id, e.linked_entry_id


def _epoch(value) -> float:
    """A time as :func:`contacts_sql` returns it on SQLite (text, or a naive datetime, in UTC
    as Django stores them) in epoch seconds, as PostgreSQL returns it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def mark_scope(result: ContactResult, user) -> ContactResult:
    """Set each contact's ``in_scope``: whether ``user`` may change their status
    (``people.status`` in their jurisdiction). One query."""
    ids = [c.person.pk for c in result.contacts]
    allowed = set(Person.objects.visible_to(user, "people.status").filter(pk__in=ids)
                  .values_list("pk", flat=True)) if ids else set()
    for contact in result.contacts:
        contact.in_scope = contact.person.pk in allowed
    return result


@dataclass
class ObservationPlan:
    """What putting a result's contacts under home observation would do, by person."""

    to_change: list[Contact] = field(default_factory=list)
    already: list[Contact] = field(default_factory=list)  # already under home observation
    stricter: list[Contact] = field(default_factory=list)  # isolated, hospitalised, a case
    outside: list[Contact] = field(default_factory=list)  # not the user's: notify them

    @property
    def counts(self) -> dict:
        return {"changed": len(self.to_change), "already": len(self.already),
                "stricter": len(self.stricter), "outside_scope": len(self.outside)}


def plan_observation(result: ContactResult, *, only=None) -> ObservationPlan:
    """Sort a scope-marked result's contacts by what home observation would do to them.
    With ``only`` (person ids: those the user confirmed), nobody else is to be changed; the
    other groups still list every contact, so that the user learns whom to tell."""
    plan = ObservationPlan()
    wanted = None if only is None else {int(i) for i in only}
    for contact in result.contacts:
        status = contact.person.status
        if not contact.in_scope:
            plan.outside.append(contact)
        elif status == PersonStatus.HOME_OBSERVATION:
            plan.already.append(contact)
        elif status in STRICTER_THAN_HOME:
            plan.stricter.append(contact)
        elif wanted is None or contact.person.pk in wanted:
            plan.to_change.append(contact)
    return plan


def observation_reason(case: Person, degree: int) -> str:
    return _("Close contact (degree %(degree)s) of %(case)s, found from gate entries") % {
        "degree": degree, "case": case.name}


NO_STATUS_RIGHT = gettext_lazy(
    "Changing people's status needs the “people.status” permission (community and grid "
    "workers). Export the list and send it to the communities concerned instead.")


@service
def observe_contacts(case: Person, params: ContactParams, *, actor, only=None) -> ObservationPlan:
    """Put the case's close contacts under home observation in one action.

    Recomputes the contacts under ``params`` (if ``only`` is given, changes none but those
    person ids: the people the user confirmed), then, in one transaction, moves each contact
    whose status ``actor`` may change (``people.status``) and who is not already under home
    observation or a stricter status to home observation through
    :func:`shoumen.people.services.change_status` (their history and audit rows), and writes one
    summary audit row on the case. People outside the actor's jurisdiction are not changed;
    they are returned so that their communities can be told. Raises NotAllowed if the
    actor may change nobody's status anywhere.
    """
    authz.authorize(actor, Person, "people.status", NO_STATUS_RIGHT)
    result = mark_scope(find_contacts(case, params), actor)
    plan = plan_observation(result, only=only)
    for contact in plan.to_change:
        change_status(Person(pk=contact.person.pk), actor=actor, status=PersonStatus.HOME_OBSERVATION,
                      reason=observation_reason(case, contact.degree))
        contact.person.status = PersonStatus.HOME_OBSERVATION
    audit.record(
        AuditAction.ACTION, case,
        note=("home observation of close contacts: {changed} changed, {already} already, "
              "{stricter} kept a stricter status, {outside_scope} outside the jurisdiction"
              .format(**plan.counts)),
        after={"window_minutes": params.window_minutes, "days": params.days,
               "degree": params.degree, "until": params.until.isoformat(),
               "changed": [c.person.pk for c in plan.to_change],
               "already": [c.person.pk for c in plan.already],
               "stricter": [c.person.pk for c in plan.stricter],
               "outside_scope": [c.person.pk for c in plan.outside]})
    return plan
