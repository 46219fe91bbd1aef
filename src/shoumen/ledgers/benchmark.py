"""Timing an import against its ceiling: openpyxl alone reading the same file; and measuring
the memory an import takes, against the same ceiling.

On a shared machine an absolute time is noise, so the figure that matters is the ratio
``import_seconds / openpyxl_seconds`` measured in the same run (target: at most 3). Used by the
``ledger-bench`` management command and by any project-wide benchmark. Memory is measured in
a fresh forked process (:func:`in_fresh_process`), as the growth of its resident set.
"""

from __future__ import annotations

import io
import json
import os
import resource
import time
import traceback
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from django.core.files import File
from django.db import connection
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .importing import process_import
from .models import ImportJob, ImportMode

SST_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def excel_workbook(rows, *, shared_strings=None) -> bytes:
    """An .xlsx as Excel and WPS write one: every text in the shared strings table, which
    openpyxl reads whole when it opens the file. ``shared_strings(handle)``, if given, writes
    the table instead (a bomb); the cells then point into it as usual."""
    table: dict[str, int] = {}
    sheet = [f'<worksheet xmlns="{_MAIN}"><sheetData>']
    for number, values in enumerate(rows, start=1):
        sheet.append(f'<row r="{number}">')
        for index, value in enumerate(values):
            if value not in (None, ""):
                ref = f"{get_column_letter(index + 1)}{number}"
                position = table.setdefault(str(value), len(table))
                sheet.append(f'<c r="{ref}" t="s"><v>{position}</v></c>')
        sheet.append("</row>")
    sheet.append("</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml":
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPES}.sharedStrings+xml"/>'
            "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
                       f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets><sheet '
                           'name="人员台账" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" '
            'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{_DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": "".join(sheet),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as handle:
            if shared_strings is not None:
                shared_strings(handle)
            else:
                handle.write(SST_HEAD)
                for text in table:
                    handle.write(f"<si><t>{escape(text)}</t></si>".encode())
                handle.write(b"</sst>")
    return buffer.getvalue()


def openpyxl_read_seconds(path: str | Path) -> tuple[float, int]:
    """(seconds, rows) for openpyxl alone to read every value of the first sheet (read-only
    mode, iterating values): the floor under any import of that file."""
    start = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = 0
    for _values in workbook.worksheets[0].iter_rows(values_only=True):
        rows += 1
    workbook.close()
    return time.perf_counter() - start, rows


def time_import(path: str | Path, *, user, jurisdiction, kind: str = "people",
                mode: str = ImportMode.ALL_OR_NOTHING) -> dict:
    """Import ``path`` synchronously (no task queue) and time it beside openpyxl reading it.

    Returns a dict with rows, created, status, message, openpyxl_seconds, import_seconds and
    ratio. The rows are really written: run it in a scratch database or inside a transaction
    that is rolled back afterwards (the checks a commit would run are then timed too).
    """
    path = Path(path)
    first_read, rows = openpyxl_read_seconds(path)
    with path.open("rb") as handle:
        job = ImportJob(kind=kind, mode=mode, jurisdiction=jurisdiction, created_by=user,
                        original_name=path.name)
        job.file.save(f"bench-{path.name}", File(handle), save=False)
        job.save()
    start = time.perf_counter()
    process_import(job.pk)
    _run_deferred_checks()
    import_seconds = time.perf_counter() - start
    # The ceiling is read before and after the import and the faster kept, so a busy moment
    # on a shared machine cannot flatter the ratio.
    read_seconds = min(first_read, openpyxl_read_seconds(path)[0])
    job.refresh_from_db()
    return {
        "rows": rows - 1, "created": job.created_rows, "status": job.status,
        "message": job.message, "openpyxl_seconds": round(read_seconds, 3),
        "import_seconds": round(import_seconds, 3),
        "ratio": round(import_seconds / read_seconds, 2) if read_seconds else None,
        "job": job.pk,
    }


