"""The guard's checkpoint page and its service worker.

The page is one server-rendered shell; the work happens in the phone's browser
(``static/gate/checkpoint.js``) against the device API (``/api/gate/…``), so that it keeps
registering entries when the network drops: passes are verified with WebCrypto against the
cached keys, entries wait in IndexedDB and upload through the idempotent batch endpoint.
The service worker (``/gate/sw.js``, scope ``/gate/``) keeps the shell and its static files so
the page also reloads offline.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shoumen.core import authz
from shoumen.core.views import (
    input_types,
    list_page,
)

from ..checkpoints.models import Checkpoint
from ..checkpoints.views import NO_GATE
from .filters import RefusalFilter
from .models import Direction, Refusal, RefusalReason

# Static files the page shell loads (base.html's and its own), cached by the service worker.
# jsQR is loaded only when the phone has no BarcodeDetector, but must work offline too.
SHELL_ASSETS = (
    "vendor/bootstrap.min.css",
    "shoumen.css",
    "gate/scan.css",
    "vendor/bootstrap.bundle.min.js",
    "vendor/htmx.min.js",
    "shoumen.js",
    "credentials/credential.js",
    "gate/pass.js",
    "gate/queue.js",
    "gate/camera.js",
    "gate/checkpoint.js",
    "vendor/jsqr/jsQR.js",
)

QUICK_TEMPERATURES = ("36.2", "36.4", "36.5", "36.6", "36.8", "37.0")


def _scope() -> str:
    """The service worker's scope: every page under /gate/ (behind any script prefix)."""
    return reverse("gate:sw").rsplit("/", 1)[0] + "/"


def page_strings(user) -> dict:
    """Every sentence the page's JavaScript shows, in the user's language.
    ``%(name)s`` placeholders are filled in by the script."""
    return {
        "online": _("Online"),
        "offline": _("Offline"),
        "registering": _("Registering this phone for the checkpoint…"),
        "registered": _("This phone is now registered for this checkpoint."),
        "register_failed": _("This phone could not be registered: %(error)s"),
        "register_offline": _("Connect to the network once so that this phone can be registered "
                              "for the checkpoint. Until then entries cannot be uploaded."),
        "revoked": _("This phone's registration was revoked or is no longer valid. Entries stay "
                     "on the phone until it is registered again."),
        "device_name": _("%(user)s's phone") % {"user": user.get_username()},
        "refreshed": _("Keys and lists refreshed %(time)s"),
        "refresh_failed": _("Could not refresh the keys and lists (%(error)s); using the copy "
                            "from %(time)s."),
        "never_refreshed": _("Keys and lists are not on this phone yet: offline checks need "
                             "them, so connect to the network."),
        "keys_summary": _("Pass keys: %(keys)s · revoked passes: %(revoked)s · may not go out: "
                          "%(confined)s"),
        "queue": _("Waiting to upload: %(n)s"),
        "invalid_heading": _("Not accepted by the server — correct and register again: %(n)s"),
        "sync_failed": _("Upload failed (%(error)s); it will be retried automatically."),
        "state_synced": _("Synced"),
        "state_queued": _("Queued"),
        "state_refused": _("Refused"),
        "state_invalid": _("Not accepted"),
        "in": str(Direction.IN.label),
        "out": str(Direction.OUT.label),
        "ok": _("May pass"),
        "not_ok": _("Refused"),
        "checking": _("Checking…"),
        "checked_offline": _("Checked on this phone (offline) with the cached keys"),
        "checked_online": _("Checked by the server"),
        "unavailable": _("Offline pass checks are unavailable here: the page is not opened over "
                         "HTTPS (or the browser is too old). Passes are checked online only."),
        "no_keys": _("No keys on this phone: connect to the network to check passes."),
        "temperature_nan": _("Enter the temperature as a number, e.g. 36.5."),
        "temperature_range": _("%(t)s °C is not a body temperature: measure again (it must be "
                               "between %(low)s and %(high)s °C)."),
        "fever": _("Fever (%(threshold)s °C or more): confirming sends a fever alert to the "
                   "community's staff."),
        "stored": _("Entry stored: %(name)s"),
        "stored_fever": _("Entry stored: %(name)s. A fever alert went to the community."),
        "queued_message": _("No network: the entry is kept on this phone and uploads by itself "
                            "when the network is back."),
        "refusal_recorded": _("Refusal recorded: %(reason)s"),
        "not_saved": _("The entry was NOT saved: %(error)s"),
        "forbidden": _("You may not register entries at this checkpoint."),
        "lookup_offline": _("Looking people up needs the network."),
        "lookup_empty": _("Nobody found: check the number, or register the person as a visitor."),
        "visitor": _("Visitor"),
        "visitor_offline": _("Checked by the server when the entry uploads."),
        "required": _("This field is required."),
        "fix_fields": _("Correct the marked fields."),
        "error": _("Something went wrong: %(error)s"),
        "network_error": _("no network"),
        "server_error": _("server error %(status)s"),
        "pass_number": _("Pass no. %(n)s"),
        "valid_until": _("valid until %(date)s"),
        "camera_start": _("Point the camera at the pass's QR code."),
        "camera_error": _("The camera could not be started: %(error)s"),
        "storage_error": _("This browser cannot keep entries offline: %(error)s"),
        "remove": _("Remove"),
        "nothing_yet": _("No entries on this phone yet."),
        "fever_short": _("fever"),
    }


