"""``{% load credential_qr %}``: a credential's QR code as inline SVG.

The SVG is drawn by segno on the server, so a printed sheet or a phone view needs no script
and no network asset. Error correction M (15 % of the code may be lost) keeps the code at
version 9 for a pass's ~240 characters: large modules on a card, still readable when worn.
"""

from functools import lru_cache

import segno
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

QR_ERROR = "m"
QR_BORDER = 4  # the quiet zone the standard asks for, in modules


@lru_cache(maxsize=1024)
def qr_svg(text: str, css_class: str = "pass-qr") -> str:
    """The SVG of ``text`` (a credential never changes, so the drawing is kept: choosing the
    best mask costs segno ~25 ms a code)."""
    code = segno.make(text, error=QR_ERROR, micro=False)
    # No width/height: the viewBox scales to whatever box the page's CSS gives it.
    return code.svg_inline(border=QR_BORDER, omitsize=True, svgclass=css_class, lineclass=None,
                           dark="#000", light="#fff")


@register.simple_tag
def credential_qr(text: str, css_class: str = "pass-qr"):
    return mark_safe(qr_svg(text or "", css_class))  # noqa: S308 - segno's own SVG, no user markup
