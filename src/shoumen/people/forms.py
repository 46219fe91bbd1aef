"""Forms for the people pages. They only collect input; the services validate and save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shoumen.core import pii
from shoumen.core.views import style_form
from shoumen.geo.models import Node, NodeKind

from .models import Person, PersonKind, PersonStatus, PersonTag


class JurisdictionChoiceField(forms.ModelChoiceField):
    """Communities and grids; a grid is shown with its community ("甲社区 › 一网格")."""

    def label_from_instance(self, obj):
        if obj.kind == NodeKind.GRID and obj.parent_id:
            return f"{obj.parent.name} › {obj.name}"
        return obj.name


def editable_nodes(user):
    """Communities and grids where ``user`` may register or edit people."""
    return (Node.objects.visible_to(user, "people.edit").filter(kind__gte=NodeKind.COMMUNITY)
            .select_related("parent").order_by("path"))


class PersonForm(forms.Form):
    """Create or edit a person. On edit the ID/phone start empty and empty means "keep"."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=40,
                                widget=forms.TextInput(attrs={"autocomplete": "off",
                                                              "inputmode": "text",
                                                              "class": "masked"}))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel",
                                                          "class": "masked"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=PersonKind.choices, initial=PersonKind.RESIDENT)
    jurisdiction = JurisdictionChoiceField(label=_("Community / grid"), queryset=Node.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    household = forms.CharField(label=_("Household no."), max_length=40, required=False,
                                help_text=_("People with the same number live together."))
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=PersonTag.objects.all(),
                                          required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, person=None, **kwargs):
        self.person = person
        if person is not None:
            kwargs.setdefault("initial", {
                "name": person.name, "kind": person.kind, "jurisdiction": person.jurisdiction_id,
                "address": person.address, "household": person.household,
                "tags": list(person.tags.all()), "note": person.note,
            })
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = editable_nodes(user)
        if person is not None:
            # Never render stored numbers into the page: the fields start empty.
            keep = _("Leave empty to keep the current number (%(masked)s).")
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = keep % {"masked": person.id_number_masked or "—"}
            self.fields["phone"].help_text = keep % {"masked": person.phone_masked or "—"}
            self.fields["clear_phone"] = forms.BooleanField(label=_("Remove the phone number"),
                                                           required=False)
        else:
            self.fields["id_number"].help_text = _("18 characters, as on the ID card.")
        style_form(self)

    # The services validate again; checking here too reports every bad field at once.
    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        if not value and self.person is not None:
            return ""
        try:
            return pii.validate_id_number(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        try:
            return pii.validate_phone(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_name(self):
        value = self.cleaned_data["name"].strip()
        if not value:
            raise ValidationError(_("Name is required."))
        return value

    def service_kwargs(self) -> dict:
        """Keyword arguments for services.create_person / update_person."""
        data = self.cleaned_data
        kwargs = {
            "name": data["name"], "kind": data["kind"], "jurisdiction": data["jurisdiction"],
            "address": data["address"], "household": data["household"].strip(),
            "note": data["note"], "tags": list(data["tags"]),
        }
        if self.person is None:
            kwargs["id_number"] = data["id_number"]
            kwargs["phone"] = data["phone"]
        else:
            kwargs["id_number"] = data["id_number"] or None
            if data.get("clear_phone"):
                kwargs["phone"] = ""
            else:
                kwargs["phone"] = data["phone"] or None
        return kwargs


class StatusForm(forms.Form):
    """A person's new status and why it changes."""

    status = forms.ChoiceField(label=_("New status"), choices=PersonStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             help_text=_("E.g. close contact of a case, 14 days completed."),
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is not None:  # the steps the status workflow allows from where they are
            allowed = set(Person.status_flow.next_states(person))
            self.fields["status"].choices = [c for c in PersonStatus.choices if c[0] in allowed]
        style_form(self)
