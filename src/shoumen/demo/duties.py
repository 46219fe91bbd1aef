"""The demo's inspections, disinfection and patrols (issue 9), with two weeks of history.

Checklist templates (the nine kinds of small venues, office-tower public areas, the
enterprise daily check, isolation-site patrols); teams (an inspection team for the towers,
one per community for the small venues, 泺源街道's supervision task force of six, a working
group for each isolation site of 历下区); trainings (one crew member left untrained, to be
refused); plans (every enterprise of 绿地中心, 金龙大厦 and 银座晶都 daily, each tower's public
areas, each community's venues); disinfection sites (the towers' lift cars, lobbies, garbage
stations, car parks and mask bins; the sewage pipeline segments and manholes outside each
isolation site, three patrols a day; the water bureau's vehicles, quarters and entrance).

The last 14 days are filled through the services, as staff would have recorded them: most
windows on time, some late, some missed; failed items with their rectifications in every
state (open, answered, closed, overdue and escalated). Past windows are laid out with the
duties' start moved back in memory; a record entered now for a past window would count as
late, so the windows meant to be on time are then marked so (windows are bookkeeping, not
audited records).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from shoumen.accounts.models import RoleAssignment, TeamKind, TeamPosition, User
from shoumen.accounts.roles import Role
from shoumen.accounts.teams import create_team, record_training
from shoumen.checklists.models import Checklist
from shoumen.checklists.services import create_checklist
from shoumen.disinfection import services as disinfection
from shoumen.disinfection.models import Site
from shoumen.duties.models import Duty, Window, WindowState
from shoumen.duties.services import lay_out, sweep
from shoumen.geo.models import Node, Place, PlaceKind
from shoumen.inspections import services as inspections
from shoumen.inspections.models import InspectionPlan, Rectification
from shoumen.resumption import services as resumption

HISTORY_DAYS = 14
DEMO_STAFF = ("luoyuan", "inspector", "community", "disinfection", "duty")
THREE_A_DAY = [["08:00", "10:00"], ["13:00", "15:00"], ["18:00", "20:00"]]
TWICE_A_DAY = [["08:00", "10:00"], ["16:00", "18:00"]]
DAILY = [["08:00", "18:00"]]

YES_NO, NUMBER, CHOICE, NOTE = "yes_no", "number", "choice", "note"
CHECKLISTS = {
    "small-venue": ("九小场所日常检查", "small_venue", [
        ("temperature", "入口设置体温检测，登记进出人员", YES_NO, True),
        ("masks", "从业人员佩戴口罩", YES_NO, True),
        ("disinfection-log", "每日消毒并有消毒记录", YES_NO, True),
        ("ventilation", "室内通风良好", YES_NO, False),
        ("crowding", "控制人员密度，无聚集", YES_NO, False),
        ("chlorine", "含氯消毒液浓度（mg/L）", (NUMBER, 250, 1000, "mg/L"), False),
        ("note", "其他问题", NOTE, False),
    ]),
    "office-public-area": ("写字楼公共区域检查", "office_public_area", [
        ("lift", "电梯轿厢按时消毒并公示", YES_NO, True),
        ("lobby", "大堂设置测温点和扫码登记", YES_NO, True),
        ("mask-bin", "废弃口罩专用收集桶醒目、及时清运", (CHOICE, ["及时", "不及时", "未设置"],
                                             ["不及时", "未设置"]), True),
        ("garbage", "垃圾中转站每日消毒", YES_NO, False),
        ("car-park", "地下停车场通风消毒", YES_NO, False),
    ]),
    "enterprise-daily": ("企业每日检查", "enterprise_daily", [
        ("temperature-point", "设置测温点，员工每日测温", YES_NO, True),
        ("roster", "员工健康台账完整", YES_NO, False),
        ("masks", "口罩储备", (CHOICE, ["充足（7天以上）", "不足", "无"], ["不足", "无"]), False),
        ("canteen", "食堂分餐、错峰就餐", YES_NO, False),
        ("disinfection", "办公区域每日消毒", YES_NO, True),
    ]),
    "resumption-onsite": ("复工现场复核", "resumption_onsite", [
        ("temperature-point", "入口设置测温点", YES_NO, True),
        ("registration", "人员进出登记", YES_NO, False),
        ("disinfection-log", "消毒记录完整", YES_NO, True),
        ("masks", "口罩储备", (CHOICE, ["充足（7天以上）", "不足", "无"], ["不足", "无"]), False),
        ("ventilation", "办公场所通风", YES_NO, False),
        ("canteen", "食堂就餐间距1米以上、错峰就餐", YES_NO, False),
        ("isolation-room", "设置临时隔离观察室", YES_NO, False),
    ]),
    "isolation-patrol": ("隔离观察点污水管网巡查", "isolation_patrol", [
        ("overflow", "无冒溢", YES_NO, True),
        ("chlorine", "投加消毒剂余氯（mg/L）", (NUMBER, 6.5, 10, "mg/L"), False),
        ("manhole-covers", "井盖完好、密闭", YES_NO, True),
    ]),
}


@dataclass
class DutySeed:
    """What :func:`seed_duties` made, for the console."""

    lines: list[str] = field(default_factory=list)


def _items(rows) -> list[dict]:
    items = []
    for key, text, kind, photo in rows:
        item = {"key": key, "text": text, "kind": kind, "photo_when_failed": photo,
                "required": kind != NOTE}
        if isinstance(kind, tuple):
            item["kind"] = kind[0]
            if kind[0] == NUMBER:
                item["options"] = {"min": kind[1], "max": kind[2], "unit": kind[3]}
            else:
                item["options"] = {"choices": kind[1], "failing": kind[2]}
        items.append(item)
    return items


def _staff(username: str, name: str, role: str, node: Node) -> User:
    """A member of staff who does not sign in to the demo (no usable password)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=None, display_name=name)
        RoleAssignment.objects.create(user=user, role=role, node=node)
    return user


