"""``{% load pass_qr %}``: a pass's QR code as inline SVG (the credentials block draws it),
and its state as a badge."""

from django import template
from django.utils.safestring import mark_safe

from shoumen.credentials.templatetags.credential_qr import qr_svg

from ..passes.services import PassState, state_of

register = template.Library()


@register.simple_tag
def pass_qr(text: str, css_class: str = "pass-qr"):
    return mark_safe(qr_svg(text or "", css_class))  # noqa: S308 - segno's own SVG, no user markup


_BADGE = {PassState.LIVE: "text-bg-success", PassState.EXPIRED: "text-bg-secondary",
          PassState.REVOKED: "text-bg-danger"}


@register.inclusion_tag("gate/passes/_state_badge.html")
def pass_state_badge(resident_pass):
    state = state_of(resident_pass)
    return {"state": state, "css": _BADGE[state]}
