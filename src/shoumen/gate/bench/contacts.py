"""Close contacts, first and second degree, for cases with 20 entries, against the same SQL.

The figure: :func:`shoumen.gate.traces.contacts.find_contacts` (the service the contacts page, API and
export call: the one SQL statement, grouping by person, loading names and checkpoints) for
several cases that each have exactly 20 entries in the 14 days, p50/p95 over repetitions;
beside it the API endpoint through Django's full request stack (its first page: 50 contacts
with their exposures). The ceiling: the statement :func:`~shoumen.gate.traces.contacts.contacts_sql`
returns, executed with a cursor and fetched.
The period ends at the newest entry, so the result does not depend on when the benchmark runs.
Like a web worker, the process has loaded everything and frozen it out of the garbage
collector's passes before it is timed.
"""

from __future__ import annotations

import gc

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.test import Client

from shoumen.core.benchmarks import Result, median, ms, percentile, timed
from shoumen.people.models import Person

from ..entries.models import Entry
from ..traces.contacts import contact_params, contacts_sql, find_contacts

TARGET_SECONDS = 0.100
CASE_ENTRIES = 20


def pick_cases(count: int, *, until, entries: int = CASE_ENTRIES) -> list[Person]:
    """``count`` people with exactly ``entries`` entries in the contact period ending at
    ``until``, spread over the person ids (deterministic for a given database)."""
    since = contact_params(until=until).since
    candidates = list(Entry.objects.filter(at__gte=since, at__lte=until).order_by()
                      .values("person_id").annotate(n=Count("id")).filter(n=entries)
                      .order_by("person_id").values_list("person_id", flat=True))
    if not candidates:
        raise SystemExit(f"nobody has {entries} entries: run `shoumen demo-data` first")
    step = max(1, len(candidates) // count)
    return list(Person.objects.filter(pk__in=candidates[::step][:count]).order_by("pk"))




def run(*, cases: int = 5, repeat: int = 30) -> Result:
    until = Entry.objects.aggregate(last=Max("at"))["last"]
    if until is None:
        raise SystemExit("no entries: run `shoumen demo-data` first")
    params = contact_params(until=until, degree=2)
    people = pick_cases(cases, until=until)
    per_case = max(1, repeat // len(people))
    service, raw, api = [], [], []
    found = []
    client = _client()
    for case in people:  # warm: the server answers many searches per process lifetime
        find_contacts(case, params)
    gc.freeze()  # as each web worker does once loaded (shoumen/wsgi.py)
    for case in people:
        result = find_contacts(case, params)
        found.append(result.counts | {"truncated": result.truncated})
        service += timed(lambda case=case: find_contacts(case, params), per_case)
        sql, values = contacts_sql(case.pk, params)

        def raw_query(sql=sql, values=values):
            with connection.cursor() as cursor:
                cursor.execute(sql, values)
                cursor.fetchall()

        raw += timed(raw_query, per_case)
        if client is not None:
            url = f"/api/gate/people/{case.pk}/contacts/"
            query = {"until": until.isoformat(), "degree": 2}
            response = client.get(url, query)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]}")
            api += timed(lambda url=url, query=query: client.get(url, query), per_case)
    total = Entry.objects.count()
    first = sum(f["first"] for f in found) / len(found)
    second = sum(f["second"] for f in found) / len(found)
    truncated = sum(f["truncated"] for f in found)
    p95 = percentile(service, 95)
    api_text = f"; API p50 {ms(median(api))}, p95 {ms(percentile(api, 95))}" if api else ""
    return Result(
        name=(f"Close contacts, degrees 1+2, ±{params.window_minutes} min over {params.days} days, "
              f"{len(people)} cases with {CASE_ENTRIES} entries each (avg {first:,.0f} first- and "
              f"{second:,.0f} second-degree contacts{', some truncated' if truncated else ''}), "
              f"{total:,} entries, {len(service)} runs"),
        figure=f"service p50 {ms(median(service))}, p95 {ms(p95)}{api_text}",
        ceiling=f"contacts_sql raw with a cursor: p50 {ms(median(raw))}, p95 {ms(percentile(raw, 95))}",
        ratio=median(service) / median(raw),
        target=f"p95 < {ms(TARGET_SECONDS)} (service)",
        met=p95 < TARGET_SECONDS,
    )


def _client() -> Client | None:
    """A signed-in client of a superuser, for the API figure."""
    from shoumen.accounts.models import User

    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        return None
    client = Client(HTTP_ACCEPT_LANGUAGE=settings.LANGUAGE_CODE)
    client.force_login(user)
    return client
