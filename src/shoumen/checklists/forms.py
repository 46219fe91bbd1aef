"""The template editor: a checklist's name and its items as rows of a formset; a row left
empty is dropped, a row ticked "remove" is left out of the next version."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumen.core.views import style_form
from shoumen.geo.models import Node

from .models import ItemKind


class ChecklistForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=50, required=False,
                           help_text=_("Lower-case letters, digits, - and _, e.g. small-venue."))
    purpose = forms.CharField(label=_("Used for"), max_length=40, required=False)
    jurisdiction = forms.ModelChoiceField(label=_("Jurisdiction"), queryset=Node.objects.none(),
                                          required=False)

    def __init__(self, *args, user, new: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if new:
            self.fields["code"].required = True
            self.fields["jurisdiction"].required = True
            self.fields["jurisdiction"].queryset = Node.objects.visible_to(user, "checklists.manage")
        else:
            for name in ("code", "purpose", "jurisdiction"):
                del self.fields[name]
        style_form(self)


class ItemForm(forms.Form):
    text = forms.CharField(label=_("Item"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices, initial=ItemKind.YES_NO)
    key = forms.CharField(label=_("Key"), max_length=40, required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    photo_when_failed = forms.BooleanField(label=_("Photo when it fails"), required=False)
    low = forms.CharField(label=_("From"), required=False, max_length=20)
    high = forms.CharField(label=_("To"), required=False, max_length=20)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=20)
    choices = forms.CharField(label=_("Choices"), required=False, max_length=300,
                              help_text=_("Separated by commas"))
    failing = forms.CharField(label=_("Failing choices"), required=False, max_length=300)

    def item(self) -> dict | None:
        """The row as ``checklists.services`` takes an item; None for an empty or removed
        row."""
        data = self.cleaned_data
        if not data or data.get("DELETE") or not (data.get("text") or "").strip():
            return None
        split = [c.strip() for c in (data.get("choices") or "").replace("，", ",").split(",")]
        failing = [c.strip() for c in (data.get("failing") or "").replace("，", ",").split(",")]
        item = {"text": data["text"], "kind": data["kind"], "required": data["required"],
                "photo_when_failed": data["photo_when_failed"]}
        if data.get("key"):
            item["key"] = data["key"]
        if data["kind"] == ItemKind.NUMBER:
            item["options"] = {"min": data.get("low"), "max": data.get("high"),
                               "unit": data.get("unit")}
        if data["kind"] == ItemKind.CHOICE:
            item["options"] = {"choices": [c for c in split if c],
                               "failing": [c for c in failing if c]}
        return item


ItemFormSet = forms.formset_factory(ItemForm, extra=3, can_delete=True, max_num=100,
                                    validate_max=True)


def initial_rows(version) -> list[dict]:
    """A version's items as the editor's rows (the next version starts as a copy)."""
    rows = []
    for item in version.items.all() if version else []:
        options = item.options or {}
        rows.append({"text": item.text, "kind": item.kind, "key": item.key,
                     "required": item.required, "photo_when_failed": item.photo_when_failed,
                     "low": options.get("min") or "", "high": options.get("max") or "",
                     "unit": options.get("unit") or "",
                     "choices": ", ".join(options.get("choices", [])),
                     "failing": ", ".join(options.get("failing", []))})
    return rows


def styled(formset):
    for form in formset:
        style_form(form)
    return formset
