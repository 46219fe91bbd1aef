"""What the duties benchmarks time, each beside its ceiling in the same run.

* compliance: the duties page of a subdistrict for a day as its commander asks for it
  (``/duties/?day=&node=``: the filtered windows' counts, each community's counts, the first
  page of windows), server time through Django's whole request stack; and the two services
  alone. Ceiling: the counts as one raw SQL aggregate.
* heatmap: a site's year (``duties.heatmaps.year_days``); ceiling: the same GROUP BY in SQL.
* sweep: the missed-window sweep over all duties when every window of a day has ended
  without a record (60,000 windows: the first sweep after an outage; a normal sweep finds
  the few hundred of one window's end); ceiling: the same rows selected by id in SQL.
* layout: the morning task's ``lay_out`` of one day for all 70,000 duties (50,000
  enterprises' daily inspections and the 20,000 sites' three windows): 110,000 rows;
  ceiling: the same rows inserted by one INSERT … SELECT computed in SQL.
"""

from __future__ import annotations

import gc
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.test import Client
from django.utils import timezone

from shoumen.accounts.models import RoleAssignment, User
from shoumen.core.benchmarks import Result, median, ms, percentile, timed
from shoumen.core.scoping import subtree_q
from shoumen.duties import services
from shoumen.duties.heatmaps import year_days
from shoumen.duties.models import Duty, Window

from . import world

COMPLIANCE_TARGET, HEATMAP_TARGET, SWEEP_TARGET, LAYOUT_TARGET = 0.200, 0.100, 5.0, 60.0


def _last_day():
    return Window.objects.filter(duty__kind=world.SITE_KIND).aggregate(d=Max("day"))["d"]


def _commander(subdistrict) -> User:
    user = User.objects.filter(username="bench-commander").first()
    if user is None:
        user = User.objects.create_user("bench-commander", password=None)
        RoleAssignment.objects.create(user=user, role="subdistrict_commander", node=subdistrict)
    return user


def compliance(district, *, repeat: int) -> list[Result]:
    subdistrict = district.children.order_by("path").first()
    day = _last_day() - timedelta(days=1)
    user = _commander(subdistrict)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    url = f"/duties/?day={day.isoformat()}&node={subdistrict.pk}"
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    windows = Window.objects.visible_to(user).filter(day=day).filter(
        subtree_q(subdistrict.path, "jurisdiction__"))
    counts = services.counts(windows)

    def service():
        services.counts(windows)
        services.counts_by_child(windows, subdistrict)

    upper = str(int(subdistrict.path) + 1).zfill(len(subdistrict.path))
    now = connection.ops.adapt_datetimefield_value(timezone.now())

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE w.state = 'done'), "
                "count(*) FILTER (WHERE w.state = 'late'), count(*) FILTER (WHERE w.state = "
                "'missed' OR (w.state = 'due' AND w.ends_at <= %s)) FROM duties_window w JOIN "
                "geo_node n ON n.id = w.jurisdiction_id WHERE w.day = %s AND n.path >= %s AND "
                "n.path < %s", [now, day, subdistrict.path, upper])
            cursor.fetchall()

    gc.freeze()
    page = timed(lambda: client.get(url), repeat)
    services_times = timed(service, repeat)
    raw_times = timed(raw, repeat)
    p95 = percentile(page, 95)
    name = (f"Duties page of a subdistrict for a day ({counts['total']:,} windows of "
            f"{world.COMMUNITIES} communities; {Window.objects.count():,} windows in all), "
            f"{repeat} runs")
    return [Result(
        name=name,
        figure=(f"page p50 {ms(median(page))}, p95 {ms(p95)}; services (counts + by community) "
                f"p50 {ms(median(services_times))}"),
        ceiling=f"the counts in raw SQL: p50 {ms(median(raw_times))}",
        ratio=median(page) / median(raw_times), target=f"p95 < {ms(COMPLIANCE_TARGET)} (page)",
        met=p95 < COMPLIANCE_TARGET)]


