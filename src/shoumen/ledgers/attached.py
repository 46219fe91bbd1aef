"""A small workbook that belongs to a record (a declaration's employee health roster),
checked while the upload request is open by the same pipeline as an import: the same file
checks, header matching, row validation and messages, but no job, no error report to
download and nothing written — the caller stores the good records inside its own service.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from shoumen.core import uploads

from .checking import check_rows
from .jobs import LedgerFileError
from .reading import SheetRows
from .registry import CellError, ImportContext, Importer

MAX_ROWS = 5000  # an enterprise's roster; anything longer is a ledger import
MAX_SHOWN = 20  # problems listed in the message; the count says how many more


def check_workbook(upload, importer: Importer, *, user) -> list[Any]:
    """The good records of ``upload`` for ``importer`` if every row is good; else a
    ValidationError that lists the problems by Excel row and column header (the first
    :data:`MAX_SHOWN` of them and how many more)."""
    try:
        uploads.check_upload(upload, kinds={uploads.XLSX})
        upload.seek(0)
        uploads.scan_xlsx(upload)
        upload.seek(0)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parse failure means "not a workbook we can read"
        raise ValidationError(uploads.not_xlsx_message()) from None
    try:
        if not workbook.worksheets:
            raise ValidationError(_("The workbook has no worksheet; put the list on the first "
                                    "sheet and upload again."))
        sheet = workbook.worksheets[0]
        if (sheet.max_row or 0) > MAX_ROWS + 10:
            raise ValidationError(_too_long())
        ctx = ImportContext(job=None, user=user)
        try:
            records, errors, _bad, count = check_rows(None, importer, ctx, SheetRows(
                sheet.max_row, sheet.iter_rows(values_only=True)))
        except LedgerFileError as exc:
            raise ValidationError(str(exc)) from None
    finally:
        workbook.close()
    if count > MAX_ROWS:
        raise ValidationError(_too_long())
    if errors:
        raise ValidationError(_listed(errors, ctx.data.get("_headers", {}), importer))
    return records


def _listed(errors: list[CellError], headers: dict[str, str], importer: Importer) -> list[str]:
    rows = sorted({e.row for e in errors})
    lines = [_("%(rows)d rows have problems (rows %(list)s); nothing was saved. Correct them "
               "in the file and upload it again.")
             % {"rows": len(rows), "list": ", ".join(str(r) for r in rows[:MAX_SHOWN])
                + ("…" if len(rows) > MAX_SHOWN else "")}]
    for error in sorted(errors, key=lambda e: e.row)[:MAX_SHOWN]:
        header = headers.get(error.column) or importer.column(error.column).header()
        lines.append(_("Row %(row)d, %(column)s: %(message)s")
                     % {"row": error.row, "column": header, "message": error.message})
    if len(errors) > MAX_SHOWN:
        lines.append(_("…and %(n)d more problems.") % {"n": len(errors) - MAX_SHOWN})
    return lines


def _too_long() -> str:
    return _("The list has more than %(max)s rows; an enterprise's list is shorter. Check "
             "that it is the right file.") % {"max": f"{MAX_ROWS:,}"}
