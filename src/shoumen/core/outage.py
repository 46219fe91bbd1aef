"""What a request gets when the database cannot be reached: a 503 that says to try again
shortly, with ``Retry-After`` — JSON under ``/api/`` (``{"detail": …, "code":
"database_unavailable"}``, the API's error shape), a page elsewhere — never Django's HTML 500.

:func:`server_error` is the project's ``handler500``: Django calls it for any exception no view
handled, wherever it was raised (a view, a middleware, a context processor). A database outage
is an ``OperationalError`` or ``InterfaceError`` from the driver (connection refused, lost,
the file of an embedded database unreadable); anything else stays a 500, in JSON for the API
too. Nothing here touches the database, and nothing is cached: the next request connects
anew, so the platform recovers by itself when the database is back. The detail of the
failure goes to the log, not to the client.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def is_api(request) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def unavailable(request) -> HttpResponse:
    """503: the database cannot be reached now."""
    message = _("The database cannot be reached just now. Nothing was changed; try again in a "
                "minute (entries on a checkpoint phone stay queued and are sent by themselves).")
    if is_api(request):
        response = JsonResponse({"detail": message, "code": "database_unavailable"}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html", {"message": message}),
                                status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request) -> HttpResponse:
    """``handler500``: 503 for a database outage, else a 500 (JSON under /api/)."""
    exc = sys.exc_info()[1]
    if is_database_outage(exc):
        logger.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
        return unavailable(request)
    if is_api(request):
        return JsonResponse({"detail": _("Server error: nothing was changed. Try again later; "
                                         "if it keeps happening, tell your administrator the "
                                         "time it happened."), "code": "server_error"},
                            status=500)
    return HttpResponse(loader.render_to_string("500.html"), status=500)
