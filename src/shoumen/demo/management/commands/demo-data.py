"""``shoumen demo-data``: fill an empty database with a deterministic, realistic demo world.

The world uses the real places of the source story (济南市, 历下区, 市中区 泺源街道 and its five
communities, 天桥区's railway station, the towers 绿地中心 / 金龙大厦 / 银座晶都 and the restaurant
泉客厅); every person, company and account in it is fictional. The same ``--seed`` always gives
the same people. ``--scale city`` adds a generated city of about 800 communities and a million
residents for benchmarks.

Then the gate (:mod:`shoumen.gate.demo.seed`): checkpoint rows, the demo guard at 泺文路社区's
gates, a pass for every resident, 14 days of entries up to now with their fever alerts, a few
refusals and (demo scale) one confirmed case; a city gets office buildings with lobby
checkpoints and about 10 entries per resident. Each gate part commits on its own and is
skipped when its rows exist, so ``--if-empty`` on a loaded world resumes what is missing.

Places, enterprises and role assignments are saved one by one and audited as the admin account.
Residents (and the generated city's nodes, checkpoints, a city's passes, and every entry) are
bulk-inserted without per-row audit rows, by design; one ``import`` audit event records the
world and residents, another the gate part. Demo-scale passes and fever alerts are audited
row by row.
"""

import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.accounts.models import User
from shoumen.core import audit, request_context
from shoumen.core.models import AuditAction
from shoumen.demo.duties import seed_duties
from shoumen.demo.world import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    build_world,
    create_accounts,
    demo_slots,
    ensure_tags,
    extend_city,
)
from shoumen.gate.demo.seed import seed_gate
from shoumen.geo.models import Node
from shoumen.people.demo.residents import generate_residents, seed_residents

DEFAULT_RESIDENTS = {"demo": 3_000, "city": 1_000_000}
# Residents per community in the generated city (a Jinan community has 1,000-3,000 people).
CITY_COMMUNITY_SIZE = 1_250