def _run_deferred_checks() -> None:
    """Inside a caller's transaction (a benchmark that rolls back), run now what COMMIT would:
    PostgreSQL checks foreign keys (DEFERRABLE INITIALLY DEFERRED) only at commit, ~4 s for
    the ~400,000 references of 100,000 imported people and their audit rows, and the timing
    must include them. Outside a transaction the import has committed and paid them."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- Memory ---------------------------------------------------------------------------------

def _rss_bytes() -> int:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _private_bytes() -> int:
    """The memory only this process holds now: pages it allocated and pages it inherited at a
    fork and then changed (copy-on-write), which its resident set counted from the start."""
    with open("/proc/self/smaps_rollup") as rollup:
        return sum(int(line.split()[1]) * 1024 for line in rollup
                   if line.startswith(("Private_Clean:", "Private_Dirty:")))


def _measured_helpers(log_path: str):
    """forking.child_main for the measured process: each helper process it forks (the
    import's reader, the people ledger's encryption helper) writes what it cost to log_path:
    the larger of its resident set's growth and its private memory at its end."""
    from . import forking

    original = forking.child_main

    def child_main(target, sender, *args):
        baseline = _rss_bytes()
        try:
            original(target, sender, *args)
        finally:
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
            with open(log_path, "a") as log:
                log.write(f"{max(grown, _private_bytes())}\n")

    forking.child_main = child_main


def in_fresh_process(fn, *args) -> dict:
    """Run ``fn(*args)`` (returning a JSON-able dict) in a forked process and return its dict
    with the memory it took: ``worker_mb``, how much the process grew beyond what it had at
    the fork (its peak resident set minus its resident set at the start); ``helpers_mb``, what
    the processes it forked in turn (the import's reader, an encryption helper) cost, added
    up: for each, the larger of its resident set's growth and its private memory at its end
    (pages it shares with the worker are not counted twice; pages copied on write are);
    ``total_mb``, their sum; and ``seconds``.

    A forked process inherits the caller's memory (counted at the start, not as growth) and
    its database connection: the caller must not use the connection until this returns, and
    nothing here closes it. Linux only (it reads /proc and ru_maxrss in kB).
    """
    import tempfile

    read_end, write_end = os.pipe()
    with tempfile.NamedTemporaryFile("r", suffix=".helpers") as helpers_log:
        pid = os.fork()
        if pid == 0:  # the measured process
            status = 1
            try:
                os.close(read_end)
                _measured_helpers(helpers_log.name)
                baseline = _rss_bytes()
                start = time.perf_counter()
                result = dict(fn(*args))
                result["seconds"] = round(time.perf_counter() - start, 3)
                own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                with open(helpers_log.name) as log:
                    helpers = sum(int(line) for line in log if line.strip())
                mb = 1024 * 1024
                result["worker_mb"] = round(max(own - baseline, 0) / mb, 1)
                result["helpers_mb"] = round(helpers / mb, 1)
                result["total_mb"] = round(result["worker_mb"] + result["helpers_mb"], 1)
                result["baseline_mb"] = round(baseline / mb, 1)
                with os.fdopen(write_end, "w") as pipe:
                    json.dump(result, pipe)
                status = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(status)  # no atexit handlers: the connection stays the caller's
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            payload = pipe.read()
        os.waitpid(pid, 0)
    if not payload:
        raise RuntimeError("the measured process failed (see its output above)")
    return json.loads(payload)


def _import_job(job_id: int) -> dict:
    process_import(job_id)
    job = ImportJob.objects.get(pk=job_id)
    return {"status": job.status, "message": job.message, "created": job.created_rows}


def import_memory(path: str | Path, *, user, jurisdiction, kind: str = "people",
                  mode: str = ImportMode.ALL_OR_NOTHING) -> dict:
    """Import ``path`` as the background task does (stored, then processed; the file is not
    checked at upload, as a file stored before the checks existed) in a fresh process; the
    dict of :func:`in_fresh_process` plus status, message and created. The rows are really
    written, as for :func:`time_import`."""
    path = Path(path)
    with path.open("rb") as handle:
        job = ImportJob(kind=kind, mode=mode, jurisdiction=jurisdiction, created_by=user,
                        original_name=path.name)
        job.file.save(f"bench-{path.name}", File(handle), save=False)
        job.save()
    return in_fresh_process(_import_job, job.pk)


def _openpyxl_read(path: str) -> dict:
    seconds, rows = openpyxl_read_seconds(path)
    return {"rows": rows, "openpyxl_seconds": round(seconds, 3)}


def openpyxl_memory(path: str | Path) -> dict:
    """The ceiling for :func:`import_memory`: openpyxl alone reading every value of the first
    sheet in read-only mode, in a fresh process (``worker_mb`` is its growth)."""
    return in_fresh_process(_openpyxl_read, str(path))
