"""State changes for places. Pages and the API both call these."""

from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.services import save_scoped_record, service

from .models import Place


@service
def save_place(place: Place | None, changes: dict, *, actor) -> Place:
    """Create (``place=None``) or change a place under a jurisdiction the actor may edit."""
    return save_scoped_record(place or Place(), changes, actor=actor, capability="geo.edit")


@service
def delete_place(place: Place, *, actor) -> None:
    """Delete a place nothing refers to (a ``ProtectedError`` names what still does)."""
    authz.authorize(actor, place, "geo.edit", _("You may look at this place but not change it."))
    place.delete()
