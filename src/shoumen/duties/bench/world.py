"""The duties benchmark's data (PostgreSQL): a district of its own, 基准区 (code 379900), with
20 subdistricts of 10 communities; 100 disinfection sites per community (20,000, each three
windows a day, 08–10, 13–15, 18–20) with a year of windows up to today (about 22 M rows:
90 % done, 4 % late, 6 % missed, today's still due); and 50,000 daily inspection duties (the
enterprises' morning lists, laid out by the layout benchmark).

Only the windows are generated, in SQL by month (resumable: a month already there is
skipped), not the 22 M disinfection records behind them: no measured query reads a record
(compliance, heat maps, the sweep and the layout read and write windows only).
"""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from shoumen.duties.models import Duty, Window
from shoumen.geo.models import Node, NodeKind

DISTRICT_CODE = "379900"
SUBDISTRICTS, COMMUNITIES, SITES_PER_COMMUNITY = 20, 10, 100
ENTERPRISES = 50_000
SITE_KIND, INSPECTION_KIND = "bench-disinfection", "bench-inspection"
THREE_A_DAY = [["08:00", "10:00"], ["13:00", "15:00"], ["18:00", "20:00"]]
DAYS = 365


def today() -> date:
    return timezone.localdate()


def ensure(progress=print) -> Node:
    """The benchmark's district, built the first time (and finished if interrupted)."""
    if connection.vendor != "postgresql":
        raise SystemExit("the duties benchmarks run on PostgreSQL (BENCH_DATABASE_URL)")
    district = Node.objects.filter(code=DISTRICT_CODE).first()
    if district is None:
        district = _tree()
    if not Duty.objects.filter(kind=SITE_KIND).exists():
        _duties(district, progress)
    _windows(progress)
    return district


def _tree() -> Node:
    with transaction.atomic():
        city = Node.objects.filter(parent=None).order_by("pk").first()
        if city is None:
            city = Node.objects.create(kind=NodeKind.CITY, code="370100", name="济南市")
        district = Node.objects.create(parent=city, kind=NodeKind.DISTRICT, code=DISTRICT_CODE,
                                       name="基准区")
        for s in range(SUBDISTRICTS):
            sub = Node.objects.create(parent=district, kind=NodeKind.SUBDISTRICT,
                                      code=f"{DISTRICT_CODE}{s + 1:03d}", name=f"基准街道{s + 1}")
            for c in range(COMMUNITIES):
                Node.objects.create(parent=sub, kind=NodeKind.COMMUNITY,
                                    code=f"{sub.code}{c + 1:03d}", name=f"{sub.name}社区{c + 1}")
    return district


def communities(district: Node) -> list[Node]:
    return list(Node.objects.filter(path__startswith=district.path,
                                    kind=NodeKind.COMMUNITY).order_by("path"))


def _duties(district: Node, progress) -> None:
    started = clock.perf_counter()
    first = today() - timedelta(days=DAYS - 1)
    created = timezone.make_aware(datetime.combine(first, time.min))
    rows = []
    nodes = communities(district)
    for community in nodes:
        for n in range(SITES_PER_COMMUNITY):
            rows.append(Duty(jurisdiction=community, title=f"{community.name} 点位{n + 1}",
                             kind=SITE_KIND, frequency="windows", windows=THREE_A_DAY,
                             starts_on=first))
    for n in range(ENTERPRISES):
        rows.append(Duty(jurisdiction=nodes[n % len(nodes)], title=f"企业{n + 1} 每日检查",
                         kind=INSPECTION_KIND, frequency="daily", starts_on=today()))
    with transaction.atomic():
        Duty.objects.bulk_create(rows, batch_size=5000)  # bookkeeping rows: no audit each
        with connection.cursor() as cursor:  # set up a year ago (lay_out skips earlier ends)
            cursor.execute(f"UPDATE {Duty._meta.db_table} SET created_at = %s WHERE kind IN "
                           f"(%s, %s)", [created, SITE_KIND, INSPECTION_KIND])
    progress(f"  {len(rows):,} duties in {clock.perf_counter() - started:.1f} s")


def _windows(progress) -> None:
    """A year of the sites' windows, month by month; today's are due."""
    table, duty_table = Window._meta.db_table, Duty._meta.db_table
    first = today() - timedelta(days=DAYS - 1)
    month = first.replace(day=1)
    while month <= today():
        following = (month + timedelta(days=32)).replace(day=1)
        since, until = max(month, first), min(following - timedelta(days=1), today())
        if not Window.objects.filter(duty__kind=SITE_KIND, day=since).exists():
            started = clock.perf_counter()
            with connection.cursor() as cursor, transaction.atomic():
                cursor.execute(f"""
                    INSERT INTO {table} (duty_id, jurisdiction_id, day, starts_at, ends_at, state,
                                         done_at, missed_at)
                    SELECT d.id, d.jurisdiction_id, g.day::date,
                           (g.day + w.s) AT TIME ZONE 'Asia/Shanghai',
                           (g.day + w.e) AT TIME ZONE 'Asia/Shanghai',
                           CASE WHEN g.day::date = %(today)s THEN 'due'
                                WHEN x.r < 900 THEN 'done' WHEN x.r < 940 THEN 'late'
                                ELSE 'missed' END,
                           CASE WHEN g.day::date = %(today)s OR x.r >= 940 THEN NULL
                                WHEN x.r < 900 THEN (g.day + w.s + interval '50 minutes')
                                                    AT TIME ZONE 'Asia/Shanghai'
                                ELSE (g.day + w.s + interval '30 minutes') AT TIME ZONE
                                     'Asia/Shanghai' END,
                           CASE WHEN g.day::date < %(today)s AND x.r >= 940
                                THEN (g.day + w.e + interval '5 minutes') AT TIME ZONE
                                     'Asia/Shanghai' END
                    FROM {duty_table} d
                    CROSS JOIN generate_series(%(since)s::timestamp, %(until)s::timestamp,
                                               interval '1 day') AS g(day)
                    CROSS JOIN (VALUES (interval '8 hours', interval '10 hours'),
                                       (interval '13 hours', interval '15 hours'),
                                       (interval '18 hours', interval '20 hours')) AS w(s, e)
                    CROSS JOIN LATERAL (SELECT abs(hashtext(d.id::text || g.day::text
                                                            || w.s::text)) %% 1000 AS r) x
                    WHERE d.kind = %(kind)s
                """, {"today": today(), "since": since, "until": until, "kind": SITE_KIND})
                count = cursor.rowcount
            progress(f"  {since:%Y-%m}: {count:,} windows in {clock.perf_counter() - started:.0f} s")
        month = following
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
