"""API: device (being written)."""

urlpatterns: list = []
