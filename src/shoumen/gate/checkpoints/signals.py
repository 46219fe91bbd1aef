"""A checkpoint device ends the moment its guard may no longer register at its checkpoint.

Whatever takes that right away — a role assignment removed, deactivated or moved to another
node, the guard taken off the checkpoint, the checkpoint closed or moved, the account
deactivated — saves one of the models below, and the handlers here revoke the affected
devices in the same transaction (:func:`~shoumen.gate.checkpoints.services.retire_unguarded_devices`,
audited with the reason). The token check itself (``services.LIVE_DEVICE``) also refuses a
closed checkpoint and an inactive account, and the daily sweep (``tasks``) catches changes
made around these signals (a queryset ``update``, raw SQL).
"""

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from shoumen.accounts.models import RoleAssignment
from shoumen.geo.models import Place, PlaceKind

from .models import Checkpoint
from .services import retire_unguarded_devices


@receiver([post_save, post_delete], sender=RoleAssignment,
          dispatch_uid="gate-devices-role-assignment")
def _role_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        retire_unguarded_devices(users=[instance.user_id])


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="gate-devices-user")
def _user_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # signing in changes nothing a device depends on
    retire_unguarded_devices(users=[instance.pk])


@receiver(post_save, sender=Checkpoint, dispatch_uid="gate-devices-checkpoint")
def _checkpoint_saved(sender, instance, raw=False, created=False, **kwargs):
    if not (raw or created):
        retire_unguarded_devices(checkpoints=[instance.pk])


@receiver(post_save, sender=Place, dispatch_uid="gate-devices-place")
def _place_saved(sender, instance, raw=False, created=False, **kwargs):
    if not (raw or created) and instance.kind == PlaceKind.CHECKPOINT:
        retire_unguarded_devices(checkpoints=[instance.pk])  # a checkpoint's pk is its place's


@receiver(m2m_changed, sender=Checkpoint.guards.through, dispatch_uid="gate-devices-guards")
def _guards_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_remove", "post_clear"}:
        return
    if reverse:  # user.guarded_checkpoints.remove(…): instance is the user
        retire_unguarded_devices(users=[instance.pk])
    else:
        retire_unguarded_devices(checkpoints=[instance.pk])
