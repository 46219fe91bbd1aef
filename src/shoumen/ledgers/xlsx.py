"""Small helpers for writing workbooks safely and for reading uploaded ones.

Uploaded workbooks are checked by :mod:`shoumen.core.uploads` (the one upload checker) before
openpyxl opens them; :func:`long_cell` is the check on the rows as they stream.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from shoumen.core.uploads import EXCEL_MAX_CELL_CHARS, not_xlsx_message

__all__ = ["XLSX_TYPE", "download", "header_cells", "long_cell", "not_xlsx_message",
           "save_to_bytes", "text_cells"]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TIME_FORMAT = "yyyy-mm-dd hh:mm"


def long_cell(values: tuple) -> int | None:
    """The index of the first value in a row that is text longer than a cell of Excel can hold
    (:data:`~shoumen.core.uploads.EXCEL_MAX_CELL_CHARS`), or None."""
    for index, value in enumerate(values):
        if value.__class__ is str and len(value) > EXCEL_MAX_CELL_CHARS:
            return index
    return None


def text_cells(ws, values: list[Any]) -> list[Any]:
    """Row values for a write-only sheet, with any string starting with "=" kept as text and
    aware datetimes in local time.

    openpyxl stores such strings as formulas; a name or address typed as "=HYPERLINK(...)"
    must never become a live formula in a ledger someone else opens.
    """
    out = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            out.append(cell)
        elif isinstance(value, datetime) and value.tzinfo is not None:
            # Excel has no time zones: the local time, as the user reads it.
            cell = WriteOnlyCell(ws, value=timezone.localtime(value).replace(tzinfo=None))
            cell.number_format = TIME_FORMAT
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


def download(handle, filename: str) -> FileResponse:
    """A workbook (an open file or bytes) as a private download named ``filename``."""
    if isinstance(handle, bytes):
        handle = io.BytesIO(handle)
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=XLSX_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response
