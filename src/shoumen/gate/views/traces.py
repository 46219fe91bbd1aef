"""Pages: traces (being written)."""

urlpatterns: list = []
