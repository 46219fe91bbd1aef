"""Pages: alerts (being written)."""

urlpatterns: list = []
