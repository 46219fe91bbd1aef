"""API: manage (being written)."""

urlpatterns: list = []
