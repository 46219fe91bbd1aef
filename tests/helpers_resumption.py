"""The resumption workflow's world: the tower of the inspection tests, an on-site review plan
of enterprises added one by one, a restaurant requirement, and the files a declaration holds
(a PDF, a roster workbook with good or bad rows)."""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from shoumen.inspections import services as inspections
from shoumen.people import fake
from shoumen.resumption import declaring, services
from tests.helpers_inspections import GOOD, Tower

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HEADER = ["序号", "姓名", "身份证号", "手机号", "近14天所在地", "体温"]


def pdf(name="方案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def id_number(n: int) -> str:
    return fake.id_number("370103", date(1985, 3, 7), n)


def roster_rows(count: int = 3) -> list[list]:
    return [[n, f"员工{n}", id_number(n), f"1380000{n:04d}", "济南市历下区", 36.5]
            for n in range(1, count + 1)]


def roster(rows=None, name="员工健康台账.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["员工健康台账"])  # a title above the header, as the field's ledgers have
    sheet.append(HEADER)
    for row in roster_rows() if rows is None else rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument."
                                           "spreadsheetml.sheet")


BASELINE_FILES = ("prevention_plan", "emergency_plan", "commitment")
COMPLETE = {"employees_returning": 20, "disinfectant_litres": 50, "masks_on_hand": 500,
            "thermometers": 2, "commitment_signed_by": "王芳"}


class Resumption(Tower):
    """The tower, and the subdistrict's on-site review plan (every 3 days)."""

    def __init__(self, world):
        super().__init__(world)
        self.world = world
        self.onsite_plan = inspections.create_plan(
            actor=world.commander, jurisdiction=world.luoyuan, name="复工现场复核",
            source="enterprises", checklist=self.checklist, team=self.team,
            frequency="every_k_days", interval_days=3, starts_on=timezone.localdate())
        services.set_plans(actor=world.commander, jurisdiction=world.luoyuan,
                           onsite_review=self.onsite_plan)
        self.firm = self.firms[0]

    def declare(self, firm=None, actor=None, **changes):
        """A complete declaration saved (not submitted)."""
        firm = firm or self.firm
        return declaring.save_declaration(
            firm, actor=actor or self.liaison, changes={**COMPLETE, **changes},
            files={m: pdf() for m in BASELINE_FILES}, roster=roster())

    def to_onsite(self, firm=None):
        firm = firm or self.firm
        self.declare(firm)
        declaring.submit(firm, actor=self.liaison)
        return declaring.accept_papers(firm, actor=self.world.commander)

    def review(self, subject, answers=None, inspector=None):
        return inspections.record_inspection(
            subject, actor=inspector or subject.duty.owner, answers=answers or GOOD,
            signed_by="王芳")
