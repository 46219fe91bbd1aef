"""The demo-data command: deterministic, valid, scoped demo world and its city-scale mode."""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection
from django.test import RequestFactory
from stdnum.cn import uscc

from shoumen.accounts.models import RoleAssignment, User
from shoumen.core import pii
from shoumen.core.models import AuditEvent
from shoumen.demo.world import DEMO_ACCOUNTS, DEMO_PASSWORD
from shoumen.geo.models import PATH_SEGMENT, Node, NodeKind, Place, PlaceKind
from shoumen.people.demo import names
from shoumen.people.demo.residents import Slot, generate_residents, name_keys, usable_region
from shoumen.people.models import Person, PersonStatus, StatusChange
from shoumen.resumption.models import Enterprise

SLOTS = [
    Slot(key=1, household_prefix="370103001001001", streets=("泺文路", "泺源大街"),
         home_region="370103"),
    Slot(key=2, household_prefix="370103001001002", streets=("朝山街",), home_region="370103",
         weight=2.0),
    Slot(key=3, household_prefix="370104101001001", streets=("兴隆路",), home_region="370104"),
]


def run(*args, **options):
    out = StringIO()
    call_command("demo-data", *args, stdout=out, **options)
    return out.getvalue()


# --- the generator, without a database -----------------------------------------------------

def test_generator_is_deterministic_per_seed():
    first = list(generate_residents(7, SLOTS, 600))
    again = list(generate_residents(7, SLOTS, 600))
    other = list(generate_residents(8, SLOTS, 600))
    assert len(first) == 600
    assert first == again
    assert [p.id_number for p in first] != [p.id_number for p in other]
    assert [p.name for p in first] != [p.name for p in other]


def test_generated_people_are_valid_and_distinct():
    people = list(generate_residents(11, SLOTS, 2000))
    ids = [p.id_number for p in people]
    assert len(set(ids)) == len(ids)
    for number in ids:
        assert pii.validate_id_number(number) == number
    phones = [p.phone for p in people if p.phone]
    assert len(set(phones)) == len(phones)
    assert len(phones) > 0.7 * len(people)
    for phone in phones:
        assert pii.validate_phone(phone) == phone
    # Households of one to five share an address; slots get their share by weight.
    households = Counter(p.household for p in people)
    assert set(households.values()) <= {1, 2, 3, 4, 5}
    assert len({p.address for p in people}) == len(households)
    per_slot = Counter(p.slot for p in people)
    assert per_slot[2] > per_slot[1] and per_slot[2] > per_slot[3]
    # Mostly the local region; people from elsewhere are marked non-resident or workers.
    assert Counter(p.id_number[:6] for p in people)["370103"] > 0.2 * len(people)
    assert any(p.id_number.startswith(("110101", "310101", "420")) for p in people)
    tagged = sum(1 for p in people if p.tags)
    assert 0.02 * len(people) < tagged < 0.10 * len(people)
    assert any(p.status == PersonStatus.HOME_OBSERVATION for p in people)
    assert not {p.name for p in people} & names.EXCLUDED_NAMES


def test_region_falls_back_when_stdnum_refuses_the_birth_year():
    # stdnum knows 历下区 (370102) only from 1983: older people get 济南市's code instead.
    assert usable_region("370102", 1990) == "370102"
    assert usable_region("370102", 1950) == "370100"


def test_cached_name_keys_equal_set_name():
    for name in ["张伟", "欧阳子轩", "曾丽红", "吕秀英", "单晓东"]:
        person = Person()
        person.set_name(name)
        assert name_keys(name) == (person.name_initials, person.name_pinyin)


def test_command_is_registered_under_its_hyphenated_name():
    assert get_commands()["demo-data"] == "shoumen.demo"