def heatmap(district, *, repeat: int) -> Result:
    duty = Duty.objects.filter(kind=world.SITE_KIND).order_by("pk")[world.SITES_PER_COMMUNITY * 7]
    last = _last_day()
    years = sorted({last.year, (last - timedelta(days=world.DAYS - 1)).year})
    windows = Window.objects.filter(duty_id=duty.pk)
    days = sum(len(year_days(windows, y)) for y in years)

    def service():
        for year in years:
            year_days(windows, year)

    def raw():
        with connection.cursor() as cursor:
            for year in years:
                cursor.execute(
                    "SELECT day, count(*) FILTER (WHERE state = 'done'), count(*) FILTER "
                    "(WHERE state = 'late'), count(*) FILTER (WHERE state = 'missed') FROM "
                    "duties_window WHERE duty_id = %s AND day BETWEEN %s AND %s GROUP BY day "
                    "ORDER BY day", [duty.pk, f"{year}-01-01", f"{year}-12-31"])
                cursor.fetchall()

    gc.freeze()
    figure, ceiling = timed(service, repeat), timed(raw, repeat)
    p95 = percentile(figure, 95)
    return Result(
        name=f"A site's year as a heat map ({days} days over {len(years)} calendar years), "
             f"{repeat} runs",
        figure=f"year_days p50 {ms(median(figure))}, p95 {ms(p95)}",
        ceiling=f"GROUP BY day in raw SQL: p50 {ms(median(ceiling))}",
        ratio=median(figure) / median(ceiling), target=f"p95 < {ms(HEATMAP_TARGET)}",
        met=p95 < HEATMAP_TARGET)


def sweep(district, *, repeat: int) -> Result:
    day = _last_day()
    after = timezone.make_aware(datetime.combine(day, time(20, 5)))
    target = Window.objects.filter(day=day, duty__kind=world.SITE_KIND)
    runs = max(3, min(repeat, 5))

    def reset():
        target.update(state="due", missed_at=None, done_at=None)

    times, ceilings, found = [], [], 0
    for _ in range(runs):
        reset()
        with transaction.atomic():
            started = timezone.now()
            found = len(services.sweep(after))
            times.append((timezone.now() - started).total_seconds())
        reset()
        with transaction.atomic(), connection.cursor() as cursor:
            started = timezone.now()
            cursor.execute("SELECT id FROM duties_window WHERE state = 'due' AND ends_at <= %s",
                           [connection.ops.adapt_datetimefield_value(after)])
            cursor.fetchall()
            ceilings.append((timezone.now() - started).total_seconds())
    reset()
    worst = max(times)
    return Result(
        name=f"Missed-window sweep over all duties, every window of a day ended unrecorded "
             f"({found:,} windows marked), {runs} runs",
        figure=f"sweep median {ms(median(times))}, worst {ms(worst)}",
        ceiling=f"selecting the same rows in SQL: median {ms(median(ceilings))}",
        ratio=median(times) / median(ceilings), target=f"< {SWEEP_TARGET:.0f} s",
        met=worst < SWEEP_TARGET)


def layout(district, *, repeat: int) -> Result:
    day = _last_day() + timedelta(days=30)  # a day nobody has laid out
    scratch = Window.objects.filter(day=day)
    runs = max(2, min(repeat, 3))
    times, ceilings, written = [], [], 0
    for _ in range(runs):
        scratch.delete()
        started = timezone.now()
        with transaction.atomic():
            services.lay_out(day)  # what the morning task runs: every active duty
        times.append((timezone.now() - started).total_seconds())
        written = scratch.count()
        scratch.delete()
        started = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO duties_window (duty_id, jurisdiction_id, day, starts_at, ends_at, state)
                SELECT d.id, d.jurisdiction_id, %(day)s, (%(day)s::timestamp + w.s) AT TIME ZONE
                       'Asia/Shanghai', (%(day)s::timestamp + w.e) AT TIME ZONE 'Asia/Shanghai',
                       'due'
                FROM duties_duty d
                JOIN (VALUES ('windows', interval '8 hours', interval '10 hours'),
                             ('windows', interval '13 hours', interval '15 hours'),
                             ('windows', interval '18 hours', interval '20 hours'),
                             ('daily', interval '0 hours', interval '24 hours'))
                     AS w(frequency, s, e) ON w.frequency = d.frequency
                WHERE d.kind IN (%(site)s, %(inspection)s)
                ON CONFLICT DO NOTHING""", {"day": day, "site": world.SITE_KIND,
                                            "inspection": world.INSPECTION_KIND})
        ceilings.append((timezone.now() - started).total_seconds())
    scratch.delete()
    worst = max(times)
    return Result(
        name=f"The morning layout of one day: {world.ENTERPRISES:,} enterprises' daily "
             f"inspections and {world.SUBDISTRICTS * world.COMMUNITIES * world.SITES_PER_COMMUNITY:,} "
             f"sites' three windows ({written:,} windows), {runs} runs",
        figure=f"lay_out median {median(times):.1f} s, worst {worst:.1f} s",
        ceiling=f"one INSERT … SELECT in SQL: median {median(ceilings):.1f} s",
        ratio=median(times) / median(ceilings), target=f"< {LAYOUT_TARGET:.0f} s",
        met=worst < LAYOUT_TARGET)
