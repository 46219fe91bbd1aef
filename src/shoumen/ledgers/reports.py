"""The workbooks an import hands back: the error report and the empty template."""

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from . import jobs
from .registry import CellError, Importer
from .xlsx import header_cells, save_to_bytes, text_cells


def column_order(importer: Importer, key: str) -> int:
    for index, column in enumerate(importer.columns):
        if column.key == key:
            return index
    return len(importer.columns)


def error_dict(error: CellError, headers: dict[str, str]) -> dict:
    return {"row": error.row, "column": headers.get(error.column, error.column),
            "value": error.value, "message": error.message}


def error_report(errors: list[CellError], headers: dict[str, str]) -> bytes:
    """The downloadable list of problems: row, column, value (masked), what to do."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Problems"))
    for letter, width in zip("ABCD", (8, 16, 24, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.append(header_cells(sheet, [_("Row"), _("Column"), _("Value"), _("Problem")]))
    for error in errors:
        sheet.append(text_cells(sheet, [error.row, headers.get(error.column, error.column),
                                         error.value, error.message]))
    return save_to_bytes(workbook)


def template_workbook(importer: Importer) -> bytes:
    """An empty ledger with the expected headers, and a sheet explaining the columns with an
    example row."""
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(importer.label)[:31]
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE2E1")
    for index, column in enumerate(importer.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header())
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            # Typed as text so that Excel keeps every digit of an 18-digit number.
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(_("Instructions"))
    notes.append([_("Column"), _("Also accepted"), _("Required"), _("What to enter")])
    for cell in notes[1]:
        cell.font = bold
    for column in importer.columns:
        notes.append([column.header(), " / ".join([column.zh, column.en, *column.aliases]),
                      _("yes") if column.required else "", str(column.help)])
    for letter, width in zip("ABCD", (14, 40, 8, 90), strict=True):
        notes.column_dimensions[letter].width = width
    notes.append([])
    notes.append([_("Only the first sheet is read; fill it from row 2. At most %(max)s rows per "
                    "file.") % {"max": f"{jobs.MAX_ROWS:,}"}])
    # The example lives here, not on the first sheet, so an unchanged template imports nobody.
    notes.append([])
    notes.append([_("Example")])
    notes.append([column.header() for column in importer.columns])
    for example in importer.example_rows():
        notes.append(list(example))
    return save_to_bytes(workbook)
