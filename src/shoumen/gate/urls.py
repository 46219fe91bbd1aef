"""The gate's pages under /gate/ (URL names ``gate:…``), concept by concept."""

from . import home
from .alerts import views as alerts
from .checkpoints import views as checkpoints
from .entries import views as entries
from .passes import views as passes
from .traces import views as traces

app_name = "gate"

urlpatterns = [
    *home.urlpatterns,  # gate:home
    *checkpoints.urlpatterns,  # checkpoints, guards, devices
    *entries.urlpatterns,  # the guard's checkpoint page (works offline), its service worker, refusals
    *passes.urlpatterns,  # resident passes: issue, print, phone view, revoke
    *alerts.urlpatterns,  # fever alerts and their follow-up
    *traces.urlpatterns,  # movement traces and close contacts
]
