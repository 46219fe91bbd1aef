"""A case's close contacts as an Excel workbook (密切接触者名单): the search, the contacts (one
row each) and their exposures (one row each). Numbers are masked; writing one is audited."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from shoumen.core import audit
from shoumen.core.models import AuditAction
from shoumen.geo.models import NodeKind
from shoumen.ledgers.xlsx import header_cells, save_to_bytes, text_cells

from .contacts import ContactResult

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def community_label(person) -> str:
    """The person's community, with the grid after it when they are filed under a grid."""
    node = person.jurisdiction
    if node.kind == NodeKind.GRID and node.parent_id:
        return f"{node.parent.name} › {node.name}"
    return node.name


def _time(ws, value):
    """A local time cell (Excel has no time zones)."""
    cell = WriteOnlyCell(ws, value=timezone.localtime(value).replace(tzinfo=None))
    cell.number_format = TIME_FORMAT
    return cell


def _sheet(workbook, title: str, headers: list[str], widths: list[int]):
    ws = workbook.create_sheet(title[:31])
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.append(header_cells(ws, headers))
    return ws


def contacts_workbook(result: ContactResult) -> bytes:
    """The workbook of a (scope-marked) contact search."""
    workbook = Workbook(write_only=True)
    p, case = result.params, result.case
    ws = _sheet(workbook, _("Search"), [_("Item"), _("Value")], [26, 50])
    counts = result.counts
    for label, value in [
        (_("Case"), case.name), (_("ID number"), case.id_number_masked),
        (_("Community"), community_label(case)),
        (_("Period"), f"{timezone.localtime(p.since):%Y-%m-%d %H:%M} – "
                      f"{timezone.localtime(p.until):%Y-%m-%d %H:%M}"),
        (_("Window (± minutes)"), p.window_minutes), (_("Degrees"), p.degree),
        (_("Case's entries in the period"), counts["case_entries"]),
        (_("First-degree contacts"), counts["first"]),
        (_("Second-degree contacts"), counts["second"]),
        (_("Outside your jurisdiction"), counts["outside_scope"]),
        (_("Complete"), _("No: a limit was reached, there may be more contacts")
         if result.truncated else _("Yes")),
        (_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]:
        ws.append(text_cells(ws, [label, value]))

    ws = _sheet(workbook, _("Close contacts"),
                [_("Degree"), _("Name"), _("ID number"), _("Phone"), _("Community"), _("Status"),
                 _("In your jurisdiction"), _("Through"), _("First exposure"), _("Site"),
                 _("Checkpoint"), _("Exposures")],
                [8, 12, 22, 15, 22, 14, 10, 16, 18, 20, 20, 10])
    for c in result.contacts:
        first = c.first_exposure
        ws.append(text_cells(ws, [
            c.degree, c.person.name, c.person.id_number_masked, c.person.phone_masked,
            community_label(c.person), str(c.person.get_status_display()),
            _("Yes") if c.in_scope else _("No — notify their community"),
            "、".join(v.name for v in c.via), _time(ws, first.at), first.site_name,
            first.checkpoint.name, c.exposure_count]))

    ws = _sheet(workbook, _("Exposures"),
                [_("Degree"), _("Name"), _("ID number"), _("Time"), _("Checkpoint"), _("Site"),
                 _("Met"), _("Their time"), _("Their checkpoint"), _("Minutes apart")],
                [8, 12, 22, 18, 20, 20, 12, 18, 20, 12])
    for c in result.contacts:
        for x in c.exposures:
            ws.append(text_cells(ws, [
                c.degree, c.person.name, c.person.id_number_masked, _time(ws, x.at),
                x.checkpoint.name, x.checkpoint.site_name,
                x.linked_person.name, _time(ws, x.linked_at),
                x.linked_checkpoint.name, x.minutes_apart]))
    return save_to_bytes(workbook)


def export_contacts(result: ContactResult) -> bytes:
    """The workbook, with one ``export`` audit row on the case saying what was exported (by
    the acting user of the request or :func:`~shoumen.core.request_context.acting_as`)."""
    data = contacts_workbook(result)
    p = result.params
    audit.record(AuditAction.EXPORT, result.case,
                 note=("close contacts: {first} first degree, {second} second degree "
                       "(±{window} min, {days} days to {until})").format(
                     **result.counts, window=p.window_minutes, days=p.days,
                     until=timezone.localtime(p.until).strftime("%Y-%m-%d %H:%M")))
    return data


def filename(result: ContactResult) -> str:
    return f"contacts-{result.case.pk}-{timezone.localtime(result.params.until):%Y%m%d}.xlsx"


def download(result: ContactResult) -> HttpResponse:
    """The audited workbook as a file download (for the page and the API alike)."""
    response = HttpResponse(export_contacts(result), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename(result)}"'
    response["Cache-Control"] = "private, no-store"
    return response
