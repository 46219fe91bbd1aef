"""The audit trail's writers.

Signal handlers audit every create, update and delete of an :class:`AuditedModel`, whatever
made it (service, admin, shell), so no code path can forget. :func:`record` writes the rows
that are not model saves: reads of full personal data, imports, exports, bulk operations.
The actor and request id come from :mod:`shoumen.core.request_context`.
"""

import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from . import request_context
from .models import AuditAction, AuditedModel, AuditEvent


def snapshot(instance) -> dict:
    """JSON-safe values of the instance's concrete fields, minus those it excludes."""
    values = {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.name not in instance.audit_exclude and f.attname not in instance.audit_exclude
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


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


def record_bulk_create(instances, note=""):
    """Audit rows for objects inserted with ``bulk_create`` (which sends no signals)."""
    AuditEvent.objects.bulk_create(
        [_event(AuditAction.CREATE, obj, after=snapshot(obj), note=note) for obj in instances],
        batch_size=1000,
    )


@receiver(pre_save)
def _remember_before(sender, instance, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel) or instance._state.adding:
        return
    old = type(instance)._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old) if old is not None else None


@receiver(post_save)
def _audit_save(sender, instance, created, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel):
        return
    after = snapshot(instance)
    if created:
        record(AuditAction.CREATE, instance, after=after)
        return
    before = getattr(instance, "_audit_before", None) or {}
    changed = [k for k in after if before.get(k) != after[k]]
    if changed:
        record(AuditAction.UPDATE, instance,
               before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    instance._audit_before = after


@receiver(post_delete)
def _audit_delete(sender, instance, **kwargs):
    if isinstance(instance, AuditedModel):
        record(AuditAction.DELETE, instance, before=snapshot(instance))


@receiver(m2m_changed)
def _audit_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse or not isinstance(instance, AuditedModel):
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
