"""Duties: creating them, laying out each day's windows, marking a window done when a record
fulfils it, finding the windows that passed without one, and counting compliance.

Other apps call :func:`mark_done` from their own services when they store a record that
fulfils a duty (an inspection, a disinfection, a patrol); they have authorized the record.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.scoping import subtree_q
from shoumen.core.services import service
from shoumen.geo.models import PATH_SEGMENT

from .models import Duty, Window, WindowState
from .schedules import Frequency, parse_windows, windows_on

LAYOUT_BATCH = 5000


@service
def create_duty(*, actor, jurisdiction, title: str, kind: str, frequency: str, starts_on: date,
                windows=(), interval_days: int = 1, ends_on: date | None = None, subject=None,
                place=None, owner=None, leader=None) -> Duty:
    """A new duty, with today's windows that have not ended yet laid out at once.

    ValidationError (by field) for a schedule that cannot work; NotAllowed unless the actor
    manages duties at ``jurisdiction``."""
    authz.authorize(actor, Duty, "duties.manage",
                    _("Your role does not include setting duties. Ask your administrator."))
    authz.authorize(actor, jurisdiction, "duties.manage",
                    _("You may not set duties in %(node)s.") % {"node": jurisdiction},
                    field="jurisdiction")
    errors = {}
    if frequency not in Frequency.values:
        errors["frequency"] = _("Choose how often: windows, daily, weekly or every few days.")
    elif frequency == Frequency.WINDOWS:
        try:
            windows = [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in parse_windows(windows)]
        except ValidationError as exc:
            errors["windows"] = exc.messages
    else:
        windows = []
    if frequency == Frequency.EVERY_K_DAYS and not 1 <= int(interval_days or 0) <= 366:
        errors["interval_days"] = _("Give the number of days between records, 1 to 366.")
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The duty ends before it starts; the end date is on or after %(d)s.") % {
            "d": starts_on.isoformat()}
    if not (title or "").strip():
        errors["title"] = _("Give the duty a title, e.g. “Lobby disinfection, 3 a day”.")
    for name, user in (("owner", owner), ("leader", leader)):
        # They receive its alerts: only someone who sees duties where it is.
        if user is not None and not (user.is_active and authz.allows(user, jurisdiction,
                                                                     "duties.view")):
            errors[name] = _("%(user)s does not work on duties in %(node)s; choose someone who "
                             "does.") % {"user": user, "node": jurisdiction}
    if errors:
        raise ValidationError(errors)
    duty = Duty.objects.create(
        jurisdiction=jurisdiction, title=title.strip(), kind=kind, frequency=frequency,
        windows=windows, interval_days=interval_days or 1, starts_on=starts_on, ends_on=ends_on,
        subject=subject, place=place, owner=owner, leader=leader)
    today = timezone.localdate()
    for day in (today, today + timedelta(days=1)):  # tomorrow's too, before the morning run
        lay_out(day, duties=[duty])
    return duty


@service
def renew_duty(duty: Duty, *, actor, starts_on: date, ends_on: date | None) -> Duty:
    """Give a duty a new period (an enterprise's second on-site review), with its windows
    from today laid out at once; the windows of its earlier period stay as they were."""
    authz.authorize(actor, duty, "duties.manage",
                    _("You may not change this duty. Ask who set it up."))
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The duty ends before it starts; the end date is on "
                                            "or after %(d)s.") % {"d": starts_on.isoformat()}})
    duty.starts_on, duty.ends_on, duty.active = starts_on, ends_on, True
    duty.save(update_fields=["starts_on", "ends_on", "active"])
    today = timezone.localdate()
    for day in (today, today + timedelta(days=1)):
        lay_out(day, duties=[duty])
    return duty


@service
def end_duty(duty: Duty, *, actor, last_day: date) -> Duty:
    """Stop a duty after ``last_day`` (an enterprise moved to another class's supervision, or
    suspended): its windows after that day that nobody fulfilled are removed, the rest stay
    as they were."""
    authz.authorize(actor, duty, "duties.manage",
                    _("You may not change this duty. Ask who set it up."))
    duty.ends_on = max(last_day, duty.starts_on)
    duty.active = False
    duty.save(update_fields=["ends_on", "active"])
    Window.objects.filter(duty=duty, day__gt=duty.ends_on, state=WindowState.DUE).delete()
    return duty


def period_end(starts_on: date, *, frequency: str, interval_days: int = 1) -> date:
    """The last day of a schedule's first window from ``starts_on`` (one day for windows or a
    daily schedule, a week for weekly, k days for every k days): a one-off duty's end."""
    length = {Frequency.WEEKLY: 7, Frequency.EVERY_K_DAYS: max(int(interval_days or 1), 1)}
    return starts_on + timedelta(days=length.get(frequency, 1) - 1)