def _config(request, checkpoint) -> dict:
    low, high = settings.TEMPERATURE_RANGE_C
    api = get_script_prefix() + "api/gate/"
    return {
        "checkpoint": {"id": checkpoint.pk, "name": checkpoint.name},
        "language": get_language(),
        # The paths of the device API contract (docs: /api/docs/).
        "api": {
            "keys": api + "keys/",
            "lists": api + "offline-lists/",
            "context": api + f"checkpoints/{checkpoint.pk}/context/",
            "scan": api + "scan/",
            "lookup": api + "lookup/",
            "entries": api + "entries/",
            "batch": api + "entries/batch/",
            "devices": api + "devices/",
        },
        "sw": {"url": reverse("gate:sw"), "scope": _scope()},
        "assets": [static(name) for name in SHELL_ASSETS],
        "jsqr": static("vendor/jsqr/jsQR.js"),
        "fever_threshold": settings.FEVER_THRESHOLD_C,
        "temperature_range": [low, high],
        "quick_temperatures": list(QUICK_TEMPERATURES),
        "reasons": {reason.value: str(reason.label) for reason in RefusalReason},
        "strings": page_strings(request.user),
    }


@never_cache
@login_required
def scan(request, pk):
    """The checkpoint page, for a user who may register entries here (else 404)."""
    checkpoint = get_object_or_404(
        Checkpoint.objects.visible_to(request.user, "gate.register")
        .select_related("place__jurisdiction"), pk=pk)
    return render(request, "gate/scan.html", {
        "checkpoint": checkpoint, "config": _config(request, checkpoint),
        "quick_temperatures": QUICK_TEMPERATURES,
        "visitor_fields": [  # name, label, input type, inputmode
            ("name", _("Name"), "text", ""),
            ("phone", _("Mobile phone"), "tel", "tel"),
            ("id_number", _("ID number"), "text", ""),
            ("reason", _("Reason for the visit"), "text", ""),
            ("visiting", _("Visiting whom (name, building, room)"), "text", ""),
        ],
    })


def service_worker(request):
    """The service worker, at /gate/sw.js so that its scope can be /gate/. Its bytes change
    whenever a static file's (hashed) URL does, so phones pick up a new release."""
    assets = [static(name) for name in SHELL_ASSETS]
    version = hashlib.sha256(json.dumps(assets).encode()).hexdigest()[:12]
    body = render_to_string("gate/sw.js", {
        "assets_json": json.dumps(assets), "version": version, "scope": _scope(),
        "static_prefix": settings.STATIC_URL,
    })
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = _scope()
    response["Cache-Control"] = "no-cache"
    return response




@login_required
def refusal_list(request):
    """Everyone turned away at a checkpoint in the user's jurisdictions, newest first."""
    user = request.user
    authz.authorize(user, Refusal, "gate.view", NO_GATE)
    refusals = (Refusal.objects.visible_to(user)
                .select_related("person", "checkpoint__place").order_by("-at", "-id"))
    return list_page(request, RefusalFilter, refusals, "gate/alerts/refusals.html",
                     "gate/alerts/_refusals_table.html", adjust=_refusal_form)


def _refusal_form(form):
    input_types(date="date")(form)
    del form.fields["checkpoint"]  # the API's filter by id; the page filters by place


urlpatterns = [
    path("checkpoints/<id:pk>/scan/", scan, name="scan"),
    path("sw.js", service_worker, name="sw"),
    path("refusals/", refusal_list, name="refusal-list"),
]