class Command(BaseCommand):
    help = ("Fill an empty database with the deterministic demo world (places, enterprises, "
            "demo accounts, residents); --scale city builds a million-resident city for "
            "benchmarks.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2020,
                            help="random seed; the same seed gives the same data (default 2020)")
        parser.add_argument("--scale", choices=("demo", "city"), default="demo",
                            help="demo: 泺源街道 with ~3,000 residents; city: a generated city "
                                 "with 1,000,000 residents")
        parser.add_argument("--residents", type=int, default=None,
                            help="number of residents (default 3,000 for demo, 1,000,000 for city)")
        parser.add_argument("--jobs", type=int, default=None,
                            help="worker processes that encrypt residents' numbers on PostgreSQL "
                                 "(default: one per CPU for city scale, none for demo)")
        parser.add_argument("--entries", type=int, default=None,
                            help="about how many gate entries over 14 days (default: the demo's "
                                 "behaviour model; 10 per resident for city)")
        parser.add_argument("--if-empty", action="store_true",
                            help="if the database already has jurisdictions, load only the gate "
                                 "parts still missing (passes, entries, ...) instead of failing")

    def handle(self, *args, seed, scale, residents, jobs, entries, if_empty, **options):
        total = DEFAULT_RESIDENTS[scale] if residents is None else residents
        if total < 0:
            raise CommandError("--residents must be 0 or more.")
        if jobs is None:
            jobs = (os.cpu_count() or 1) if scale == "city" else 1
        self._jobs = max(1, jobs)
        if Node._meta.db_table not in connection.introspection.table_names():
            raise CommandError("The database has no tables yet: run `shoumen migrate` first.")
        if entries is not None and entries < 0:
            raise CommandError("--entries must be 0 or more.")
        started = time.perf_counter()
        if Node.objects.exists():
            if not if_empty:
                raise CommandError(
                    "The database already has jurisdictions. demo-data only fills an empty "
                    "database: use a fresh database, or pass --if-empty to skip quietly.")
            self.stdout.write("The database already has jurisdictions; world and residents not "
                              "loaded.")
            self._accounts = None
            summary = []
            admin = User.objects.filter(username="admin").first()
            if admin is None:
                self.stdout.write("No admin account: gate demo data not loaded.")
                return
        else:
            with transaction.atomic():
                admin = User.objects.filter(username="admin").first()
                if admin is None:
                    admin = User.objects.create_user(username="admin", password=DEMO_PASSWORD,
                                                     display_name="系统管理员", is_staff=True,
                                                     is_superuser=True)
                    admin._demo_created = True
                with request_context.acting_as(admin):
                    summary = self._load(admin, seed, scale, total)
            for line in summary:
                self.stdout.write(line)
            self.stdout.flush()
        gate = self._load_gate(admin, seed, scale, entries)
        with request_context.acting_as(admin):
            duties = seed_duties(seed=seed, actor=admin)
        for line in duties.lines:
            self.stdout.write(line)
        if not summary and not gate.lines and not duties.lines:
            self.stdout.write("The gate demo data is loaded too; nothing to do.")
            return
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
        if self._accounts:
            self._print_accounts(self._accounts)
        self._print_gate()

    def _load_gate(self, admin, seed, scale, entries):
        """The gate parts still missing, each committed on its own (see gate.demo.seed)."""
        def progress(line):
            self.stdout.write(line)
            self.stdout.flush()

        with request_context.acting_as(admin):
            gate = seed_gate(seed=seed, scale=scale, actor=admin, now=timezone.now(),
                             entries=entries, jobs=self._jobs, progress=progress)
            if gate.notes:
                city = Node.objects.filter(parent=None).order_by("pk").first()
                audit.record(AuditAction.IMPORT, jurisdiction=city,
                             note=_("Demo gate data (seed %(seed)s, scale %(scale)s): %(parts)s")
                             % {"seed": seed, "scale": scale, "parts": "；".join(gate.notes)})
        for line in gate.lines:
            self.stdout.write(line)
        return gate

    def _print_gate(self):
        """The demo guard and a pass to scan with it (a normal resident of their community)."""
        from shoumen.gate.demo.seed import GUARD_COMMUNITY_CODE
        from shoumen.gate.passes.models import ResidentPass
        from shoumen.people.models import PersonStatus

        guard = User.objects.filter(username="guard").first()
        sample = (ResidentPass.objects.filter(
            revoked_at=None, person__status=PersonStatus.NORMAL,
            person__jurisdiction__parent__code=GUARD_COMMUNITY_CODE)
            .select_related("person").order_by("person_id").first())
        if guard is None or sample is None:
            return
        checkpoints = ", ".join(str(c) for c in guard.guarded_checkpoints.order_by("pk"))
        self.stdout.write("")
        self.stdout.write(f"Demo guard: {guard.username} ({guard.display_name}) at {checkpoints}")
        self.stdout.write(f"Sample pass: {sample.number} ({sample.holder_display}, "
                          f"{sample.jurisdiction}); QR text:")
        self.stdout.write(f"  {sample.qr_text}")

    def _load(self, admin, seed, scale, total):
        world = build_world(seed)
        self._accounts = create_accounts(world, admin)
        tags = ensure_tags()
        slots = demo_slots(world)
        nodes = {grid.pk: grid for grids in world.grids.values() for grid in grids}
        summary = [
            f"World: 济南市, {len(world.districts)} districts, {len(world.subdistricts)} "
            f"subdistricts, {len(world.communities)} communities in 泺源街道 with "
            f"{len(nodes)} grids, {world.places} places, {len(world.enterprises)} enterprises.",
        ]
        note = _("Demo data (seed %(seed)s, scale %(scale)s)") % {"seed": seed, "scale": scale}
        if scale == "city":
            t = time.perf_counter()
            communities = max(2, round(total / CITY_COMMUNITY_SIZE) - len(world.communities))
            ext = extend_city(world, seed, communities)
            slots += ext.slots
            nodes.update(ext.nodes)
            line = (f"Generated city: {ext.districts} more districts, {ext.subdistricts} "
                    f"subdistricts, {ext.communities} communities, {ext.grids} grids, "
                    f"{ext.checkpoints} checkpoints ({time.perf_counter() - t:.1f} s).")
            self.stdout.write(line)
            summary.append(line)
            note += "；" + _("generated %(districts)s districts, %(subdistricts)s subdistricts, "
                             "%(communities)s communities, %(grids)s grids, %(checkpoints)s "
                             "checkpoints") % vars(ext)

        def progress(done, seconds):
            self.stdout.write(f"  {done:,} residents in {seconds:.0f} s ({done / seconds:,.0f}/s)")
            self.stdout.flush()

        stats = seed_residents(generate_residents(seed, slots, total), nodes=nodes, tags=tags,
                               actor=admin, now=timezone.now(), jobs=self._jobs,
                               progress=progress)
        note += "；" + _("%(people)s residents in %(households)s households, %(tagged)s "
                         "tagged, %(status_changes)s status changes (inserted in bulk, without "
                         "an audit row each)") % vars(stats)
        audit.record(AuditAction.IMPORT, jurisdiction=world.city, note=note)
        rate = stats.people / stats.seconds if stats.seconds else 0
        summary.append(
            f"Residents: {stats.people:,} in {stats.households:,} households across "
            f"{len(slots):,} grids; {stats.tagged:,} with key-person tags, "
            f"{stats.observation:,} in home observation ({stats.seconds:.1f} s, {rate:,.0f}/s)."
        )
        return summary

    def _print_accounts(self, accounts):
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        created = {account.username: was_created for account, was_created in accounts}
        width = max(len(a.username) for a in DEMO_ACCOUNTS)
        for account in DEMO_ACCOUNTS:
            extra = "" if created.get(account.username, True) else "  (existing; password unchanged)"
            self.stdout.write(f"  {account.username:<{width}}  {account.role_label} @ {account.where}{extra}")
