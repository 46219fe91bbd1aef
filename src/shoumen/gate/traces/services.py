"""A person's movement trace (流动痕迹): every entry across all checkpoints, the closed loop.

The trace is the person's own record, so it shows every entry whatever checkpoint took it,
also those outside the viewer's jurisdiction; whether the viewer may trace the person at all
is decided by the caller (``Person.objects.visible_to(user, "gate.trace")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.people.models import Person

from ..entries.models import Entry

# A trace shows at most this many entries (the newest); a resident passing a gate four times
# a day for the whole retention period has about a hundred.
TRACE_LIMIT = 2000


@dataclass(slots=True)
class TraceEntry:
    """One entry and its other half: the next entry of the opposite direction at the same
    site (out of the community gate → back in; into a tower → out again)."""

    entry: Entry
    partner: Entry | None = None
    partner_is_later: bool = False

    @property
    def seconds_between(self) -> float | None:
        if self.partner is None:
            return None
        return abs((self.partner.at - self.entry.at).total_seconds())

    @property
    def minutes_between(self) -> int | None:
        seconds = self.seconds_between
        return None if seconds is None else round(seconds / 60)

    @property
    def partner_same_day(self) -> bool:
        return self.partner is not None and (timezone.localtime(self.partner.at).date()
                                             == timezone.localtime(self.entry.at).date())

    @property
    def time_between(self) -> str:
        """How long between the two halves, as the trace shows it ("2 h 5 min", "40 min")."""
        seconds = self.seconds_between
        if seconds is None:
            return ""
        if seconds < 60:
            return _("under a minute")
        hours, minutes = divmod(self.minutes_between, 60)
        if not hours:
            return _("%(m)s min") % {"m": minutes}
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}


@dataclass
class TraceDay:
    day: date
    entries: list[TraceEntry]  # newest first


@dataclass
class Trace:
    person: Person
    since: datetime
    until: datetime
    entries: list[TraceEntry]  # newest first
    truncated: bool
    days: list[TraceDay] = field(default_factory=list)  # newest first

    @property
    def last(self) -> TraceEntry | None:
        return self.entries[0] if self.entries else None

    @property
    def open_count(self) -> int:
        """Entries without their other half (a pass out with no return, say)."""
        return sum(1 for t in self.entries if t.partner is None)


def person_trace(person: Person, *, until: datetime | None = None) -> Trace:
    """Every entry of ``person`` in the retention period up to ``until`` (default now),
    paired in/out per site and grouped by local day, newest first. Two queries at most."""
    until = until or timezone.now()
    since = until - timedelta(days=settings.RETENTION_DAYS)
    rows = list(Entry.objects.filter(person=person, at__gte=since, at__lte=until)
                .select_related("checkpoint__place__jurisdiction", "checkpoint__place__building")
                .order_by("-at", "-id")[:TRACE_LIMIT + 1])
    truncated = len(rows) > TRACE_LIMIT
    rows = rows[:TRACE_LIMIT]
    items = [TraceEntry(entry) for entry in reversed(rows)]
    waiting: dict[int, TraceEntry] = {}  # per site, the last entry still without its half
    for item in items:
        entry = item.entry
        other = waiting.get(entry.site_id)
        if other is not None and other.entry.direction != entry.direction:
            other.partner, other.partner_is_later = entry, True
            item.partner = other.entry
            del waiting[entry.site_id]
        else:
            waiting[entry.site_id] = item
    items.reverse()
    trace = Trace(person=person, since=since, until=until, entries=items, truncated=truncated)
    tz = timezone.get_current_timezone()
    trace.days = [TraceDay(day, list(group)) for day, group in
                  groupby(items, key=lambda t: timezone.localtime(t.entry.at, tz).date())]
    return trace