def lay_out(day: date, *, duties=None) -> int:
    """Write the windows of ``day`` for ``duties`` (default: every active duty whose period
    covers the day); windows already there are kept as they are. Returns how many it offered.
    Windows that ended before their duty was set up are left out, whoever lays the day out
    again (a duty set up at noon is never missed for 08:00–10:00)."""
    if duties is None:
        duties = (Duty.objects.filter(active=True, starts_on__lte=day)
                  .filter(Q(ends_on=None) | Q(ends_on__gte=day))
                  .only("pk", "jurisdiction_id", "frequency", "windows", "interval_days",
                        "starts_on", "ends_on", "created_at").iterator(chunk_size=LAYOUT_BATCH))
    batch, offered = [], 0
    for duty in duties:
        for start, end in windows_on(day, frequency=duty.frequency, windows=duty.windows,
                                     interval_days=duty.interval_days, starts_on=duty.starts_on,
                                     ends_on=duty.ends_on):
            if end <= duty.created_at:
                continue
            batch.append(Window(duty_id=duty.pk, jurisdiction_id=duty.jurisdiction_id, day=day,
                                starts_at=start, ends_at=end))
        if len(batch) >= LAYOUT_BATCH:
            offered += _insert(batch)
            batch = []
    return offered + _insert(batch)


def _insert(windows: list[Window]) -> int:
    Window.objects.bulk_create(windows, batch_size=LAYOUT_BATCH, ignore_conflicts=True)
    return len(windows)


def mark_done(duty: Duty, *, at, record, recorded_at=None) -> Window | None:
    """The window ``record`` (done at ``at``) fulfils, marked: ``done`` when it was recorded
    before the window ended, ``late`` after (a record between two windows counts, late, for
    the one before). The first record of a window counts; later ones change nothing. None if
    no window of the duty has started by ``at`` (outside its period). Call it inside the
    transaction that stores the record."""
    recorded_at = recorded_at or timezone.now()
    with transaction.atomic():
        window = _window_at(duty, at)
        day = timezone.localdate(at)
        if window is None or window.day < day:
            # The days up to the record were not laid out (the morning task did not run, or
            # the record is for an earlier day): lay them out before choosing the window.
            for back in (1, 0):
                lay_out(day - timedelta(days=back), duties=[duty])
            window = _window_at(duty, at)
        if window is None:
            return None
        if at >= window.ends_at and duty.ends_on is not None and day > duty.ends_on:
            return None  # after the duty's period: nothing left to fulfil
        if window.state in (WindowState.DONE, WindowState.LATE):
            return window
        window.state = WindowState.DONE if recorded_at < window.ends_at else WindowState.LATE
        window.done_at = at
        window.record = record
        window.save(update_fields=["state", "done_at", "record_type", "record_id"])
        return window


def _window_at(duty: Duty, at) -> Window | None:
    return (Window.objects.select_for_update().filter(duty=duty, starts_at__lte=at)
            .order_by("-starts_at").first())


