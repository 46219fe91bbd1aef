"""How a checkpoint device (a guard's phone) authenticates: ``Authorization: Device smd_…``.

Only the device-facing gate endpoints list :class:`DeviceTokenAuthentication` (next to the
usual token and session authentication), so a device token opens nothing else. The request
then runs as the user who registered the phone (``request.user``) with the device in
``request.auth``; views check ``request.auth`` to keep the device to its own checkpoint.
"""

import time

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from shoumen.core.ids import parse_id

from .models import Checkpoint, CheckpointDevice
from .services import device_for_token, revoked_device_message

KEYWORD = "Device"


# A device's last_seen_at is written at most this often per device and process: the hot path
# should not pay an UPDATE per scan for a "last seen" shown in minutes.
LAST_SEEN_EVERY_SECONDS = 60
_last_seen_written: dict[int, float] = {}


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Device <token>``: the live device holding the token, else 401."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: let token or session authentication try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_(
                "Give the device token as “Authorization: Device smd_…”, with no spaces in it."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            token = ""
        device = device_for_token(token)
        if device is None:
            raise exceptions.AuthenticationFailed(revoked_device_message(token))
        _touch(device)
        return device.registered_by, device

    def authenticate_header(self, request):
        return KEYWORD


def _touch(device: CheckpointDevice) -> None:
    now = time.monotonic()
    last = _last_seen_written.get(device.pk)
    if last is not None and now - last < LAST_SEEN_EVERY_SECONDS:
        return
    _last_seen_written[device.pk] = now
    # A queryset update: no audit row (last_seen_at is not a change anyone made).
    CheckpointDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())


def device_of(request) -> CheckpointDevice | None:
    """The device a request came from, or None for a signed-in user."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, CheckpointDevice) else None


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    """Documents the ``Device`` scheme in the OpenAPI schema."""

    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Device token of a registered checkpoint phone: "
                               "`Device smd_…` (POST /api/gate/devices/ returns it once)."}


def checkpoint_for_write(request, raw) -> Checkpoint:
    """The checkpoint named in a request, if the caller may work there: 400 if it is not a
    checkpoint id at all; 403 (the same for unknown and someone else's, so that ids leak
    nothing) if it is not the device's own or not one the user may register at."""
    checkpoint_id = parse_id(raw)
    if checkpoint_id is None:
        raise exceptions.ValidationError({"checkpoint": [
            _("Give the checkpoint's id (a number).")]})
    device = device_of(request)
    if device is not None:
        if device.checkpoint_id == checkpoint_id:
            return device.checkpoint
        raise exceptions.PermissionDenied(_(
            "This phone is registered to the checkpoint “%(name)s” and can work there only.")
            % {"name": device.checkpoint.place.name})
    checkpoint = (Checkpoint.objects.visible_to(request.user, "gate.register").filter(pk=checkpoint_id)
                  .select_related("place").first())
    if checkpoint is None:
        raise exceptions.PermissionDenied(_(
            "You cannot register at checkpoint %(id)s: it is not one you guard or manage, or "
            "it does not exist.") % {"id": checkpoint_id})
    return checkpoint
