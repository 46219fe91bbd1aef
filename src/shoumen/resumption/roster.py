"""The employee health roster (员工健康台账) of a declaration: the columns an uploaded workbook
has and how each row is checked. It is read by the ledgers' own pipeline
(:func:`shoumen.ledgers.attached.check_workbook`) while the declaration is saved, so a roster
with one bad row is refused with the rows named and nothing of the declaration is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import pii
from shoumen.ledgers.registry import (
    CellError,
    Column,
    Importer,
    cell_text,
    id_number_cell,
    masked_id_cell,
)

FEVER = Decimal("37.3")  # from this temperature on, a fever (发热)
LOWEST, HIGHEST = Decimal("34.0"), Decimal("42.5")
WHEREABOUTS_MAX = 200
_DEGREES = re.compile(r"\s*(℃|°C|°|度)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RosterRow:
    row: int
    name: str
    id_number: str
    phone: str
    whereabouts: str
    temperature: Decimal

    @property
    def fever(self) -> bool:
        return self.temperature >= FEVER


class RosterReader(Importer):
    """The columns and checks of a health roster; not a ledger import of its own (it is not
    registered): its rows belong to the declaration they came with."""

    kind = "health_roster"
    label = gettext_lazy("Employee health roster")
    capability = "resumption.declare"
    columns = (
        Column("name", "姓名", "Name", required=True, width=12),
        Column("id_number", "身份证号", "ID number", required=True, width=22, text=True,
               aliases=("身份证号码", "公民身份号码", "身份证")),
        Column("phone", "手机号", "Phone", required=True, width=15, text=True,
               aliases=("手机号码", "联系电话", "电话", "手机")),
        Column("whereabouts", "近14天所在地", "Where in the last 14 days", required=True,
               width=30, aliases=("14天行程", "近14天行程", "近14天居住地", "14天内所在地",
                                  "Whereabouts")),
        Column("temperature", "体温", "Temperature", required=True, width=10,
               aliases=("体温(℃)", "今日体温", "体温℃")),
    )

    def begin(self, ctx):
        ctx.data["seen"] = {}

    def validate_row(self, ctx, row, values):
        errors: list[CellError] = []

        def problem(column, value, message):
            errors.append(CellError(row, column, value, str(message)))

        name = cell_text(values.get("name"))
        if not name:
            problem("name", "", _("Name is required."))
        elif len(name) > 50:
            problem("name", name[:20] + "…", _("The name is longer than 50 characters."))
        id_number = ""
        try:
            id_number = id_number_cell(values.get("id_number"))
        except ValidationError as exc:
            problem("id_number", masked_id_cell(cell_text(values.get("id_number"))),
                    exc.messages[0])
        else:
            first = ctx.data["seen"].setdefault(id_number, row)
            if first != row:
                problem("id_number", pii.mask_id_number(id_number),
                        _("The same ID number is already in row %(row)d; list each employee "
                          "once.") % {"row": first})
        phone = cell_text(values.get("phone"))
        try:
            phone = pii.validate_phone(phone) if phone else ""
        except ValidationError as exc:
            problem("phone", phone, " ".join(exc.messages))
        else:
            if not phone:
                problem("phone", "", _("The employee's phone is required, to reach them."))
        whereabouts = cell_text(values.get("whereabouts"))
        if not whereabouts:
            problem("whereabouts", "", _("Say where the employee spent the last 14 days "
                                         "(city and district, e.g. 济南市历下区)."))
        elif len(whereabouts) > WHEREABOUTS_MAX:
            problem("whereabouts", whereabouts[:20] + "…",
                    _("Keep it under %(n)d characters.") % {"n": WHEREABOUTS_MAX})
        temperature = _temperature(values.get("temperature"))
        if temperature is None:
            problem("temperature", cell_text(values.get("temperature")),
                    _("Give today's temperature in °C with one decimal, e.g. 36.5."))
        if errors:
            return None, errors
        return RosterRow(row, name, id_number, phone, whereabouts, temperature), []


def _temperature(value) -> Decimal | None:
    text = _DEGREES.sub("", cell_text(value))
    try:
        number = Decimal(text).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        return None
    return number if LOWEST <= number <= HIGHEST else None


READER = RosterReader()
