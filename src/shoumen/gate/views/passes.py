"""Pages: passes (being written)."""

urlpatterns: list = []