# --- the command ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_demo_world_accounts_and_scoping():
    out = run("--residents", "600", "--seed", "3")
    assert "Demo accounts (password: shoumen-demo)" in out
    for account in DEMO_ACCOUNTS:
        assert account.username in out

    # The places of the story.
    luoyuan = Node.objects.get(code="370103001", name="泺源街道")
    communities = list(luoyuan.children.order_by("code"))
    assert [c.code for c in communities] == [f"370103001{i:03d}" for i in range(1, 6)]
    for community in communities:
        assert 3 <= community.children.filter(kind=NodeKind.GRID).count() <= 4
        assert community.places.filter(kind=PlaceKind.CHECKPOINT, building=None).exists()
    assert Node.objects.get(code="370102").name == "历下区"
    assert Place.objects.get(name="济南火车站").kind == PlaceKind.STATION
    assert Place.objects.filter(kind=PlaceKind.ISOLATION_SITE).count() >= 2
    sites = Place.objects.filter(kind=PlaceKind.CONSTRUCTION_SITE).values_list("name", flat=True)
    for river in ("历阳河", "历山路边沟", "马家庄西沟"):
        assert any(river in s for s in sites)
    towers = Place.objects.filter(kind=PlaceKind.BUILDING)
    assert sorted(towers.values_list("name", flat=True)) == sorted(["绿地中心", "金龙大厦", "银座晶都"])
    for tower in towers:
        assert tower.property_company
        assert tower.contained_places.filter(kind=PlaceKind.CHECKPOINT).exists()
    assert Place.objects.filter(kind=PlaceKind.VENUE).exclude(venue_category="").count() >= 3

    # Enterprises: valid credit codes, 泉客厅 in 绿地中心.
    enterprises = list(Enterprise.objects.all())
    assert 25 <= len(enterprises) <= 35
    for e in enterprises:
        assert uscc.validate(e.credit_code) == e.credit_code
        assert e.building is not None and e.jurisdiction_id == e.building.jurisdiction_id
    quanketing = Enterprise.objects.get(name="泉客厅")
    assert quanketing.building.name == "绿地中心"

    # Accounts: roles where the table says, and each signs in with the demo password.
    request = RequestFactory().post("/login/")
    for account in DEMO_ACCOUNTS:
        user = authenticate(request=request, username=account.username, password=DEMO_PASSWORD)
        assert user is not None, account.username
        assignment = RoleAssignment.objects.get(user=user)
        assert assignment.role == account.role
        assert (assignment.enterprise or assignment.node).name == account.where
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.get(username="community").is_superuser
    assert authenticate(request=request, username="grid", password="wrong-password") is None

    # Scoping through the ordinary visible_to.
    liaison = User.objects.get(username="liaison")
    assert list(Enterprise.objects.visible_to(liaison)) == [quanketing]
    community_user = User.objects.get(username="community")
    first = communities[0]
    visible = Person.objects.visible_to(community_user)
    assert visible.exists()
    assert visible.count() == Person.objects.filter(jurisdiction__path__startswith=first.path).count()
    assert visible.count() < Person.objects.count()
    assert not visible.exclude(jurisdiction__parent=first).exists()
    grid_user = User.objects.get(username="grid")
    assert 0 < Person.objects.visible_to(grid_user).count() < visible.count()

    # Residents: valid numbers, households, tags, observation history.
    people = Person.objects.all()
    assert people.count() == 600
    assert set(people.values_list("jurisdiction__kind", flat=True)) == {NodeKind.GRID}
    for person in people:
        assert pii.validate_id_number(person.id_number) == person.id_number
        assert person.id_number_masked == pii.mask_id_number(person.id_number)
        assert person.gender == pii.gender_from_id(person.id_number)
    assert people.filter(tags__isnull=False).distinct().count() >= 10
    observed = people.filter(status=PersonStatus.HOME_OBSERVATION)
    assert observed.exists()
    for person in observed:
        change = person.status_changes.get()
        assert change.to_status == PersonStatus.HOME_OBSERVATION and change.reason
        assert change.changed_at < person.created_at
    # Audit: each real object saved under admin; the bulk load is one import event, the gate
    # part (committed on its own) another.
    imports = AuditEvent.objects.filter(action="import")
    assert imports.count() == 2
    assert {e.actor for e in imports} == {admin}
    # The notes are in the site's language (zh-hans), as the audit trail's readers read them.
    assert imports.filter(note__startswith="演示数据（", note__contains="600 名居民").count() == 1
    assert imports.filter(note__startswith="演示卡口数据（").count() == 1
    assert AuditEvent.objects.filter(action="create", actor=admin).count() > 50
    # Only the two weeks of inspections and disinfection are in the staff's own names, as
    # they would have recorded them (each service audits its actor).
    others = AuditEvent.objects.exclude(actor=admin)
    assert set(others.values_list("content_type__app_label", flat=True)) <= {
        "inspections", "disinfection", "evidence"}