def sweep(now=None) -> list[int]:
    """Mark every window that ended without a record as missed and return their ids: the
    alerts. One UPDATE moves each such window once, so two sweeps at the same time (or the
    same sweep run twice) raise each alert exactly once."""
    now = now or timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    table = Window._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, missed_at = %s "  # noqa: S608 - our own table name
            f"WHERE state = %s AND ends_at <= %s RETURNING id",
            [WindowState.MISSED, at, WindowState.DUE, at])
        return sorted(row[0] for row in cursor.fetchall())


def counts(windows, now=None) -> dict:
    """Due / done / late / missed / still open among ``windows`` (a Window queryset), and the
    rate of those due that were done (on time or late). A window past its end without a record
    counts as missed before the sweep has run."""
    now = now or timezone.now()
    passed = Q(state=WindowState.DUE, ends_at__lte=now)
    result = windows.order_by().aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(state=WindowState.DONE)),
        late=Count("pk", filter=Q(state=WindowState.LATE)),
        missed=Count("pk", filter=Q(state=WindowState.MISSED) | passed),
        open=Count("pk", filter=Q(state=WindowState.DUE, ends_at__gt=now)),
    )
    result["due"] = result["done"] + result["late"] + result["missed"]
    done = result["done"] + result["late"]
    result["rate"] = round(100 * done / result["due"], 1) if result["due"] else None
    return result


def counts_by_child(windows, parent, now=None) -> list[tuple]:
    """:func:`counts` for each child of the jurisdiction ``parent`` (its subtree's windows
    grouped by the child they lie under) in one query: which community lags."""
    now = now or timezone.now()
    passed = Q(state=WindowState.DUE, ends_at__lte=now)
    width = len(parent.path) + PATH_SEGMENT
    rows = (windows.filter(subtree_q(parent.path, "jurisdiction__")).order_by()
            .annotate(child=Substr("jurisdiction__path", 1, width)).values("child").annotate(
                done=Count("pk", filter=Q(state=WindowState.DONE)),
                late=Count("pk", filter=Q(state=WindowState.LATE)),
                missed=Count("pk", filter=Q(state=WindowState.MISSED) | passed),
                open=Count("pk", filter=Q(state=WindowState.DUE, ends_at__gt=now))))
    by_path = {row["child"]: row for row in rows}
    result = []
    for child in parent.children.order_by("path"):
        row = by_path.get(child.path, {"done": 0, "late": 0, "missed": 0, "open": 0})
        due = row["done"] + row["late"] + row["missed"]
        rate = round(100 * (row["done"] + row["late"]) / due, 1) if due else None
        result.append((child, {**row, "due": due, "rate": rate}))
    return result


def counts_by_day(windows, now=None) -> dict[date, dict]:
    """:func:`counts` per local day (a site's calendar heat map)."""
    now = now or timezone.now()
    passed = Q(state=WindowState.DUE, ends_at__lte=now)
    rows = (windows.order_by().values("day").annotate(
        done=Count("pk", filter=Q(state=WindowState.DONE)),
        late=Count("pk", filter=Q(state=WindowState.LATE)),
        missed=Count("pk", filter=Q(state=WindowState.MISSED) | passed)))
    return {row["day"]: {**row, "due": row["done"] + row["late"] + row["missed"]} for row in rows}


def missed_alerts(user):
    """Missed windows of the duties ``user`` owns or leads, newest first: their alerts."""
    return (Window.objects.filter(state=WindowState.MISSED, missed_at__isnull=False)
            .filter(Q(duty__owner=user) | Q(duty__leader=user))
            .select_related("duty").order_by("-ends_at"))


def missed_today_count(user) -> int:
    """Windows of the duties ``user`` owns or leads found missed since local midnight (the
    navigation's badge), whatever day they belong to."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return missed_alerts(user).filter(missed_at__gte=midnight).count()
