from .views import alerts, checkpoints, passes, scan, traces

app_name = "gate"

urlpatterns = [
    *checkpoints.urlpatterns,  # gate:home, checkpoints, guards, devices
    *scan.urlpatterns,  # the guard's checkpoint page (works offline) and its service worker
    *passes.urlpatterns,  # resident passes: issue, print, phone view, revoke
    *alerts.urlpatterns,  # fever alerts and their follow-up
    *traces.urlpatterns,  # movement traces and close contacts
]
