"""Pages: checkpoints (being written)."""

urlpatterns: list = []