@pytest.mark.django_db
@pytest.mark.parametrize("jobs", [1, 2])
def test_same_seed_same_people_in_the_database(jobs):
    # jobs=2 builds rows in worker processes on PostgreSQL; the result must not change.
    run("--residents", "200", "--seed", "5", "--jobs", str(jobs))
    masked = list(Person.objects.order_by("household", "id")
                  .values_list("name", "id_number_masked", "household"))
    expected = [(p.name, pii.mask_id_number(p.id_number), p.household)
                for p in generate_residents(5, _slots_from_db(), 200)]
    assert sorted(masked) == sorted(expected)


def _index_definitions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'people_person'")
        return sorted(cursor.fetchall())


@pytest.mark.django_db
def test_postgresql_load_keeps_every_index():
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path with index rebuild is PostgreSQL's")
    before = _index_definitions()
    assert len(before) > 3
    run("--residents", "300", "--jobs", "2")
    assert _index_definitions() == before
    assert Person.objects.count() == 300


def _slots_from_db():
    from shoumen.demo.world import LUOYUAN_COMMUNITIES

    slots = []
    for code, _, streets in LUOYUAN_COMMUNITIES:
        grids = Node.objects.filter(parent__code=code).order_by("code")
        slots += [Slot(key=g.pk, household_prefix=g.code, streets=streets,
                       home_region="370103", weight=1.0 / len(grids)) for g in grids]
    return slots


@pytest.mark.django_db
def test_if_empty_skips_and_refuses_to_mix():
    run("--residents", "50")
    counts = (Node.objects.count(), Person.objects.count(), User.objects.count())
    out = run("--if-empty", "--residents", "50")
    assert "already has jurisdictions" in out
    with pytest.raises(CommandError, match="only fills an empty database"):
        run("--residents", "50")
    assert (Node.objects.count(), Person.objects.count(), User.objects.count()) == counts


