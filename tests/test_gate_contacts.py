"""Close contacts and traces (gate.contacts, gate.traces): the SQL search against a brute-force
computation over the same entries, its edges, the caps, and home observation of contacts."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shoumen.core.authz import NotAllowed
from shoumen.core.models import AuditEvent
from shoumen.gate.entries.models import Entry
from shoumen.gate.traces import contacts
from shoumen.gate.traces.contacts import contact_params, find_contacts, mark_scope, observe_contacts
from shoumen.gate.traces.services import person_trace
from shoumen.people.models import Person, PersonStatus, StatusChange
from shoumen.people.services import change_status
from tests import factories
from tests.helpers_gate_traces import add_entry, with_outbreak, with_sites

UNTIL = datetime(2020, 2, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def sites(world):
    return with_sites(world)


@pytest.fixture
def outbreak(sites):
    return with_outbreak(sites)


def params(**kw):
    kw.setdefault("until", UNTIL)
    return contact_params(**kw)


# --- brute force ------------------------------------------------------------------------------

def brute_force(entries, case_id, *, since, until, window):
    """First and second degree exposures by nested loops, straight from the definitions."""
    inside = [e for e in entries if since <= e.at <= until]

    def near(a, b):
        return a.site_id == b.site_id and abs(a.at - b.at) <= window

    own = [e for e in inside if e.person_id == case_id]
    first = {(e.id, c.id) for c in own for e in inside if e.person_id != case_id and near(e, c)}
    by_id = {e.id: e for e in inside}
    first_people = {by_id[a].person_id for a, _ in first}
    theirs = [e for e in inside if e.person_id in first_people]
    second = {(s.id, f.id) for f in theirs for s in inside
              if s.person_id != case_id and s.person_id not in first_people and near(s, f)}
    return {e.id for e in own}, first, second


def found(result, degree):
    return {(x.entry_id, x.linked_entry_id) for c in result.contacts if c.degree == degree
            for x in c.exposures}


@pytest.fixture
def crowd(sites):
    """300 entries of 40 people at 5 checkpoints (4 sites) over 5 days, from a seeded random;
    times cluster in busy hours so that windows overlap. Person 0 is the case."""
    rng = random.Random(20200220)
    people = [factories.person(sites.commander, rng.choice([sites.community_a, sites.community_b]),
                               f"人{i}") for i in range(40)]
    checkpoints = [sites.gate_a, sites.gate_b, sites.lobby_1, sites.lobby_2, sites.gate_c]
    start = UNTIL - timedelta(days=5)
    rows = []
    for i in range(300):
        person = people[0] if i % 15 == 0 else rng.choice(people)
        day = rng.randrange(6)
        minute = rng.choice([8 * 60, 12 * 60, 18 * 60]) + rng.randrange(-90, 90)
        at = start + timedelta(days=day, minutes=minute, seconds=rng.randrange(60))
        checkpoint = rng.choice(checkpoints)
        rows.append(Entry(uuid=uuid.uuid4(), checkpoint=checkpoint, site_id=checkpoint.site_id,
                          at=at, direction=rng.choice(["in", "out"]), temperature=Decimal("36.5"),
                          person=person, method="pass"))
    Entry.objects.bulk_create(rows)
    sites.people = people
    sites.case = people[0]
    return sites


@pytest.mark.parametrize("window,days", [(30, 3), (5, 1), (120, 5)])
def test_contacts_match_brute_force(crowd, window, days):
    p = params(window=window, days=days)
    result = find_contacts(crowd.case, p)
    own, first, second = brute_force(list(Entry.objects.all()), crowd.case.pk, since=p.since,
                                     until=p.until, window=p.window)
    assert first, "the seeded data must give the case some contacts"
    assert {e.entry_id for e in result.case_entries} == own
    assert found(result, 1) == first
    assert found(result, 2) == second
    assert not result.truncated
    # People, degrees and the linking first-degree people follow from the exposures.
    by_id = {e.id: e for e in Entry.objects.all()}
    assert {c.person.pk for c in result.of_degree(1)} == {by_id[a].person_id for a, _ in first}
    for contact in result.of_degree(2):
        assert {v.pk for v in contact.via} == {by_id[b].person_id for a, b in second
                                                if by_id[a].person_id == contact.person.pk}
    # Each exposure carries the right times, checkpoints and sites.
    for contact in result.contacts:
        for x in contact.exposures:
            entry, linked = by_id[x.entry_id], by_id[x.linked_entry_id]
            assert (x.at, x.linked_at) == (entry.at, linked.at)
            assert (x.checkpoint.pk, x.linked_checkpoint.pk) == (entry.checkpoint_id,
                                                                  linked.checkpoint_id)
            assert x.site_id == linked.site_id == entry.site_id
            assert x.linked_person_id == linked.person_id
            assert abs(x.minutes_apart) <= window


def test_degree_one_leaves_out_the_second(crowd):
    result = find_contacts(crowd.case, params(degree=1))
    assert result.of_degree(1) and not result.of_degree(2)


def test_window_edges_are_inclusive(sites):
    case, on_edge, early_edge, past, other_site = (
        factories.person(sites.worker_a, sites.community_a, n) for n in "甲乙丙丁戊")
    t = UNTIL - timedelta(hours=5)
    case_entry = add_entry(case, sites.gate_a, t)
    add_entry(on_edge, sites.gate_a, t + timedelta(minutes=30))
    add_entry(early_edge, sites.gate_a, t - timedelta(minutes=30))
    add_entry(past, sites.gate_a, t + timedelta(minutes=30, microseconds=1))
    add_entry(past, sites.gate_a, t - timedelta(minutes=30, microseconds=1))
    add_entry(other_site, sites.gate_b, t)
    result = find_contacts(case, params(window=30))
    assert {c.person.pk for c in result.of_degree(1)} == {on_edge.pk, early_edge.pk}
    # ``past`` is 1 µs outside the case's window, but within 乙's: a second-degree contact.
    assert [c.person.pk for c in result.of_degree(2)] == [past.pk]
    result = find_contacts(case, params(window=30, degree=1))
    assert {x.minutes_apart for c in result.contacts for x in c.exposures} == {30.0, -30.0}
    assert all(x.linked_entry_id == case_entry.pk for c in result.contacts for x in c.exposures)


def test_entries_outside_the_period_are_ignored(sites):
    case, before, at_start, later = (factories.person(sites.worker_a, sites.community_a, n)
                                     for n in "甲乙丙丁")
    p = params(days=2)
    add_entry(case, sites.gate_a, p.since + timedelta(minutes=10))
    add_entry(before, sites.gate_a, p.since - timedelta(microseconds=1))  # within 30 min, too early
    add_entry(at_start, sites.gate_a, p.since)  # the start is inclusive
    # The case's entry before the period links nobody, however close.
    add_entry(case, sites.gate_b, p.since - timedelta(hours=1))
    add_entry(later, sites.gate_b, p.since - timedelta(hours=1))
    # Nor does one after its end.
    add_entry(case, sites.gate_c, p.until + timedelta(seconds=1))
    add_entry(later, sites.gate_c, p.until)
    result = find_contacts(case, p)
    assert [c.person.pk for c in result.contacts] == [at_start.pk]
    assert len(result.case_entries) == 1


def test_building_lobbies_are_one_site(sites):
    case, colleague, passer_by = (factories.person(sites.worker_a, sites.community_a, n)
                                  for n in "甲乙丙")
    t = UNTIL - timedelta(hours=3)
    add_entry(case, sites.lobby_1, t)
    add_entry(colleague, sites.lobby_2, t + timedelta(minutes=10))  # other lobby, same tower
    add_entry(passer_by, sites.gate_a, t)  # same time, other site
    result = find_contacts(case, params())
    (contact,) = result.contacts
    assert contact.person.pk == colleague.pk
    x = contact.first_exposure
    assert (x.checkpoint.pk, x.linked_checkpoint.pk, x.site_id) == (sites.lobby_2.pk, sites.lobby_1.pk,
                                                              sites.tower.pk)
    assert x.site_name == "绿地中心"


def test_second_degree_through_any_entry_of_a_first_degree_contact(sites):
    case, first, second, far = (factories.person(sites.worker_a, sites.community_a, n)
                                for n in "甲乙丙丁")
    t = UNTIL - timedelta(days=1)
    add_entry(case, sites.gate_a, t)
    add_entry(first, sites.gate_a, t + timedelta(minutes=5))
    add_entry(first, sites.gate_b, t - timedelta(hours=6))  # an entry the case was not near
    add_entry(second, sites.gate_b, t - timedelta(hours=6, minutes=20))
    add_entry(far, sites.gate_b, t - timedelta(hours=3))  # nobody near
    add_entry(case, sites.gate_b, t - timedelta(hours=5, minutes=35))  # never its own contact
    result = find_contacts(case, params())
    assert [(c.person.pk, c.degree) for c in result.contacts] == [(first.pk, 1), (second.pk, 2)]
    assert [v.pk for v in result.of_degree(2)[0].via] == [first.pk]
    assert result.of_degree(2)[0].first_exposure.linked_person_id == first.pk
    # The first-degree person is not listed again as a second-degree one (and vice versa).
    assert len({c.person.pk for c in result.contacts}) == 2


def test_caps_say_the_list_is_truncated(crowd):
    full = find_contacts(crowd.case, params(days=5))
    assert len(found(full, 1)) > 3 and len(found(full, 2)) > 3 and not full.truncated
    capped = find_contacts(crowd.case, params(days=5), first_limit=100_000, second_limit=3)
    assert capped.truncated_second and not capped.truncated_first
    assert len(found(capped, 2)) == 3 and found(capped, 2) <= found(full, 2)
    capped = find_contacts(crowd.case, params(days=5), first_limit=2)
    assert capped.truncated_first and len(found(capped, 1)) == 2


def test_sql_is_exposed_for_the_benchmark(crowd):
    from django.db import connection

    p = params(days=5)
    sql, values = contacts.contacts_sql(crowd.case.pk, p)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    result = find_contacts(crowd.case, p)
    assert len(rows) == result.counts["exposures"] + result.counts["case_entries"]
    assert {r[0] for r in rows} == {0, 1, 2}


@pytest.mark.parametrize("kw,field", [
    ({"window": 4}, "window"), ({"window": 121}, "window"), ({"window": "half an hour"}, "window"),
    ({"days": 0}, "days"), ({"days": 29}, "days"), ({"degree": 3}, "degree"),
    ({"until": "yesterday"}, "until"),
])
def test_bad_parameters_say_which_and_why(kw, field, settings):
    settings.RETENTION_DAYS = 28
    with pytest.raises(ValidationError) as exc:
        contact_params(**kw)
    assert list(exc.value.message_dict) == [field]


def test_defaults_come_from_settings(settings):
    settings.CONTACT_WINDOW_MINUTES, settings.CONTACT_PERIOD_DAYS = 45, 10
    p = contact_params(window="", days=None)
    assert (p.window_minutes, p.days, p.degree) == (45, 10, 2)
    assert abs((timezone.now() - p.until).total_seconds()) < 5


# --- home observation ---------------------------------------------------------------------------

def observe(world, actor, **kw):
    return observe_contacts(world.case, contact_params(degree=1), actor=actor, **kw)


def test_home_observation_changes_only_people_in_scope(outbreak):
    plan = observe(outbreak, outbreak.worker_a)
    assert plan.counts == {"changed": 2, "already": 1, "stricter": 1, "outside_scope": 1}
    statuses = dict(Person.objects.values_list("name", "status"))
    assert statuses["接触一"] == statuses["接触二"] == PersonStatus.HOME_OBSERVATION
    assert statuses["确诊"] == PersonStatus.CONFIRMED
    assert statuses["乙社区人"] == PersonStatus.NORMAL  # not worker_a's to change
    assert [c.person.pk for c in plan.outside] == [outbreak.elsewhere.pk]
    change = StatusChange.objects.get(person=outbreak.normal_1)
    assert "病例" in change.reason and change.changed_by == outbreak.worker_a
    summary = AuditEvent.objects.get(action="action", object_id=str(outbreak.case.pk))
    assert summary.actor == outbreak.worker_a
    assert set(summary.after["changed"]) == {outbreak.normal_1.pk, outbreak.normal_2.pk}
    assert summary.after["outside_scope"] == [outbreak.elsewhere.pk]
    assert AuditEvent.objects.filter(action="update", object_id=str(outbreak.normal_2.pk),
                                     actor=outbreak.worker_a).exists()
    # Doing it again changes nobody.
    assert observe(outbreak, outbreak.worker_a).counts["changed"] == 0


def test_commander_of_both_communities_changes_both(outbreak):
    plan = observe(outbreak, outbreak.commander)
    assert plan.counts["outside_scope"] == 0 and plan.counts["changed"] == 3
    assert Person.objects.get(pk=outbreak.elsewhere.pk).status == PersonStatus.HOME_OBSERVATION


def test_only_the_confirmed_people_are_changed(outbreak):
    plan = observe(outbreak, outbreak.worker_a, only=[outbreak.normal_1.pk, outbreak.case.pk])
    assert [c.person.pk for c in plan.to_change] == [outbreak.normal_1.pk]
    assert Person.objects.get(pk=outbreak.normal_2.pk).status == PersonStatus.NORMAL


def test_home_observation_is_all_or_nothing(outbreak, monkeypatch):
    calls = []

    def failing(person, **kw):
        calls.append(person)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return change_status(person, **kw)

    monkeypatch.setattr(contacts, "change_status", failing)
    with pytest.raises(RuntimeError):
        observe(outbreak, outbreak.worker_a)
    assert not Person.objects.filter(status=PersonStatus.HOME_OBSERVATION).exclude(
        pk=outbreak.observed.pk).exists()
    assert not AuditEvent.objects.filter(action="action").exists()


def test_without_status_capability_nothing_happens(outbreak):
    officer = factories.user("duty", "duty_officer", outbreak.luoyuan)
    with pytest.raises(NotAllowed):
        observe(outbreak, officer)
    assert not StatusChange.objects.filter(person=outbreak.normal_1).exists()


def test_scope_marks_who_the_user_may_change(outbreak):
    result = mark_scope(find_contacts(outbreak.case, contact_params()), outbreak.worker_b)
    assert [c.person.pk for c in result.contacts if c.in_scope] == [outbreak.elsewhere.pk]
    assert result.counts["outside_scope"] == 4


# --- trace -------------------------------------------------------------------------------------

def test_trace_pairs_in_and_out_per_site_newest_first(sites):
    resident = factories.person(sites.worker_a, sites.community_a, "居民")
    now = timezone.now()
    out = add_entry(resident, sites.gate_a, now - timedelta(hours=10), "out")
    tower_in = add_entry(resident, sites.lobby_1, now - timedelta(hours=9), "in")
    tower_out = add_entry(resident, sites.lobby_2, now - timedelta(hours=2), "out", "37.5")
    back = add_entry(resident, sites.gate_a, now - timedelta(hours=1), "in")
    lone = add_entry(resident, sites.gate_c, now - timedelta(minutes=30), "out")
    add_entry(resident, sites.gate_a, now - timedelta(days=29))  # past retention
    trace = person_trace(resident)
    assert [t.entry for t in trace.entries] == [lone, back, tower_out, tower_in, out]
    pairs = {t.entry.pk: (t.partner.pk if t.partner else None) for t in trace.entries}
    assert pairs == {out.pk: back.pk, back.pk: out.pk, tower_in.pk: tower_out.pk,
                     tower_out.pk: tower_in.pk, lone.pk: None}
    assert trace.entries[1].minutes_between == 540
    assert trace.open_count == 1 and trace.last.entry == lone
    assert sum(len(d.entries) for d in trace.days) == 5


def test_cards_show_what_the_models_hold(sites):
    from shoumen.gate.traces import contact_cards

    grid_person = factories.person(sites.worker_a, sites.grid_a1, "网格人", phone="13912345678")
    change_status(grid_person, actor=sites.worker_a, status=PersonStatus.HOME_OBSERVATION,
                  reason="测试")
    card = contact_cards.people([grid_person.pk, 999_999])[grid_person.pk]
    person = Person.objects.get(pk=grid_person.pk)
    assert (card.pk, card.name, card.id_number_masked, card.phone_masked, card.status,
            card.kind) == (person.pk, person.name, person.id_number_masked, person.phone_masked,
                           person.status, person.kind)
    assert card.get_status_display() == person.get_status_display()
    assert (card.jurisdiction.name, card.jurisdiction.parent_id, card.jurisdiction.parent.name) \
        == ("甲社区一网格", sites.community_a.pk, "甲社区")
    cards = contact_cards.checkpoints([sites.lobby_1.pk, sites.gate_c.pk])
    lobby, gate = cards[sites.lobby_1.pk], cards[sites.gate_c.pk]
    assert (lobby.name, lobby.site_id, lobby.site_name) == ("绿地中心南大堂", sites.tower.pk,
                                                             "绿地中心")
    assert (gate.site_id, gate.site_name, gate.jurisdiction.code) == (
        sites.gate_c.pk, "丙社区西门", "370102001001")
    assert contact_cards.CheckpointCard.of(sites.lobby_1) == lobby
    assert contact_cards.people([]) == {}
