"""API: passes (being written)."""

urlpatterns: list = []
