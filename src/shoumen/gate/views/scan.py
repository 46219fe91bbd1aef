"""Pages: scan (being written)."""

urlpatterns: list = []
