"""Forms for the places pages. Place.clean() runs in the ModelForm, so its rules show as
field errors; saving is audited by the model (AuditedModel)."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from shoumen.core import pii
from shoumen.core.views import style_form

from .models import Node, Place, PlaceKind


class NodeChoiceField(forms.ModelChoiceField):
    """Jurisdictions indented by their depth in the tree."""

    def label_from_instance(self, obj):
        return f"{'· ' * max(obj.depth - 1, 0)}{obj.name}"


class PlaceForm(forms.ModelForm):
    class Meta:
        model = Place
        fields = ["jurisdiction", "kind", "name", "venue_category", "address", "building",
                  "property_company", "contact_name", "contact_phone", "active"]
        field_classes = {"jurisdiction": NodeChoiceField}
        help_texts = {"venue_category": _("Only for venues: which of the nine kinds of small "
                                          "venues it is.")}
        error_messages = {
            NON_FIELD_ERRORS: {"unique_together": _("This jurisdiction already has a place of this "
                                                    "kind with this name; open that one instead.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = Node.objects.visible_to(user, "geo.edit").order_by("path")
        buildings = Place.objects.visible_to(user, "geo.edit").filter(kind=PlaceKind.BUILDING)
        if self.instance.pk:
            buildings = buildings.exclude(pk=self.instance.pk)
        self.fields["building"].queryset = buildings.order_by("name")
        style_form(self)

    def clean_contact_phone(self):
        value = self.cleaned_data["contact_phone"].strip()
        if not value:
            return ""
        try:
            return pii.validate_phone(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
