"""The checking pass of an import: every row validated by the importer, nothing written.

Good records are kept for the one write that follows (:mod:`.importing`); problems are kept
for the error report (:mod:`.reports`). Progress is written as it goes.
"""

from typing import Any

from django.utils.translation import gettext as _

from . import jobs
from .jobs import LedgerFileError
from .reading import SheetRows, read_header, refusing_long_cells
from .registry import CellError, ImportContext, Importer

PREPARE_BATCH = 25  # records prepared at a time while waiting for the reading process


def check_rows(job, importer: Importer, ctx: ImportContext, source: SheetRows):
    """The checking pass: every row validated, nothing written. Returns
    (good records, problems, set of bad row numbers, number of data rows)."""
    column_names: dict[int, str] = {}
    rows = refusing_long_cells(source.rows, column_names)
    header_row, columns, headers = read_header(rows, importer)
    column_names.update({index: headers[key] for key, index in columns.items()})
    ctx.data["_headers"] = headers
    # The sheet's recorded size is only an estimate for the progress bar (blank and formatted
    # rows count in it); the row limit is enforced on the rows actually read.
    estimate = min(max((source.size or 0) - header_row, 0), jobs.MAX_ROWS)
    jobs.update(job, total_rows=estimate, processed_rows=0)
    importer.begin(ctx)

    positions = list(columns.items())
    width = max(columns.values()) + 1
    records: list[Any] = []
    errors: list[CellError] = []
    bad_rows: set[int] = set()
    pending: list[tuple[int, Any]] = []
    chunk = importer.chunk_size
    count = 0

    prepared = 0

    def prepare_some() -> bool:
        """While the next rows are being read: the importer's work ahead of the write on good
        records (on the people ledger: encrypting their numbers)."""
        nonlocal prepared
        if prepared >= len(records):
            return False
        batch = records[prepared:prepared + PREPARE_BATCH]
        importer.prepare(ctx, batch)
        prepared += len(batch)
        return True

    if type(importer).prepare is not Importer.prepare:
        source.idle = prepare_some

    def flush():
        problems = importer.validate_chunk(ctx, pending)
        if problems:
            errors.extend(problems)
            rejected = {p.row for p in problems}
            bad_rows.update(rejected)
            records.extend(r for row, r in pending if row not in rejected)
        else:
            records.extend(r for _, r in pending)
        pending.clear()

    for row_no, values in enumerate(rows, start=header_row + 1):
        if len(values) < width:
            values = tuple(values) + (None,) * (width - len(values))
        cells = {key: values[index] for key, index in positions}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue  # blank rows (and rows holding only e.g. a pre-filled serial number)
        count += 1
        if count > jobs.MAX_ROWS:
            raise LedgerFileError(_too_many_rows_message())
        record, problems = importer.validate_row(ctx, row_no, cells)
        if problems:
            errors.extend(problems)
            bad_rows.add(row_no)
        else:
            pending.append((row_no, record))
            if len(pending) >= chunk:
                flush()
        if count % jobs.PROGRESS_EVERY == 0:
            # Without a recorded size the total is unknown until the end (0: "unknown").
            jobs.update(job, processed_rows=count, total_rows=max(estimate, count) if estimate else 0)
    if pending:
        flush()
    if count == 0:
        raise LedgerFileError(_("The sheet has a header row but no data below it; fill in the "
                                "ledger under the header and upload again."))
    jobs.update(job, processed_rows=count, total_rows=count)
    return records, errors, bad_rows, count


def _too_many_rows_message() -> str:
    return _("The sheet has more than %(max)s rows; split it into several files of at most "
             "%(max)s rows and upload them one at a time.") % {"max": f"{jobs.MAX_ROWS:,}"}
