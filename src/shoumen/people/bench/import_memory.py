"""Uploads that cannot exhaust memory (issue 19): the issue's workbook bomb refused at upload
and by the import job, and a real 100,000-row ledger imported, each measured in a fresh
process against openpyxl alone reading the same real file (memory and time)."""

import tempfile
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from shoumen.accounts.models import User
from shoumen.core import uploads
from shoumen.core.benchmarks import Result
from shoumen.geo.models import Node, NodeKind
from shoumen.ledgers import upload_checks
from shoumen.ledgers.benchmark import (
    SST_HEAD,
    excel_workbook,
    import_memory,
    in_fresh_process,
    openpyxl_memory,
)
from shoumen.people.bench.ledger_files import make_people_workbook
from shoumen.people.ledger import COLUMNS

# The most one import may add to the machine's memory (task worker + reading process),
# whatever the file: tests/test_core_uploads.py asserts the same bound.
BOUND_MB = 512
REFUSAL_SECONDS = 5
BOMB_BYTES = 2 * 1024 ** 3  # the issue's: one 2 GB shared string
REGION = "650102"  # as the import benchmark: every row of the file is new


class _Rollback(Exception):
    pass


def bomb_workbook(path: Path, size: int = BOMB_BYTES) -> None:
    """A people ledger as Excel writes one whose shared strings table is one string of
    ``size`` bytes (packed, about size / 1000), written streaming."""
    def one_string(handle):
        handle.write(SST_HEAD + b"<si><t>")
        piece = b"A" * (1 << 20)
        for _ in range(size >> 20):
            handle.write(piece)
        handle.write(b"</t></si></sst>")

    path.write_bytes(excel_workbook([[COLUMNS[0].zh]], shared_strings=one_string))


def _refuse_at_upload(path: str) -> dict:
    with open(path, "rb") as handle:
        upload = SimpleUploadedFile("bomb.xlsx", handle.read())
    try:
        upload_checks.check_upload(upload)
    except Exception as exc:  # noqa: BLE001 - the refusal is the result
        return {"refused": True, "message": " ".join(getattr(exc, "messages", [str(exc)]))}
    return {"refused": False, "message": ""}


def _scan(path: str) -> dict:
    with open(path, "rb") as handle:
        uploads.scan_xlsx(handle)
    return {}


def run(rows: int = 100_000) -> list[Result]:
    user = User.objects.filter(role_assignments__role="district_commander").first()
    if user is None:
        raise SystemExit("no district commander: run `shoumen demo-data` first")
    community = (Node.objects.visible_to(user, "people.import").filter(kind=NodeKind.COMMUNITY)
                 .order_by("path").first())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / f"people-{rows}.xlsx"
        make_people_workbook(ledger, rows, community=community.code, region=REGION)
        bomb = Path(tmp) / "bomb.xlsx"
        bomb_workbook(bomb)
        ledger_mb, bomb_mb = ledger.stat().st_size / 1e6, bomb.stat().st_size / 1e6
        ceiling = openpyxl_memory(ledger)
        ceiling_text = (f"openpyxl alone reading the real {rows:,}-row ledger: "
                        f"+{ceiling['worker_mb']:.0f} MB, {ceiling['openpyxl_seconds']:.1f} s")

        refused = in_fresh_process(_refuse_at_upload, str(bomb))
        if not refused["refused"]:
            raise SystemExit("the bomb was not refused at upload")
        results.append(Result(
            name=f"Workbook bomb (one 2 GB shared string, {bomb_mb:.1f} MB file) refused at upload",
            figure=f"{refused['seconds'] * 1000:.1f} ms, +{refused['total_mb']:.0f} MB",
            ceiling=ceiling_text,
            ratio=refused["seconds"] / ceiling["openpyxl_seconds"],
            target=f"within {REFUSAL_SECONDS} s, < {BOUND_MB} MB",
            met=refused["seconds"] < REFUSAL_SECONDS and refused["total_mb"] < BOUND_MB,
        ))
        # Really run the jobs (one transaction each), then roll back: the database stays as it
        # was. The measured process shares this connection while this one waits.
        try:
            with transaction.atomic():
                stored = import_memory(bomb, user=user, jurisdiction=community)
                imported = import_memory(ledger, user=user, jurisdiction=community)
                raise _Rollback
        except _Rollback:
            pass
        if stored["status"] != "failed" or imported["created"] != rows:
            raise SystemExit(f"unexpected outcome: {stored}, {imported}")
        results.append(Result(
            name="Same bomb stored before the checks existed, run as an import job",
            figure=(f"failed in {stored['seconds']:.2f} s; +{stored['worker_mb']:.0f} MB "
                    f"worker, +{stored['helpers_mb']:.0f} MB helpers"),
            ceiling=ceiling_text,
            ratio=stored["total_mb"] / max(ceiling["worker_mb"], 1),
            target=f"within {REFUSAL_SECONDS} s, < {BOUND_MB} MB",
            met=stored["seconds"] < REFUSAL_SECONDS and stored["total_mb"] < BOUND_MB,
        ))
        results.append(Result(
            name=f"Memory of importing {rows:,} people ({ledger_mb:.1f} MB), all or nothing",
            figure=(f"+{imported['worker_mb']:.0f} MB worker, +{imported['helpers_mb']:.0f} MB "
                    f"helpers = {imported['total_mb']:.0f} MB ({imported['seconds']:.1f} s)"),
            ceiling=ceiling_text,
            ratio=imported["total_mb"] / max(ceiling["worker_mb"], 1),
            target=f"< {BOUND_MB} MB",
            met=imported["total_mb"] < BOUND_MB,
        ))
        start = time.perf_counter()
        scanned = in_fresh_process(_scan, str(ledger))
        scan_seconds = time.perf_counter() - start
        results.append(Result(
            name=f"Unpacking check of the {rows:,}-row ledger before openpyxl (scan_xlsx)",
            figure=f"{scanned['seconds']:.2f} s, +{scanned['worker_mb']:.0f} MB",
            ceiling=ceiling_text,
            ratio=scanned["seconds"] / ceiling["openpyxl_seconds"],
            target="≤ 5% of openpyxl's time",
            met=scanned["seconds"] <= 0.05 * ceiling["openpyxl_seconds"] and scan_seconds > 0,
        ))
    return results
