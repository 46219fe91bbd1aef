"""An import or export job's rules and bookkeeping: who may run one, its limits, its progress.

The request starts a job (:mod:`.services`); the background task runs it
(:mod:`.importing`, :mod:`.exporting`); both sides judge the user with the functions here, so a
job whose user lost the right since it was queued stops with a message.
"""

from django.http import QueryDict
from django.utils import timezone

from shoumen.core import authz

from .registry import Importer

# Rows of one file. An import keeps every checked row until its one all-or-nothing write:
# 100,000 rows of the people ledger take 313 MB, 200,000 took 610 MB (docs/benchmarks.md,
# issue 19), over the 512 MB an import may use. Bigger ledgers come as several files.
MAX_ROWS = 100_000
PROGRESS_EVERY = 1000


class LedgerFileError(Exception):
    """The uploaded file cannot be imported at all; the message says why and what to do."""


def importable_nodes(user, importer: Importer):
    """Jurisdictions ``user`` may import ``importer``'s ledger into."""
    from shoumen.geo.models import Node

    return Node.objects.visible_to(user, importer.capability)


def exportable(user, exporter) -> bool:
    return authz.holds(user, exporter.capability)


def filters_from(params) -> QueryDict:
    """A QueryDict from a QueryDict, a dict of lists or a dict of single values."""
    if isinstance(params, QueryDict):
        return params
    result = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        result.setlist(key, [str(v) for v in values if v is not None])
    return result


def update(job, **fields) -> None:
    """Write progress fields at once, in their own tiny statement (never inside the import's
    write transaction, so progress is visible while it runs). Without a job (a workbook
    checked in the request, :mod:`.attached`) there is no progress to keep."""
    if job is None:
        return
    for key, value in fields.items():
        setattr(job, key, value)
    type(job).objects.filter(pk=job.pk).update(**fields)


def finish(job, status: str, message: str, **fields) -> None:
    update(job, status=status, message=message, finished_at=timezone.now(), **fields)
