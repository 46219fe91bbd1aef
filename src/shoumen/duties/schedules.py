"""When a duty's windows fall: pure arithmetic on local dates and times (Asia/Shanghai).

A window is a half-open interval ``[start, end)`` of aware datetimes. It belongs to the local
day it starts on; a window whose end time of day is not after its start (22:00–02:00) ends
on the next day. A day is cut at local midnight, so a window never depends on UTC's date.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Frequency(models.TextChoices):
    WINDOWS = "windows", gettext_lazy("Several times a day, in set windows")
    DAILY = "daily", gettext_lazy("Daily")
    WEEKLY = "weekly", gettext_lazy("Weekly")
    EVERY_K_DAYS = "every_k_days", gettext_lazy("Every few days")


def local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def parse_windows(raw) -> list[tuple[time, time]]:
    """``[["08:00", "10:00"], ...]`` as (start, end) times; ValidationError saying which one is
    wrong and how to write it. Windows may not overlap (counting those that cross midnight)."""
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationError(_("Give at least one window, e.g. 08:00–10:00."), code="windows")
    parsed = []
    for number, pair in enumerate(raw, start=1):
        try:
            start, end = (time.fromisoformat(str(part)) for part in pair)
        except (TypeError, ValueError):
            raise ValidationError(_("Window %(n)s is not two times like 08:00 and 10:00.")
                                  % {"n": number}, code="windows") from None
        if start == end:
            raise ValidationError(_("Window %(n)s starts and ends at %(at)s; give it a length.")
                                  % {"n": number, "at": start.strftime("%H:%M")}, code="windows")
        parsed.append((start, end))
    spans = sorted(_minutes(start, end) for start, end in parsed)
    spans += [(s + 1440, e + 1440) for s, e in spans]  # the next day, for windows past midnight
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise ValidationError(_("Two windows overlap; a record must belong to one window."),
                                  code="windows")
    return sorted(parsed)


def _minutes(start: time, end: time) -> tuple[int, int]:
    s = start.hour * 60 + start.minute
    e = end.hour * 60 + end.minute
    return s, e if e > s else e + 1440


def windows_on(day: date, *, frequency: str, windows=(), interval_days: int = 1,
               starts_on: date, ends_on: date | None = None) -> list[tuple[datetime, datetime]]:
    """The windows of a duty that start on ``day`` (none outside its period)."""
    if day < starts_on or (ends_on is not None and day > ends_on):
        return []
    if frequency == Frequency.WINDOWS:
        result = []
        for start, end in parse_windows(windows):
            end_day = day if end > start else day + timedelta(days=1)
            result.append((local(day, start), local(end_day, end)))
        return result
    length = {Frequency.DAILY: 1, Frequency.WEEKLY: 7}.get(frequency, max(int(interval_days), 1))
    if (day - starts_on).days % length:
        return []
    last = day + timedelta(days=length)
    if ends_on is not None:
        last = min(last, ends_on + timedelta(days=1))
    return [(local(day, time.min), local(last, time.min))]
