"""The gate's REST API under /api/gate/ (URL names ``api-gate-…``)."""

from . import device, manage, passes, traces

urlpatterns = [
    *device.urlpatterns,  # keys, offline lists, scan check, look-up, entries, batch, devices
    *passes.urlpatterns,  # resident passes: list, issue, bulk issue, revoke
    *manage.urlpatterns,  # checkpoints, guards, entries list, refusals, fever alerts
    *traces.urlpatterns,  # traces, close contacts, home observation of contacts
]
