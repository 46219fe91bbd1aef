"""API: traces (being written)."""

urlpatterns: list = []
