"""Template helpers of the gate's pages: masked names and the retention period.

``{% load gate_manage %}``; ``{{ person.name|masked_name }}`` → 张*;
``{% retention_days as days %}``.
"""

from django import template
from django.conf import settings

from ..passes.services import mask_name

register = template.Library()


@register.filter
def masked_name(name: str) -> str:
    return mask_name(name)


@register.simple_tag
def retention_days() -> int:
    return settings.RETENTION_DAYS