def _photo(rng: random.Random) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (rng.randrange(256), rng.randrange(256), 180)).save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def seed_duties(*, seed: int, actor, now: datetime | None = None) -> DutySeed:
    """Load the demo's inspections and disinfection once (nothing if checklists exist)."""
    result = DutySeed()
    # Only into the demo world: a real database with a 泺源街道 but none of the demo's staff
    # (a deployment running `demo-data --if-empty`) is left alone.
    if Checklist.objects.exists() or not Node.objects.filter(name="泺源街道").exists() \
            or User.objects.filter(username__in=DEMO_STAFF).count() < len(DEMO_STAFF):
        return result
    now = now or timezone.now()
    rng = random.Random(f"shoumen-duties:{seed}")
    with transaction.atomic():
        _Builder(rng, actor, now, result).build()
    return result


class _Builder:
    def __init__(self, rng, actor, now, result):
        self.rng, self.actor, self.now, self.result = rng, actor, now, result
        self.today = timezone.localdate(now)
        self.first = self.today - timedelta(days=HISTORY_DAYS)
        self.luoyuan = Node.objects.get(name="泺源街道")
        self.lixia = Node.objects.get(name="历下区")

    def build(self):
        checklists = {code: create_checklist(
            actor=self.actor, jurisdiction=self.lixia if code == "isolation-patrol" else self.luoyuan,
            code=code, name=name, purpose=purpose, items=_items(rows)).checklist
            for code, (name, purpose, rows) in CHECKLISTS.items()}
        task_force = self._task_force()
        plans = self._plans(checklists, task_force)
        sites = self._sites()
        duties = list(Duty.objects.filter(plan_subject__plan__in=plans)) + [s.duty for s in sites]
        windows = self._lay_out_history(duties)
        self._history(windows)
        self._rectifications()
        self.result.lines.append(
            f"Duties: {len(checklists)} checklists, {len(plans)} inspection plans "
            f"({sum(p.subjects.count() for p in plans)} subjects), {len(sites)} disinfection "
            f"and patrol sites, {HISTORY_DAYS} days of history "
            f"({Window.objects.exclude(state=WindowState.DUE).count():,} windows recorded or "
            f"missed, {Rectification.objects.count()} rectifications).")

    # --- people and teams ---------------------------------------------------------------

    def _task_force(self):
        commander = User.objects.get(username="luoyuan")
        members = [(commander, TeamPosition.LEADER, "街道办事处")]
        for n, (unit, name) in enumerate((("经发中心", "高建国"), ("应急办", "冯丽"),
                                          ("派出所", "韩磊"), ("市场监管所", "曹敏"),
                                          ("城管执法中队", "邓浩"))):
            members.append((_staff(f"taskforce{n + 1}", name, Role.DUTY_OFFICER, self.luoyuan),
                            TeamPosition.MEMBER, unit))
        return create_team(actor=self.actor, jurisdiction=self.luoyuan,
                           kind=TeamKind.SUPERVISION, name="泺源街道复工复产督导专班",
                           members=members)

    def _plans(self, checklists, task_force) -> list[InspectionPlan]:
        inspector = User.objects.get(username="inspector")
        commander = User.objects.get(username="luoyuan")
        towers_team = create_team(
            actor=self.actor, jurisdiction=self.luoyuan, kind=TeamKind.INSPECTION,
            name="泺源街道楼宇检查组",
            members=[(commander, TeamPosition.LEADER, ""), (inspector, TeamPosition.MEMBER, "经发中心"),
                     (_staff("inspector2", "田雨", Role.INSPECTOR, self.luoyuan),
                      TeamPosition.MEMBER, "经发中心")])
        plans = []
        for tower in Place.objects.filter(kind=PlaceKind.BUILDING,
                                          jurisdiction__parent=self.luoyuan).order_by("pk"):
            plans.append(inspections.create_plan(
                actor=self.actor, jurisdiction=self.luoyuan, name=f"{tower.name}企业每日检查",
                source="building_enterprises", building=tower,
                checklist=checklists["enterprise-daily"], team=towers_team,
                task_force=task_force, starts_on=self.first))
            plans.append(inspections.create_plan(
                actor=self.actor, jurisdiction=self.luoyuan, name=f"{tower.name}公共区域检查",
                source="building", building=tower, checklist=checklists["office-public-area"],
                team=towers_team, task_force=task_force, starts_on=self.first, rectify_days=1))
        for n, community in enumerate(self.luoyuan.children.order_by("code")):
            staff = (User.objects.get(username="community") if n == 0 else
                     _staff(f"venues{n + 1}", ("黄磊", "林静", "罗斌", "谢芳")[n - 1],
                            Role.COMMUNITY_WORKER, community))
            team = create_team(actor=self.actor, jurisdiction=community, kind=TeamKind.INSPECTION,
                               name=f"{community.name}九小场所检查组",
                               members=[(staff, TeamPosition.MEMBER, community.name)])
            if Place.objects.filter(kind=PlaceKind.VENUE, jurisdiction=community).exists():
                plans.append(inspections.create_plan(
                    actor=self.actor, jurisdiction=community, name=f"{community.name}九小场所检查",
                    source="community_venues", area=community, checklist=checklists["small-venue"],
                    team=team, task_force=task_force, starts_on=self.first, rectify_days=2))
        onsite = inspections.create_plan(
            actor=self.actor, jurisdiction=self.luoyuan, name="泺源街道复工现场复核",
            source="enterprises", checklist=checklists["resumption-onsite"], team=towers_team,
            task_force=task_force, frequency="every_k_days", interval_days=3,
            starts_on=self.first)
        resumption.set_plans(actor=self.actor, jurisdiction=self.luoyuan, onsite_review=onsite)
        for material, why in (("health_certificates", "餐饮从业人员须持有效健康证明"),
                              ("dining_plan", "堂食须间隔就座、错峰就餐")):
            resumption.add_requirement(actor=self.actor, jurisdiction=self.luoyuan,
                                       category="catering", material=material, note=why)
        return plans

    def _trained(self, username, name, role, node) -> User:
        user = _staff(username, name, role, node)
        record_training(actor=self.actor, user=user, jurisdiction=node, topic="disinfection",
                        trained_on=self.first - timedelta(days=3),
                        valid_until=self.today + timedelta(days=180), trainer="区疾控中心")
        return user

    def _sites(self) -> list[Site]:
        sites = []
        for n, tower in enumerate(Place.objects.filter(kind=PlaceKind.BUILDING,
                                                       jurisdiction__parent=self.luoyuan)
                                  .order_by("pk")):
            cleaner = self._trained(f"property{n + 1}", ("张师傅", "李师傅", "刘师傅")[n % 3],
                                    Role.DISINFECTION_CREW, tower.jurisdiction)
            for kind, name, windows in (("lift_car", "1号电梯轿厢", THREE_A_DAY),
                                        ("lobby", "一层大堂", TWICE_A_DAY),
                                        ("garbage_station", "垃圾中转站", DAILY),
                                        ("car_park", "地下停车场", DAILY),
                                        ("mask_bin", "大堂废弃口罩收集桶", TWICE_A_DAY)):
                sites.append(disinfection.create_site(
                    actor=self.actor, jurisdiction=tower.jurisdiction, kind=kind, name=name,
                    place=tower, party=tower.property_company, responsible=cleaner,
                    windows=windows, concentration_min=250, concentration_max=500,
                    starts_on=self.first))
        crew = User.objects.get(username="disinfection")
        duty_officer = User.objects.get(username="duty")  # leads the working groups, on site too
        for user in (crew, duty_officer):
            record_training(actor=self.actor, user=user, jurisdiction=self.lixia,
                            topic="disinfection", trained_on=self.first - timedelta(days=5),
                            valid_until=self.today + timedelta(days=180), trainer="区疾控中心")
        _staff("crew_untrained", "新来的周强", Role.DISINFECTION_CREW, self.lixia)  # refused
        for n, site in enumerate(Place.objects.filter(kind=PlaceKind.ISOLATION_SITE).order_by("pk")):
            deputy = self._trained(f"drainage{n + 1}", ("孔德明", "朱海涛", "梁志远")[n % 3],
                                   Role.DISINFECTION_CREW, self.lixia)
            group = create_team(actor=self.actor, jurisdiction=self.lixia,
                                kind=TeamKind.WORKING_GROUP, name=f"{site.name}工作专班",
                                place=site,
                                members=[(duty_officer, TeamPosition.LEADER, "水务局"),
                                         (deputy, TeamPosition.DEPUTY, "排水科"),
                                         (crew, TeamPosition.MEMBER, "排水管理处")])
            for kind, name in (("pipeline", "东侧污水管段"), ("pipeline", "西侧污水管段"),
                               ("manhole", "出水口检查井")):
                sites.append(disinfection.create_site(
                    actor=self.actor, jurisdiction=site.jurisdiction, kind=kind, name=name,
                    place=site, party="区水务局排水科", responsible=crew, team=group,
                    agent="含氯消毒剂", concentration_min=500, concentration_max=1000,
                    windows=THREE_A_DAY, starts_on=self.first))
        for kind, name in (("vehicle", "巡查车 鲁A·S3172"), ("vehicle", "应急抢险车 鲁A·S5096"),
                           ("staff_quarters", "职工宿舍"), ("entrance", "水务局机关出入口")):
            sites.append(disinfection.create_site(
                actor=self.actor, jurisdiction=self.lixia, kind=kind, name=name,
                party="区水务局办公室", responsible=crew, windows=DAILY, starts_on=self.first))
        return sites

    # --- history ----------------------------------------------------------------------------

    def _lay_out_history(self, duties) -> list[Window]:
        start = timezone.make_aware(datetime.combine(self.first, time.min))
        for duty in duties:
            duty.created_at = start  # in memory only: lay out the days before it was set up
        day = self.first
        while day <= self.today:
            lay_out(day, duties=duties)
            day += timedelta(days=1)
        return list(Window.objects.filter(duty__in=duties, ends_at__lte=self.now)
                    .select_related("duty").order_by("starts_at", "pk"))

    def _history(self, windows: list[Window]):
        on_time, missed = [], []
        subjects = {s.duty_id: s for s in inspections.PlanSubject.objects.select_related(
            "plan__checklist")}
        sites = {s.duty_id: s for s in Site.objects.all()}
        for window in windows:
            roll = self.rng.random()
            if roll < 0.08:
                missed.append(window)
                continue
            span = (window.ends_at - window.starts_at).total_seconds()
            if span > 12 * 3600:  # a whole day: inspected in office hours
                at = window.starts_at + timedelta(hours=self.rng.uniform(9, 17))
            else:
                at = window.starts_at + timedelta(seconds=self.rng.uniform(0.1, 0.8) * span)
            if window.duty_id in subjects:
                self._inspect(subjects[window.duty_id], at)
            else:
                self._disinfect(sites[window.duty_id], at)
            if roll >= 0.14:  # 6 % were entered after their window closed: late
                on_time.append(window.pk)
        Window.objects.filter(pk__in=on_time, state=WindowState.LATE).update(state=WindowState.DONE)
        sweep(self.now)
        for window in Window.objects.filter(pk__in=[w.pk for w in missed]):
            window.missed_at = window.ends_at + timedelta(minutes=5)
            window.save(update_fields=["missed_at"])

    def _inspect(self, subject, at):
        version = subject.plan.checklist.current()
        answers, photos = {}, {}
        for item in version.items.all():
            fails = self.rng.random() < 0.015
            if item.kind == YES_NO:
                answers[item.key] = "no" if fails else "yes"
            elif item.kind == NUMBER:
                low, high = float(item.options["min"]), float(item.options["max"])
                answers[item.key] = str(round(low * 0.5 if fails else self.rng.uniform(low, high)))
            elif item.kind == CHOICE:
                answers[item.key] = (item.options["failing"][0] if fails
                                     else item.options["choices"][0])
            if fails and item.photo_when_failed:
                photos[item.key] = _photo(self.rng)
        return inspections.record_inspection(
            subject, actor=subject.duty.owner, answers=answers, photos=photos, inspected_at=at,
            signed_by=self.rng.choice(("王经理", "李主管", "赵店长", "陈负责人", "孙老板")))

    def _disinfect(self, site, at):
        if site.patrolled:
            operation, worn = "patrolled", ["gown", "goggles", "mask", "shoe_covers"]
        else:
            operation = "emptied" if site.kind == "mask_bin" else "disinfected"
            worn = ["mask", "gown"] if self.rng.random() < 0.5 else ["mask"]
        low, high = site.concentration_min, site.concentration_max
        value = self.rng.randint(low, high) if low is not None else None
        if value is not None and self.rng.random() < 0.03:
            value = low // 2  # diluted too far: flagged in the register
        return disinfection.record(site, actor=site.responsible, operation=operation,
                                   protection=worn, concentration=value, done_at=at)

    def _rectifications(self):
        """Answered, re-inspected, closed or escalated, as the field would have it."""
        for rectification in Rectification.objects.select_related("subject__duty").order_by("pk"):
            liaison = rectification.enterprise.liaisons.first() if rectification.enterprise_id \
                else None
            inspector = rectification.subject.duty.owner
            # a venue's or a building's answer is filed by its community's staff
            party = liaison.user if liaison is not None else RoleAssignment.objects.filter(
                role=Role.COMMUNITY_WORKER, node=rectification.jurisdiction).first().user
            roll = self.rng.random()
            if roll < 0.2:
                continue  # still open: escalated below once past its deadline
            inspections.answer(rectification, actor=party, note="已按要求整改，附整改后照片。",
                               files=[_photo(self.rng)])
            if roll < 0.35:
                continue  # answered, waiting for the re-inspection
            if roll < 0.45:
                inspections.reinspect(rectification, actor=inspector, passed=False,
                                      note="整改不到位，限期再次整改。",
                                      deadline=self.today + timedelta(days=2))
                continue
            inspections.reinspect(rectification, actor=inspector, passed=True, note="复查合格，销号。")
        inspections.escalate_overdue(self.today)
