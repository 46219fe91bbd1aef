"""The gate's REST API under /api/gate/ (URL names ``api-gate-…``)."""

from . import device, manage, traces

urlpatterns = [
    *device.urlpatterns,  # keys, offline lists, scan check, look-up, entries, batch, devices
    *manage.urlpatterns,  # checkpoints, guards, passes, fever alerts, refusals
    *traces.urlpatterns,  # traces, close contacts, home observation of contacts
]
