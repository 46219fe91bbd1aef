"""Form widgets, and the one field that takes several files (photos of a record)."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A single-choice <select> rendered in Python instead of one template per option.

    A commander's jurisdiction filter lists hundreds of communities and grids; Django's
    template-per-option rendering spends about 0.3 ms on each, which alone broke the people
    list's time budget at city scale. Output is the same markup as ``forms.Select``.
    For a model choice field, the labels are read straight from ``label_field`` (no model
    instances are built); the model's ``__str__`` must return that field.
    """

    def __init__(self, attrs=None, choices=(), label_field: str = "name"):
        super().__init__(attrs, choices)
        self.label_field = label_field

    def _pairs(self):
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return self.choices
        empty = [("", self.choices.field.empty_label)] if self.choices.field.empty_label is not None else []
        return empty + list(queryset.values_list("pk", self.label_field))

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = "" if value is None else str(value)
        options = format_html_join(
            "", "<option value=\"{}\"{}>{}</option>",
            ((str(key), " selected" if str(key) == selected else "", label)
             for key, label in self._pairs()),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files from one ``<input type=file multiple>``; a list (maybe empty).
    Their content is checked by the service that stores them (``shoumen.evidence``)."""

    def __init__(self, *args, accept: str = "image/*,application/pdf", **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]