@pytest.mark.django_db
def test_existing_admin_keeps_its_password():
    User.objects.create_user("admin", password="the-real-admin-pw", is_superuser=True)
    out = run("--residents", "20")
    assert "existing; password unchanged" in out
    request = RequestFactory().post("/login/")
    assert authenticate(request=request, username="admin", password="the-real-admin-pw")
    assert authenticate(request=request, username="district", password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_city_scale_builds_a_generated_city():
    out = run("--scale", "city", "--residents", "2000", "--seed", "9")
    assert "Generated city" in out
    districts = Node.objects.filter(kind=NodeKind.DISTRICT)
    assert districts.count() == 12
    assert districts.filter(code="370104", name="槐荫区").exists()
    generated = Node.objects.filter(kind=NodeKind.COMMUNITY).exclude(parent__code="370103001")
    assert generated.count() >= 2
    # Every path, bulk-written or not, is the chain of ancestor ids.
    for node in Node.objects.select_related("parent"):
        prefix = node.parent.path if node.parent else ""
        assert node.path == f"{prefix}{node.pk:0{PATH_SEGMENT}d}"
    assert Person.objects.count() == 2000
    in_generated = Person.objects.filter(jurisdiction__parent__in=generated)
    assert in_generated.exists()
    assert Place.objects.filter(kind=PlaceKind.CHECKPOINT, jurisdiction__in=generated).exists()
    # Scoping reaches the generated part like the real one.
    person = in_generated.exclude(jurisdiction__parent__parent__parent__code="370103").first()
    district = person.jurisdiction.ancestors().get(kind=NodeKind.DISTRICT)
    commander = User.objects.create_user("gen-commander", password="x" * 12)
    RoleAssignment.objects.create(user=commander, role="district_commander", node=district)
    seen = Person.objects.visible_to(commander)
    assert seen.filter(pk=person.pk).exists()
    assert seen.count() == Person.objects.filter(jurisdiction__path__startswith=district.path).count()
    assert not seen.filter(jurisdiction__parent__parent__code="370103001").exists()
    assert StatusChange.objects.count() >= 1
    assert AuditEvent.objects.filter(action="import", note__contains="另生成区").count() == 1


# --- the gate ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_demo_gate_checkpoints_guard_passes_entries_and_case():
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from shoumen.gate.alerts.models import FeverAlert, FeverStage
    from shoumen.gate.checkpoints.models import Checkpoint
    from shoumen.gate.entries.models import Entry, Refusal, RefusalReason
    from shoumen.gate.passes.models import ResidentPass
    from shoumen.gate.passes.services import check_pass
    from shoumen.gate.traces.contacts import contact_params, find_contacts
    from shoumen.people.models import CONFINED_STATUSES, PersonKind

    before = timezone.now()
    out = run("--residents", "500", "--seed", "4")
    # Every checkpoint place has its checkpoint row; the guard guards 泺文路社区's gates.
    assert not Place.objects.filter(kind=PlaceKind.CHECKPOINT, checkpoint__isnull=True).exists()
    guard = User.objects.get(username="guard")
    gates = Checkpoint.objects.filter(place__jurisdiction__code="370103001001", place__building=None)
    assert set(guard.guarded_checkpoints.all()) == set(gates) and gates.count() == 2
    assert Checkpoint.objects.filter(place__building__name="绿地中心").count() == 2

    # A live pass for every resident but visitors, issued by the service (audited).
    people = Person.objects.exclude(kind=PersonKind.VISITOR)
    assert ResidentPass.objects.filter(revoked_at=None).count() == people.count() > 400
    from django.contrib.contenttypes.models import ContentType

    pass_type = ContentType.objects.get_for_model(ResidentPass)
    assert AuditEvent.objects.filter(action="create", content_type=pass_type).count() == people.count()

    # Entries: 14 days up to now, at the right sites, through the person's own gates.
    entries = Entry.objects.select_related("checkpoint__place", "person__jurisdiction")
    assert entries.count() > 500 * 14 * 0.3
    first, last = entries.order_by("at").first().at, entries.order_by("at").last().at
    assert before - timedelta(days=14) <= first and last <= timezone.now()
    assert last - first > timedelta(days=13)
    lobby_people = set()
    for e in entries.iterator():
        assert e.site_id == e.checkpoint.site_id
        if e.checkpoint.place.building_id is None:
            assert e.checkpoint.place.jurisdiction_id == e.person.jurisdiction.parent_id
        else:
            lobby_people.add(e.person_id)
        if e.fever:
            assert e.temperature >= Decimal("37.3")
        else:
            assert Decimal("36.0") <= e.temperature <= Decimal("37.0")
    assert len(lobby_people) >= 10  # office commuters in the towers
    morning = entries.filter(checkpoint__place__building__isnull=False, direction="in")
    hours = [timezone.localtime(e.at).hour for e in morning.iterator()]
    assert sum(7 <= h <= 9 for h in hours) > 0.5 * len(hours)
    assert not entries.filter(person__status="home_observation").exists()
    assert entries.filter(method="pass", resident_pass__isnull=False).count() > 0.9 * entries.count()
    assert entries.filter(guard=guard).exists()

    # Fever alerts: one per fever entry; most cleared with their follow-ups, some open.
    fevers = entries.filter(fever=True)
    assert fevers.exists()
    alerts = FeverAlert.objects.all()
    assert set(alerts.values_list("entry_id", flat=True)) == set(fevers.values_list("pk", flat=True))
    assert alerts.filter(closed_at=None).exists()
    for alert in alerts.filter(closed_at__isnull=False):
        steps = list(alert.follow_ups.values_list("stage", flat=True))
        assert steps[0] == FeverStage.REMEASURED and steps[-1] == FeverStage.CLEARED
        assert alert.closed_at > alert.measured_at

    # Refusals: people who may not leave, and unreadable or tampered codes.
    refusals = Refusal.objects.all()
    assert refusals.count() >= 6
    for refusal in refusals.filter(reason=RefusalReason.STATUS):
        assert refusal.person.status in CONFINED_STATUSES and refusal.direction == "out"

    # One confirmed case, whose last entry is the fever that sent them to the clinic, with
    # close contacts to show.
    case = Person.objects.get(status=PersonStatus.CONFIRMED)
    assert case.status_changes.get().to_status == PersonStatus.CONFIRMED
    trace = Entry.objects.filter(person=case).order_by("at")
    assert trace.count() >= 10 and trace.last().fever
    assert FeverAlert.objects.get(entry=trace.last()).stage == FeverStage.SENT_TO_CLINIC
    result = find_contacts(case, contact_params(degree=2))
    assert result.counts["first"] >= 5 and result.counts["second"] > 0

    # The command names the guard and a pass that scans.
    assert "Demo guard: guard (刘海燕)" in out
    number = out.split("Sample pass: ")[1].split()[0]
    text = out.split("QR text:\n")[1].splitlines()[0].removeprefix("  ")  # Base45 has spaces
    sample = ResidentPass.objects.get(number=number)
    assert sample.qr_text == text
    assert check_pass(text, direction="out").person == sample.person


@pytest.mark.django_db
def test_if_empty_loads_the_gate_parts_still_missing():
    from shoumen.gate.alerts.models import FeverAlert
    from shoumen.gate.entries.models import Entry, Refusal
    from shoumen.gate.passes.models import ResidentPass

    run("--residents", "60")
    nodes, people = Node.objects.count(), Person.objects.count()
    counts = (Entry.objects.count(), ResidentPass.objects.count())
    assert all(counts)
    out = run("--if-empty")
    assert "nothing to do" in out
    assert (Entry.objects.count(), ResidentPass.objects.count()) == counts
    # A world loaded before the gate existed: --if-empty adds passes and entries only.
    FeverAlert.objects.all().delete()
    Entry.objects.all().delete()
    Refusal.objects.all().delete()
    ResidentPass.objects.all().delete()
    out = run("--if-empty")
    assert "world and residents not loaded" in out and "Entries:" in out
    assert (Node.objects.count(), Person.objects.count()) == (nodes, people)
    assert Entry.objects.exists() and ResidentPass.objects.count() == counts[1]


def _gate_schema():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes "
                       "WHERE tablename IN ('gate_entry', 'gate_residentpass') ORDER BY 1, 2")
        indexes = cursor.fetchall()
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                       "FROM pg_constraint WHERE conrelid IN ('gate_entry'::regclass, "
                       "'gate_residentpass'::regclass) ORDER BY 1, 2")
        return indexes, cursor.fetchall()


