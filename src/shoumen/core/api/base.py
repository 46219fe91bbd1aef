"""Shared API pieces: error format, capability permissions and the scoped viewset bases.

The rules every endpoint follows:

* a queryset starts from ``Model.objects.visible_to(request.user, view.scope_capability)``, so
  an object outside the user's jurisdiction is a 404, the same as a missing one;
* an action listed in ``view.action_capabilities`` needs that capability: a user who holds it
  nowhere gets 403; for an object, the object must also be visible under that capability
  (403: the user may see it but not, say, edit it);
* a write that names a target jurisdiction (create, move) needs the capability *there*: the
  service authorizes it (:mod:`shoumen.core.authz`), a refusal is a 403 with its message;
* a service's Django ``ValidationError`` becomes a 400 with field messages, a protected
  delete a 409 (:func:`exception_handler`) — never a 500.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from shoumen.core import authz


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This record is still in use and cannot be deleted.")
    default_code = "conflict"


def exception_handler(exc, context):
    """Turn domain errors into API responses with messages the user can act on.

    * Django ``ValidationError`` (services, ``full_clean``) → 400 ``{field: [messages]}``;
      errors not tied to a field are listed under ``non_field_errors``;
    * :class:`~shoumen.core.authz.NotAllowed` from a service → 403 with its message;
    * ``ProtectedError``/``RestrictedError`` on delete → 409 naming what still uses the record.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if key == NON_FIELD_ERRORS else key): messages
                for key, messages in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    elif isinstance(exc, authz.NotAllowed):
        exc = exceptions.PermissionDenied(exc.message)
    elif isinstance(exc, ProtectedError | RestrictedError):
        objs = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        users = sorted({str(o._meta.verbose_name_plural) for o in objs})
        exc = Conflict(
            _("This record is still used by other records (%(what)s) and cannot be deleted. "
              "Remove or reassign those first, or mark this one as no longer in use.")
            % {"what": ", ".join(users)}
        )
    return drf_exception_handler(exc, context)


# --- Capabilities ----------------------------------------------------------------------------
# What a user may do is decided in shoumen.core.authz (services call authorize()); the API
# only asks it which actions to let through and translates its refusal.

class CapabilityPermission(permissions.BasePermission):
    """Checks ``view.action_capabilities[view.action]`` (actions not listed are allowed).

    ``has_permission`` (actions without an object, e.g. create): the user must hold the
    capability somewhere, else 403.
    ``has_object_permission``: the object (already found in the view's scoped queryset, else
    404 — so an object the user cannot see is a 404 whatever they ask to do with it) must be
    visible under that capability too, else 403.
    """

    def _capability(self, view) -> str | None:
        return getattr(view, "action_capabilities", {}).get(getattr(view, "action", None))

    def has_permission(self, request, view):
        capability = self._capability(view)
        if capability is None:
            return True
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if lookup in getattr(view, "kwargs", {}):
            return True  # decided per object, after the scoped lookup (404 before 403)
        if not authz.holds(request.user, capability):
            self.message = authz.denied_message(capability)
            return False
        return True

    def has_object_permission(self, request, view, obj):
        capability = self._capability(view)
        if capability is None:
            return True
        if not authz.allows(request.user, obj, capability):
            self.message = authz.denied_message(capability)
            return False
        return True


# --- Serializer fields -----------------------------------------------------------------------

class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key that accepts only rows the requesting user can see under ``capability``
    (the model's own scope capability by default); anything else is a 400 that says so.

    The value an object already has is always accepted, so that saving a record unchanged never
    fails because the user sees it through a narrower grant (an enterprise liaison sees their
    enterprise but not its community).
    """

    default_error_messages = {
        "does_not_exist": gettext_lazy(
            "No record with id {pk_value} within your area; choose one you can see."
        ),
    }

    def __init__(self, *, capability: str | None = None, narrow=None, **kwargs):
        # ``narrow(user)``: the choices for a model without visible_to (users within reach).
        self.capability, self.narrow = capability, narrow
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if self.narrow is not None:
            return self.narrow(user)
        return queryset.visible_to(user, self.capability)

    def to_internal_value(self, data):
        instance = getattr(self.root, "instance", None)
        current = getattr(instance, self.source, None) if instance is not None else None
        if current is not None and str(getattr(current, "pk", "")) == str(data):
            return current
        return super().to_internal_value(data)


# --- Viewsets --------------------------------------------------------------------------------

class ScopedViewSetMixin:
    """Every queryset starts from ``visible_to(request.user)``: out of scope is a 404.

    ``scope_capability`` overrides the model's own read capability; ``action_capabilities``
    maps actions (``create``, ``partial_update``, custom ones) to the capability they need.
    """

    scope_capability: str | None = None
    action_capabilities: dict[str, str] = {}
    permission_classes = [permissions.IsAuthenticated, CapabilityPermission]

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user, self.scope_capability)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedGenericViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Base for scoped viewsets that pick their own mixins.

    Filtering uses only the app's FilterSet (whose own ``ordering`` field sorts), so the page
    and the API sort the same way and the parameter is not declared twice.
    """

    filter_backends = [DjangoFilterBackend]
