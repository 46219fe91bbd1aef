"""Form widgets."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A single-choice <select> rendered in Python instead of one template per option.

    A commander's jurisdiction filter lists hundreds of communities and grids; Django's
    template-per-option rendering spends about 0.3 ms on each, which alone broke the people
    list's time budget at city scale. Output is the same markup as ``forms.Select``.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = "" if value is None else str(value)
        options = format_html_join(
            "", "<option value=\"{}\"{}>{}</option>",
            ((str(key), " selected" if str(key) == selected else "", label)
             for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)
