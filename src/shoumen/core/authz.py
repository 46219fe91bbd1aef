"""Who may change what: the one authorization path for writes.

Reads are scoped by ``Model.objects.visible_to(user, capability)`` (:mod:`.scoping`); a write
asks the same question of its target through :func:`authorize`, which every service calls
before it changes anything. Views and API endpoints call :func:`allows` only to decide what to
offer (a button, a form); they never decide a write themselves. A refusal is
:class:`NotAllowed`, a Django ``PermissionDenied`` carrying a message the user can act on:
pages answer it with a 403 that says why (``core.views.permission_denied``), the API with a
403 ``{"detail": message}`` (``core.api.base.exception_handler``).

The target of a question is

* a saved object of a scoped model: it must lie within the actor's scope for the capability
  (for a jurisdiction ``Node``: the actor holds the capability at that node or above);
* a queryset: every one of its rows must lie within that scope (a bulk change);
* a model class: the actor holds the capability somewhere (before a create, whose
  jurisdiction is then authorized on its own).
"""

import contextlib
import contextvars

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .scoping import mark_seen, scope_for, seen_by


class NotAllowed(PermissionDenied):
    """A refused write or read, with the reason for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def denied_message(capability: str) -> str:
    return _("Your role does not allow this here (it needs the “%(capability)s” permission).") % {
        "capability": capability
    }


def holds(actor, capability: str) -> bool:
    """True if ``actor`` holds ``capability`` anywhere (at any node or enterprise)."""
    return scope_for(actor).can(capability)


def may_create(actor, capability: str) -> bool:
    """True if ``actor`` holds ``capability`` at some jurisdiction node, not only for the
    enterprise they are liaison of: they may file new records somewhere (where exactly, the
    service authorizes with the record's jurisdiction)."""
    scope = scope_for(actor)
    return scope.is_global or bool(scope.paths(capability))


def allows(actor, target, capability: str) -> bool:
    """True if ``actor`` may do what ``capability`` names to ``target`` (see the module)."""
    if isinstance(target, type):
        return holds(actor, capability)
    if isinstance(target, QuerySet):
        rows = target.order_by().values("pk")
        allowed = target.model._default_manager.visible_to(actor, capability).filter(pk__in=rows)
        return allowed.count() == rows.count()
    if target is None or target.pk is None:
        raise ValueError("authorize a saved object, a model class, or the node a new record "
                         "is filed under")
    if actor is None or seen_by(target, actor.pk, capability):
        return actor is not None  # loaded through visible_to(actor, capability): no query
    if not holds(actor, capability):
        return False
    manager = type(target)._default_manager
    if not manager.visible_to(actor, capability).filter(pk=target.pk).exists():
        return False
    mark_seen(target, actor.pk, capability)
    return True


def vouch(actor, target, capability: str) -> None:
    """Record that ``actor`` may act on ``target`` under ``capability`` because the caller has
    just proved it another way (a live checkpoint device is its guard's right to register
    at its checkpoint, decision 0010). Only for such proofs; everything else asks."""
    mark_seen(target, actor.pk, capability)


def authorize(actor, target, capability: str, message: str | None = None, *,
              field: str | None = None) -> None:
    """Raise :class:`NotAllowed` (with ``message``, or one naming the capability) unless
    :func:`allows`. Services call it before every change.

    With ``field``, ``target`` is a value the user chose for that field (the jurisdiction a
    record is filed under or moved to): a refusal is then a ``ValidationError`` on the field,
    which the form shows beside it and the API answers as a 400 by field.
    """
    asked = _asked.get()
    if asked is not None:
        asked.append(capability)
    if allows(actor, target, capability):
        return
    message = message or denied_message(capability)
    if field is not None:
        raise ValidationError({field: message})
    raise NotAllowed(message)


def permitted(actor, queryset, capability: str):
    """The rows of ``queryset`` that ``actor`` may act on under ``capability``: authorization
    as a filter, for a batch whose items are each refused or accepted on their own (counts as
    asking :func:`authorize`)."""
    asked = _asked.get()
    if asked is not None:
        asked.append(capability)
    return queryset.filter(pk__in=queryset.model._default_manager
                           .visible_to(actor, capability).values("pk"))


class Unauthorized(RuntimeError):
    """A service changed state without asking :func:`authorize` (a programming error: the
    change is rolled back)."""


_asked: contextvars.ContextVar[list | None] = contextvars.ContextVar("shoumen_authz_asked",
                                                                     default=None)


@contextlib.contextmanager
def required(name: str):
    """The block must call :func:`authorize` (or :func:`permitted`) at least once, directly
    or in a nested service, else :class:`Unauthorized` is raised at its end."""
    outer = _asked.get()
    asked: list[str] = []
    token = _asked.set(asked)
    try:
        yield
    finally:
        _asked.reset(token)
        if outer is not None:
            outer.extend(asked)
    if not asked:
        raise Unauthorized(f"{name} changed state without authorize()")
