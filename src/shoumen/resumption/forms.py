"""Forms for the enterprise pages. The model's validators (unified social credit code) run in
the ModelForm, so their messages show on the field; saving is audited by the model."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shoumen.core import pii
from shoumen.core.views import style_form
from shoumen.geo.forms import NodeChoiceField
from shoumen.geo.models import Node, Place, PlaceKind

from .models import Enterprise, validate_uscc

STAFF_ONLY_FIELDS = ("jurisdiction", "status")


class EnterpriseForm(forms.ModelForm):
    """Jurisdiction and status are for staff with ``enterprises.edit`` at a node; a liaison
    edits their own enterprise's details but cannot move it or declare it resumed. The
    contact's phone is held encrypted: on edit it starts empty, and empty keeps it."""

    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel",
                                                                  "autocomplete": "off"}))

    class Meta:
        model = Enterprise
        fields = ["name", "credit_code", "jurisdiction", "building", "floor_room", "industry",
                  "employees", "contact_name", "contact_phone", "status"]
        field_classes = {"jurisdiction": NodeChoiceField}
        help_texts = {"credit_code": _("18 characters, as printed on the business licence.")}
        error_messages = {
            "credit_code": {"unique": _("An enterprise with this credit code is already registered.")},
        }

    def __init__(self, *args, user, staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["contact_phone"].help_text = _(
                "Now %(masked)s. Leave empty to keep it.") % {
                    "masked": self.instance.contact_phone_masked or "—"}
            self.fields["clear_contact_phone"] = forms.BooleanField(
                label=_("Remove the contact phone"), required=False)
        if staff:
            self.fields["jurisdiction"].queryset = (Node.objects.visible_to(user, "enterprises.edit")
                                                    .order_by("path"))
        else:
            for name in STAFF_ONLY_FIELDS:
                del self.fields[name]
        buildings = Place.objects.visible_to(user, "geo.view").filter(kind=PlaceKind.BUILDING)
        if self.instance.building_id:
            buildings = buildings | Place.objects.filter(pk=self.instance.building_id)
        self.fields["building"].queryset = buildings.order_by("name")
        # Longer than 18 so that a mistyped code gets the explanatory message, not "too long".
        code = self.fields["credit_code"]
        code.max_length = 40
        code.validators = []
        code.widget.attrs.update({"autocomplete": "off", "class": "masked", "maxlength": "40"})
        style_form(self)

    def clean_credit_code(self):
        value = self.cleaned_data["credit_code"].strip().replace(" ", "").upper()
        validate_uscc(value)
        return value

    def clean_contact_phone(self):
        value = self.cleaned_data["contact_phone"].strip()
        if not value:
            return ""
        try:
            return pii.validate_phone(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean(self):
        """The changes for the service: a new number, '' to remove it, nothing to keep it."""
        data = super().clean()
        if data.pop("clear_contact_phone", False):
            data["contact_phone"] = ""
        elif self.instance.pk and not data.get("contact_phone"):
            data.pop("contact_phone", None)
        return data
