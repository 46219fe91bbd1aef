"""The fast lane for the gate's hot path: a checkpoint phone registering one scanned pass.

Profiling ``POST /api/gate/entries/`` on PostgreSQL (docs/benchmarks.md) put about 4.8 ms of
CPU per entry in the web process, most of it in twelve middlewares and DRF's request
handling, around well under a millisecond of actual work. This WSGI wrapper takes the common
request — ``Authorization: Device …``, a JSON body with a pass — to
:func:`shoumen.gate.entries.services.register_as_device`, which on PostgreSQL checks the token,
finds the pass and stores the entry in one statement. What that does not store (a fever, a
refusal, a retry; anything on SQLite) goes through :func:`~shoumen.gate.services.device_for_token`
and :func:`~shoumen.gate.entries.services.register` like the API view. Either way the answer is
the view's own (:func:`shoumen.gate.entries.api.registration_answer`).

Anything else, or anything unusual about such a request (a look-up or visitor entry, bad
input, an unknown or revoked token, another checkpoint, a host not allowed), goes to Django
untouched, whose view gives the usual answer and errors. See docs/decisions/0007.
"""

from __future__ import annotations

import io
import json

from django.conf import settings
from django.core import signals
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http.request import split_domain_port, validate_host
from django.utils import translation

from shoumen.core import request_context, security

PATH = "/api/gate/entries/"
_FIELDS = frozenset({"uuid", "checkpoint", "direction", "temperature", "qr_text", "at"})
_MAX_BODY = 16 * 1024


class GateFastLane:
    """WSGI middleware: answers the common scan itself, passes everything else on."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if not (environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == PATH
                and environ.get("HTTP_AUTHORIZATION", "").startswith("Device ")):
            return self.app(environ, start_response)
        body = _read_body(environ)
        answer = None
        if body is not None:
            environ["wsgi.input"] = io.BytesIO(body)  # read once: Django may need it again
            signals.request_started.send(sender=self.__class__, environ=environ)
            try:
                answer = _answer(environ, body)
            finally:
                signals.request_finished.send(sender=self.__class__)
        if answer is None:
            return self.app(environ, start_response)
        code, payload, request_id = answer
        start_response(f"{code} {'Created' if code == 201 else 'OK'}",
                       [("Content-Type", "application/json"), ("Vary", "Accept-Language"),
                        *security.response_headers(), ("X-Request-ID", request_id)])
        return [payload]


def _read_body(environ) -> bytes | None:
    """The body if it is small enough to be a single scan, else None (left unread)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return environ["wsgi.input"].read(length) if 0 < length <= _MAX_BODY else None


def _answer(environ, body: bytes) -> tuple[int, bytes, str] | None:
    """(status, JSON body, request id) when the scan was stored, else None."""
    from shoumen.core.api.base import Conflict

    from ..checkpoints.services import device_for_token
    from .api import registration_answer
    from .services import register, register_as_device

    host, _port = split_domain_port(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))
    if not (host and validate_host(host, settings.ALLOWED_HOSTS)):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not (isinstance(data, dict) and set(data) <= _FIELDS and isinstance(data.get("qr_text"), str)
            and isinstance(data.get("uuid"), str) and type(data.get("checkpoint")) is int
            and 0 < data["checkpoint"] < 2**63):  # a bigint, or no checkpoint of ours
        return None
    token = environ["HTTP_AUTHORIZATION"][len("Device "):].strip()
    ctx = request_context.RequestContext(request_id=request_context.new_request_id(),
                                         ip=environ.get("REMOTE_ADDR"))
    with request_context.bind(ctx), translation.override(_language(environ)):
        try:
            outcome = register_as_device(token, checkpoint_id=data["checkpoint"],
                                         direction=data.get("direction"),
                                         temperature=data.get("temperature"),
                                         qr_text=data["qr_text"], uuid=data["uuid"],
                                         at=data.get("at"))
            if outcome is None:  # not the common case: the device, then the general path
                device = device_for_token(token)
                if device is None or device.checkpoint_id != data["checkpoint"]:
                    return None
                ctx.actor = device.registered_by
                outcome = register(checkpoint=device.checkpoint, actor=device.registered_by,
                                   device=device, direction=data.get("direction"),
                                   temperature=data.get("temperature"), qr_text=data["qr_text"],
                                   uuid=data["uuid"], at=data.get("at"))
            code, payload = registration_answer(outcome, data["checkpoint"])
        except (ValidationError, Conflict):
            return None  # the view answers these (400 by field, 409), in its usual shape
        except (OperationalError, InterfaceError):
            return None  # the database is unreachable: Django answers 503 (core.outage)
    return code, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), \
        ctx.request_id


def _language(environ) -> str:
    """The language LocaleMiddleware would pick from Accept-Language (no session here)."""
    for code, _q in translation.trans_real.parse_accept_lang_header(
            environ.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
