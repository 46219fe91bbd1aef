"""A year of windows as a calendar heat map (``duties/_heatmap.html`` draws it with ECharts):
each day's rate of windows done, with its counts."""

from django.utils.translation import gettext as _

from .services import counts_by_day


def year_days(windows, year: int) -> list[list]:
    """``[[day, rate, due, done, late, missed], ...]`` for each day of ``year`` among
    ``windows`` (a site's, a duty's) that had any. ``rate`` is the percent done (on time or
    late) of those due, -1 for a day with nothing due yet."""
    rows = []
    for day, c in sorted(counts_by_day(windows.filter(day__year=year)).items()):
        rate = round(100 * (c["done"] + c["late"]) / c["due"]) if c["due"] else -1
        rows.append([day.isoformat(), rate, c["due"], c["done"], c["late"], c["missed"]])
    return rows


def heatmap(windows, year: int) -> dict:
    """The template's ``heatmap``: the year, its days and the chart's words."""
    return {"year": year, "days": year_days(windows, year), "labels": {
        "due": _("Due"), "done": _("Done"), "late": _("Done late"), "missed": _("Missed"),
        "none": _("Nothing due"),
        "days": [_("Sun"), _("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat")],
        "months": [_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"), _("Jul"),
                   _("Aug"), _("Sep"), _("Oct"), _("Nov"), _("Dec")]}}
