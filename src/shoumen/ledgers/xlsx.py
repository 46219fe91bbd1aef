"""Small helpers for writing workbooks safely and for reading uploaded ones."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font


def not_xlsx_message() -> str:
    return _("The file is not an Excel .xlsx workbook; save it as .xlsx (Excel or WPS: File → "
             "Save As → Excel Workbook) and upload again.")


def sniff_xlsx(fileobj) -> str | None:
    """Why ``fileobj`` cannot be an .xlsx workbook, or None if it looks like one.

    Reads only the zip directory and ``[Content_Types].xml``, so it is cheap enough to run
    while the upload request is still open. The file position is restored.
    """
    start = fileobj.tell() if hasattr(fileobj, "tell") else 0
    try:
        fileobj.seek(0)
        head = fileobj.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            # OLE2: the old .xls format, or an .xlsx protected with a password.
            return _("This is an old-style .xls workbook or a password-protected one; open it in "
                     "Excel or WPS, remove any password, save it as .xlsx and upload again.")
        if not head.startswith(b"PK"):
            return not_xlsx_message()
        fileobj.seek(0)
        try:
            with zipfile.ZipFile(fileobj) as archive:
                names = set(archive.namelist())
                if "[Content_Types].xml" not in names:
                    return not_xlsx_message()
                content_types = archive.read("[Content_Types].xml")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError):
            return not_xlsx_message()
        if b"spreadsheetml" not in content_types and b"ms-excel" not in content_types:
            return not_xlsx_message()
        return None
    finally:
        fileobj.seek(start)


def text_cells(ws, values: list[Any]) -> list[Any]:
    """Row values for a write-only sheet, with any string starting with "=" kept as text.

    openpyxl stores such strings as formulas; a name or address typed as "=HYPERLINK(...)"
    must never become a live formula in a ledger someone else opens.
    """
    out = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(value)
    return out


def header_cells(ws, headers: list[str]) -> list[WriteOnlyCell]:
    bold = Font(bold=True)
    cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        cell.data_type = "s"
        cells.append(cell)
    return cells


def save_to_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
