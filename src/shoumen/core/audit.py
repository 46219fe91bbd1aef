"""The audit trail's writers.

Signal handlers audit every create, update and delete of an :class:`AuditedModel`, whatever
made it (service, admin, shell), so no code path can forget. :func:`record` writes the rows
that are not model saves: reads of full personal data, imports, exports, bulk operations.
The actor and request id come from :mod:`shoumen.core.request_context`.
"""

import datetime
import decimal
import json
import uuid
from functools import cache
from operator import attrgetter

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.fields.files import FieldFile
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from . import bulk, request_context
from .models import AuditAction, AuditedModel, AuditEvent


def snapshot(instance) -> dict:
    """JSON-safe values of the instance's concrete fields, minus those it excludes."""
    values = {
        f.attname: _plain(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if f.name not in instance.audit_exclude and f.attname not in instance.audit_exclude
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _plain(value):
    """A stored file by its name (the audit keeps where it is, not its bytes)."""
    return value.name if isinstance(value, FieldFile) else value


def _event(action, instance=None, *, jurisdiction=None, before=None, after=None, note=""):
    ctx = request_context.current()
    user = ctx.user if ctx else None
    event = AuditEvent(
        actor=user,
        actor_name=(user.get_username() if user else "system")[:150],
        action=action,
        jurisdiction=jurisdiction,
        before=before,
        after=after,
        note=note[:500],
        request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
    )
    if instance is not None:
        event.content_type = ContentType.objects.get_for_model(type(instance))
        event.object_id = str(instance.pk)
        event.object_repr = str(instance)[:200]
        if jurisdiction is None and isinstance(instance, AuditedModel):
            event.jurisdiction = instance.audit_jurisdiction()
    return event


def record(action, instance=None, *, jurisdiction=None, before=None, after=None, note=""):
    """Write one audit row now (inside the caller's transaction, if any)."""
    event = _event(action, instance, jurisdiction=jurisdiction, before=before, after=after,
                   note=note)
    event.save()
    return event


def update_rows(queryset, *, note: str, **changes) -> int:
    """``queryset.update(**changes)`` on an audited model, with the update's audit row for
    each row it changes (before and after of the changed fields), in one transaction.
    For changes to a handful or a few thousand rows; returns how many changed."""
    from django.db import models, transaction

    names = [queryset.model._meta.get_field(name).attname for name in changes]
    with transaction.atomic():
        rows = list(queryset.select_for_update())
        events = []
        for obj in rows:
            before = snapshot(obj)
            for name, value in changes.items():
                setattr(obj, name, value)
            after = snapshot(obj)
            changed = [k for k in names if before.get(k) != after.get(k)]
            if changed:
                events.append(_event(AuditAction.UPDATE, obj, note=note,
                                     before={k: before.get(k) for k in changed},
                                     after={k: after.get(k) for k in changed}))
        AuditEvent.objects.bulk_create(events)
        models.QuerySet.update(queryset.model._base_manager.filter(pk__in=[o.pk for o in rows]),
                               **changes)
    return len(events)


# --- Objects created in bulk -------------------------------------------------------------------

_NATIVE = frozenset({str, int, float, bool, type(None)})
# Values DjangoJSONEncoder turns into a string: encoding them directly gives what the JSON
# round trip of snapshot() gives, without the round trip.
_SCALARS = (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID)
_ENCODER = DjangoJSONEncoder()


def _json_value(value):
    """``value`` as :func:`snapshot` stores it (after its JSON round trip)."""
    if type(value) in _NATIVE:
        return value
    if isinstance(value, _SCALARS):
        return _ENCODER.default(value)
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@cache
def _bulk_plan(model):
    """What auditing a created ``model`` instance reads, worked out once per model: the audited
    attnames (as :func:`snapshot`), a getter of their values and one of the jurisdiction's id."""
    exclude = getattr(model, "audit_exclude", frozenset())
    names = [f.attname for f in model._meta.concrete_fields
             if f.name not in exclude and f.attname not in exclude]
    jurisdiction = None  # none to find
    if issubclass(model, AuditedModel):
        field = next((f for f in model._meta.concrete_fields if f.name == "jurisdiction"), None)
        if model.audit_jurisdiction is AuditedModel.audit_jurisdiction and field is not None:
            jurisdiction = attrgetter(field.attname)  # the id, without loading the node
        else:
            def jurisdiction(obj):
                node = obj.audit_jurisdiction()
                return node.pk if node is not None else None
    getter = attrgetter(*names)
    values = getter if len(names) > 1 else (lambda obj: (getter(obj),))
    return names, values, jurisdiction


# The AuditEvent columns BulkCreateAudit fills (the others keep their defaults).
_BULK_FIELDS = ("at", "actor_id", "actor_name", "action", "content_type_id", "object_id",
                "object_repr", "jurisdiction_id", "before", "after", "note", "request_id", "ip")


class BulkCreateAudit:
    """The ``create`` audit rows of objects inserted in bulk (``bulk_create``,
    :mod:`shoumen.core.bulk`), which sends no signals: per object exactly the row the save
    signal would write (same after-snapshot, actor, request id and jurisdiction).

    The context (actor, request) is read when the recorder is made; each model's field list
    once per model. :meth:`add` each object once it has its primary key (an importer adds
    them while their rows stream to the database), :meth:`save` writes what was added.
    """

    def __init__(self, note: str = ""):
        ctx = request_context.current()
        user = ctx.user if ctx else None
        self._context = (user.pk if user else None,
                         (user.get_username() if user else "system")[:150])
        self._request = (ctx.request_id if ctx else "", ctx.ip if ctx else None)
        self._note = note[:500]
        self._content_types: dict = {}
        self._rows: list[tuple] = []

    def add(self, obj) -> None:
        """Build ``obj``'s row. No query for a model filed under its own ``jurisdiction``
        foreign key (or none), so it may run while rows stream to the database."""
        model = type(obj)
        names, values, jurisdiction = _bulk_plan(model)
        after = dict(zip(names, map(_json_value, values(obj)), strict=True))
        self._rows.append((
            model, *self._context, AuditAction.CREATE.value, str(obj.pk), str(obj)[:200],
            jurisdiction(obj) if jurisdiction else None, None, after, self._note,
            *self._request))

    def save(self) -> int:
        """Insert the rows added since the last save; returns how many."""
        at = timezone.now()
        rows, self._rows = self._rows, []
        types = self._content_types
        for model in {row[0] for row in rows} - types.keys():
            types[model] = ContentType.objects.get_for_model(model).pk
        bulk.insert_rows(
            AuditEvent,
            [(at, *row[1:4], types[row[0]], *row[4:]) for row in rows],
            fields=_BULK_FIELDS, returning_ids=False)
        return len(rows)


def record_bulk_create(instances, note=""):
    """Audit rows for objects inserted in bulk, one insert for all (see BulkCreateAudit)."""
    recorder = BulkCreateAudit(note)
    for obj in instances:
        recorder.add(obj)
    recorder.save()


def note_next_save(instance, note: str) -> None:
    """Give the audit row of ``instance``'s next save this note (e.g. the workflow step)."""
    instance._audit_note = note[:500]


@receiver(pre_save)
def _remember_before(sender, instance, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel) or instance._state.adding:
        return
    old = type(instance)._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old) if old is not None else None


@receiver(post_save)
def _audit_save(sender, instance, created, raw=False, **kwargs):
    if raw:  # loaddata: the rows are restored as they were, audit rows with them
        instance._audit_raw = True  # and its many-to-many set next (no raw flag there)
        return
    if not isinstance(instance, AuditedModel):
        return
    after = snapshot(instance)
    if created:
        record(AuditAction.CREATE, instance, after=after)
        return
    before = getattr(instance, "_audit_before", None) or {}
    changed = [k for k in after if before.get(k) != after[k]]
    note = instance.__dict__.pop("_audit_note", "")
    if changed:
        record(AuditAction.UPDATE, instance, note=note,
               before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    instance._audit_before = after


@receiver(post_delete)
def _audit_delete(sender, instance, **kwargs):
    if isinstance(instance, AuditedModel):
        record(AuditAction.DELETE, instance, before=snapshot(instance))


@receiver(m2m_changed)
def _audit_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse or not isinstance(instance, AuditedModel) or getattr(instance, "_audit_raw", False):
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    field = next(
        (f for f in instance._meta.many_to_many if f.remote_field.through is sender), None
    )
    if field is None:
        return
    names = sorted(str(o) for o in getattr(instance, field.name).all())
    record(AuditAction.UPDATE, instance, after={field.name: names},
           note=f"{action.removeprefix('post_')}: {field.name}")
