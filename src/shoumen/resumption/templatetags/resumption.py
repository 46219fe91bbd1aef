from django import template

from shoumen.resumption.models import Material

register = template.Library()


@register.filter
def material_label(value: str) -> str:
    """A material's name in the interface's language (the value itself if unknown)."""
    return str(Material(value).label) if value in Material.values else value
