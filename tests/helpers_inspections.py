"""An office tower with two enterprises under a daily inspection plan, for the inspection
tests and the browser walk: the team (a leader and two inspectors), a liaison per
enterprise, the supervision task force, the enterprise checklist."""

import io
from datetime import datetime, time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shoumen.accounts import teams
from shoumen.accounts.models import TeamKind, TeamPosition
from shoumen.checklists import services as checklists
from shoumen.inspections import services
from tests.factories import enterprise, place, user

ITEMS = [
    {"key": "temperature-point", "text": "设置体温检测点", "kind": "yes_no",
     "photo_when_failed": True},
    {"key": "chlorine", "text": "含氯消毒液浓度", "kind": "number",
     "options": {"min": 500, "max": 1000, "unit": "mg/L"}},
    {"key": "masks", "text": "口罩储备", "kind": "choice",
     "options": {"choices": ["充足", "不足"], "failing": ["不足"]}},
]
GOOD = {"temperature-point": "yes", "chlorine": "800", "masks": "充足"}


def local(day, hh, mm=0):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def photo(name="p.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class Tower:
    def __init__(self, world):
        self.building = place(world.community_a, "绿地中心", property_company="绿地物业")
        self.firms = [enterprise(world.community_a, "甲科技", credit_code="91370103MA3C8XJQ08",
                                 building=self.building),
                      enterprise(world.community_a, "乙贸易", credit_code="91370100MA3C4GQY2W",
                                 building=self.building)]
        self.inspectors = [user("insp_1", "inspector", world.luoyuan),
                           user("insp_2", "inspector", world.luoyuan)]
        self.liaison = user("liaison", "enterprise_liaison", enterprise=self.firms[0])
        self.other_liaison = user("liaison_2", "enterprise_liaison", enterprise=self.firms[1])
        self.supervisor = user("police", "duty_officer", world.luoyuan)
        self.team = teams.create_team(
            actor=world.commander, jurisdiction=world.luoyuan, kind=TeamKind.INSPECTION,
            name="楼宇检查组", members=[(world.commander, TeamPosition.LEADER, "经发中心"),
                                      *((i, TeamPosition.MEMBER, "") for i in self.inspectors)])
        self.task_force = teams.create_team(
            actor=world.commander, jurisdiction=world.luoyuan, kind=TeamKind.SUPERVISION,
            name="督导专班", members=[(self.supervisor, TeamPosition.MEMBER, "派出所")])
        self.checklist = checklists.create_checklist(
            actor=world.commander, jurisdiction=world.luoyuan, code="enterprise-daily",
            name="企业每日检查", purpose="enterprise_daily", items=ITEMS).checklist
        self.plan = services.create_plan(
            actor=world.commander, jurisdiction=world.luoyuan, name="绿地中心企业每日检查",
            source="building_enterprises", building=self.building, checklist=self.checklist,
            team=self.team, task_force=self.task_force, starts_on=timezone.localdate())
        self.subjects = list(self.plan.subjects.order_by("name"))
