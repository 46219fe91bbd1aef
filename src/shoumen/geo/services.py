"""State changes for places. Pages and the API both call these."""

from shoumen.core.services import save_scoped_record

from .models import Place


def save_place(place: Place | None, changes: dict, *, actor) -> Place:
    """Create (``place=None``) or change a place under a jurisdiction the actor may edit."""
    return save_scoped_record(place or Place(), changes, actor=actor, capability="geo.edit")
