"""As each demo account: every link offered leads somewhere it may go, quickly; and every
object outside the account's jurisdiction, asked for by its URL, answers without content.

As each demo account, start at the home page and follow every same-site link breadth first,
at most :data:`PER_PATTERN` URLs per URL pattern (so a list of 600 people costs three person
pages, not 600), and fail on any 4xx or 5xx and on any page slower than :data:`BUDGET_MS`
(:data:`SEARCH_BUDGET_MS` for the close-contact search pages)
(the best of up to three tries counts: the budget is for the page, not for a busy machine or
a first, cold request).
It cannot go stale: a new page or link is crawled the day it appears.
"""

import os
import re
import time
from collections import deque
from io import StringIO
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from shoumen.demo.world import DEMO_ACCOUNTS
from shoumen.people.models import Person

PER_PATTERN = int(os.environ.get("CRAWL_PER_PATTERN", "3"))
BUDGET_MS = int(os.environ.get("PAGE_BUDGET_MS", "300"))  # on the demo data, SQLite or PostgreSQL
# The close-contact search pages of the demo's dense case (300 KB of HTML, a 144 KB graph) take
# 240-350 ms on a 2-core machine with SQLite, against a budget of 300: they have their own until
# the gate's second performance round (issue 17) brings them under the common one.
SEARCH_BUDGET_MS = int(os.environ.get("SEARCH_PAGE_BUDGET_MS", "600"))
SEARCH_PAGES = re.compile(r"/contacts/(observe/)?$")


def budget_for(path: str) -> int:
    return SEARCH_BUDGET_MS if SEARCH_PAGES.search(path) else BUDGET_MS
# Not pages to crawl: signing out, the administrators' own Django admin and the API (fuzzed in
# test_api_fuzz), language switching (a POST), and downloads (files, timed by the benchmarks).
SKIP = re.compile(r"^/(logout|admin|api|i18n|jsi18n|static)/|\.xlsx$|/download")
LINK = re.compile(r"""\shref="([^"#][^"]*)\"""")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo world, loaded once for the module (and removed after it)."""
    with django_db_blocker.unblock():
        call_command("demo-data", stdout=StringIO())
        yield
        call_command("flush", "--noinput", verbosity=0)


def _pattern(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return path
    return match.route or match.view_name


def crawl(username: str) -> tuple[list[str], int]:
    """(problems, pages seen) for ``username``."""
    from shoumen.accounts.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=username))
    seen, per_pattern, problems = {"/"}, {}, []
    queue = deque([("/", "(home)")])
    while queue:
        url, came_from = queue.popleft()
        elapsed, response = _timed_get(client, url)
        if response.status_code >= 400:
            problems.append(f"{username}: {url} answered {response.status_code} (linked from {came_from})")
            continue
        budget = budget_for(urlsplit(url).path)
        if elapsed > budget:
            problems.append(f"{username}: {url} took {elapsed:.0f} ms (budget {budget} ms)")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in LINK.findall(response.content.decode()):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or href in seen:
                continue
            seen.add(href)
            if SKIP.search(parts.path):
                continue
            pattern = _pattern(parts.path) + ("?" if parts.query else "")
            per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
            if per_pattern[pattern] <= PER_PATTERN:
                queue.append((href, url))
    return problems, len(seen)


def _timed_get(client, url):
    best = None
    for _try in range(3):
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
        if best is None or elapsed < best[0]:
            best = (elapsed, response)
        if elapsed <= budget_for(urlsplit(url).path) or response.status_code >= 400:
            break
    return best


@pytest.mark.django_db
def test_the_demo_cases_trace_and_contacts_open_within_the_budget(demo):
    """The heaviest pages of the demo: the confirmed case's movements and close contacts."""
    from shoumen.accounts.models import User
    from shoumen.people.models import PersonStatus

    case = Person.objects.get(status=PersonStatus.CONFIRMED)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username="community"))
    for url in (f"/gate/people/{case.pk}/trace/", f"/gate/people/{case.pk}/contacts/",
                f"/gate/people/{case.pk}/contacts/?degree=2"):
        elapsed, response = _timed_get(client, url)
        assert response.status_code == 200, url
        budget = budget_for(urlsplit(url).path)
        assert elapsed <= budget, f"{url} took {elapsed:.0f} ms (budget {budget} ms)"


@pytest.mark.django_db
def test_every_link_of_every_demo_account_opens_within_the_budget(demo):
    problems, pages = [], {}
    for account in DEMO_ACCOUNTS:
        found, pages[account.username] = crawl(account.username)
        problems += found
    assert not problems, "\n".join(problems)
    assert all(count > 3 for count in pages.values()), pages  # each account reached pages


def _kinds():
    """(name, URL of one object, the queryset of what the page shows the user, the label
    that would give the object away)."""
    from shoumen.gate.alerts.models import FeverAlert
    from shoumen.gate.checkpoints.models import Checkpoint
    from shoumen.gate.passes.models import ResidentPass
    from shoumen.geo.models import Node, Place
    from shoumen.ledgers.models import ExportJob, ImportJob
    from shoumen.resumption.models import Enterprise

    return [
        ("person", "/people/{pk}/", lambda u: Person.objects.visible_to(u), "name"),
        ("trace", "/gate/people/{pk}/trace/", lambda u: Person.objects.visible_to(u, "gate.trace"), "name"),
        ("contacts", "/gate/people/{pk}/contacts/",
         lambda u: Person.objects.visible_to(u, "gate.trace"), "name"),
        ("place", "/places/{pk}/", lambda u: Place.objects.visible_to(u), "name"),
        ("node", "/places/nodes/{pk}/", lambda u: Node.objects.visible_to(u), "name"),
        ("checkpoint", "/gate/checkpoints/{pk}/", lambda u: Checkpoint.objects.visible_to(u), None),
        ("pass", "/gate/passes/{pk}/", lambda u: ResidentPass.objects.visible_to(u, "gate.passes"),
         "number"),
        ("alert", "/gate/alerts/{pk}/", lambda u: FeverAlert.objects.visible_to(u), None),
        ("enterprise", "/enterprises/{pk}/", lambda u: Enterprise.objects.visible_to(u), "name"),
        ("import job", "/ledgers/imports/{pk}/", lambda u: ImportJob.objects.visible_to(u),
         "original_name"),
        ("export job", "/ledgers/exports/{pk}/", lambda u: ExportJob.objects.visible_to(u), None),
    ]


SAMPLE = 6  # out-of-scope objects per account and kind, spread over the table


@pytest.mark.django_db
def test_no_page_shows_an_object_outside_the_accounts_jurisdiction(demo):
    from shoumen.accounts.models import User

    leaks, asked = [], 0
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        if user.is_superuser:
            continue  # sees everything
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        for kind, url, visible, label in _kinds():
            model = visible(user).model
            outside = model._default_manager.exclude(pk__in=visible(user).values("pk")).order_by("pk")
            total = outside.count()
            picks = [outside[i * total // SAMPLE] for i in range(SAMPLE)] if total > SAMPLE else outside
            for obj in picks:
                asked += 1
                response = client.get(url.format(pk=obj.pk))
                body = response.content.decode()
                shown = label and str(getattr(obj, label)) and str(getattr(obj, label)) in body
                if response.status_code not in (403, 404) or shown:
                    leaks.append(f"{account.username}: {kind} {obj.pk} answered "
                                 f"{response.status_code}{' with its ' + label if shown else ''}")
    assert not leaks, "\n".join(leaks)
    assert asked > 500
