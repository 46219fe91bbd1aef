"""What every state change is (:func:`service`), and the changes shared by several apps."""

import contextlib
import functools

from django.db import transaction
from django.utils.translation import gettext as _

from . import authz, request_context


def service(func=None, *, atomic: bool = True):
    """Make ``func`` a service: the one kind of function that changes state for a user.

    It is called with the keyword ``actor``; the call runs in one transaction (all or
    nothing), the audit trail records that actor (not whoever made the request), and the
    function must ask :func:`shoumen.core.authz.authorize` before it changes anything — one
    that does not is refused with :class:`~shoumen.core.authz.Unauthorized` and rolled back.

    ``atomic=False`` is for the few services that keep their own transactions: one that
    queues a background task for a row it has just committed (the task must see it), and
    the gate's registration, whose single insert needs none on the hot path.
    """
    if func is None:
        return functools.partial(service, atomic=atomic)
    name = f"{func.__module__}.{func.__qualname__}"

    @functools.wraps(func)
    def wrapper(*args, actor, **kwargs):
        with (transaction.atomic() if atomic else contextlib.nullcontext()), \
                request_context.acting(actor), authz.required(name):
            return func(*args, actor=actor, **kwargs)

    wrapper.is_service = True
    return wrapper


@service
def save_scoped_record(record, changes: dict, *, actor, capability: str):
    """Create or change a record that hangs off a jurisdiction (a place, an enterprise).

    Refuses a record ``actor`` may not change and a jurisdiction where they lack
    ``capability``, applies ``changes``, runs the model's validation and saves — all or
    nothing. The save is audited by the model's signals. A saved record is judged and
    changed as it is stored, not as the caller's copy says (a bound ModelForm has already
    written the user's choices into its instance); the stored, changed row is returned.
    """
    if record.pk is not None:
        record = type(record)._base_manager.select_for_update().get(pk=record.pk)
        authz.authorize(actor, record, capability, _("You may look at this record but not "
                                                     "change it."))
    target = changes.get("jurisdiction")
    moving = target is not None and (record.pk is None or target.pk != record.jurisdiction_id)
    if moving:
        authz.authorize(actor, target, capability, _("You cannot file records under %(node)s.")
                        % {"node": target}, field="jurisdiction")
    elif record.pk is None:
        authz.authorize(actor, type(record), capability)
    for field, value in changes.items():
        setattr(record, field, value)
    record.full_clean()
    record.save()
    return record