@pytest.mark.django_db
def test_city_gate_load_keeps_indexes_and_constraints_and_makes_office_buildings():
    from shoumen.gate.checkpoints.models import Checkpoint
    from shoumen.gate.entries.models import Entry
    from shoumen.gate.passes.models import ResidentPass

    before = _gate_schema() if connection.vendor == "postgresql" else None
    out = run("--scale", "city", "--residents", "1500", "--seed", "6", "--jobs", "2")
    if before is not None:
        assert _gate_schema() == before
    assert "Office buildings:" in out and "Compound gates:" in out
    lobbies = Checkpoint.objects.filter(place__building__isnull=False)
    assert lobbies.count() > 10
    compounds = Checkpoint.objects.filter(place__jurisdiction__kind=NodeKind.GRID)
    shops = Checkpoint.objects.filter(place__name__endswith="超市入口卡口")
    assert compounds.count() > Node.objects.filter(kind=NodeKind.GRID).count() and shops.exists()
    assert not Place.objects.filter(kind=PlaceKind.CHECKPOINT, checkpoint__isnull=True).exists()
    # City passes are signed in bulk, numbers distinct and Luhn-valid, and they scan.
    from shoumen.gate.passes.services import check_pass, luhn_digit

    passes = ResidentPass.objects.all()
    assert passes.count() == Person.objects.exclude(kind="visitor").count()
    for p in passes[:50]:
        assert luhn_digit(p.number[:-1]) == p.number[-1]
        assert check_pass(p.qr_text, direction="in").person.pk == p.person_id
    # About ten entries a resident, lobbies included.
    assert 0.8 * 15_000 < Entry.objects.count() < 1.2 * 15_000
    for kind in (lobbies, compounds, shops):
        assert Entry.objects.filter(checkpoint__in=kind).exists()
