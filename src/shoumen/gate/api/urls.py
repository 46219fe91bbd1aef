"""The gate's REST API under /api/gate/ (URL names ``api-gate-…``), concept by concept."""

from ..alerts import api as alerts
from ..checkpoints import api as checkpoints
from ..entries import api as entries
from ..passes import api as passes
from ..traces import api as traces

urlpatterns = [
    *entries.urlpatterns,  # keys, offline lists, scan check, look-up, entries, batch, entry log, refusals
    *checkpoints.urlpatterns,  # checkpoints, guards, devices
    *passes.urlpatterns,  # resident passes: list, issue, bulk issue, revoke
    *alerts.urlpatterns,  # fever alerts
    *traces.urlpatterns,  # traces, close contacts, home observation of contacts
]
