"""Forms for the enterprise pages. The model's validators (unified social credit code) run in
the ModelForm, so their messages show on the field; saving is audited by the model."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shoumen.accounts.models import User
from shoumen.accounts.teams import colleagues
from shoumen.core import pii
from shoumen.core.views import style_form
from shoumen.geo.forms import NodeChoiceField
from shoumen.geo.models import Node, Place, PlaceKind
from shoumen.inspections.models import InspectionPlan, SubjectSource

from .declaring import file_field
from .models import (
    BASELINE_MATERIALS,
    DOCUMENT_MATERIALS,
    ContactKind,
    Enterprise,
    Material,
    MaterialRequirement,
    ProblemKind,
    RiskClass,
    validate_uscc,
)

STAFF_ONLY_FIELDS = ("jurisdiction", "key_enterprise")


class EnterpriseForm(forms.ModelForm):
    """Jurisdiction and the key-enterprise flag are for staff with ``enterprises.edit`` at a
    node; a liaison edits their own enterprise's details but cannot move it. The status
    moves only through the declaration's steps (:mod:`.declaring`). The
    contact's phone is held encrypted: on edit it starts empty, and empty keeps it."""

    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel",
                                                                  "autocomplete": "off"}))

    class Meta:
        model = Enterprise
        fields = ["name", "credit_code", "legal_representative", "jurisdiction", "building",
                  "floor_room", "category", "industry", "venue_category", "employees",
                  "public_facing", "key_enterprise", "contact_name", "contact_phone"]
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


class DeclarationForm(forms.Form):
    """The papers of a declaration: numbers, the signer of the commitment, a file for each
    document material the enterprise's category requires (a newer file replaces the one
    handed in), and the health roster workbook. Files are checked by the service."""

    employees_returning = forms.IntegerField(label=_("Employees returning"), min_value=1,
                                             max_value=100_000)
    disinfectant_litres = forms.DecimalField(label=_("Disinfectant on hand (litres)"),
                                             min_value=0, max_digits=7, decimal_places=1,
                                             required=False)
    masks_on_hand = forms.IntegerField(label=_("Masks on hand"), min_value=0,
                                       max_value=10_000_000, required=False)
    thermometers = forms.IntegerField(label=_("Thermometers"), min_value=0, max_value=10_000,
                                      required=False)
    commitment_signed_by = forms.CharField(
        label=_("Commitment signed by"), max_length=50, required=False,
        help_text=_("The legal representative or the person in charge who signed the "
                    "commitment (承诺书)."))
    roster = forms.FileField(label=_("Employee health roster (.xlsx)"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def __init__(self, *args, materials: list[str], have: dict, roster_rows: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.document_fields = []
        for material in materials:
            if material not in DOCUMENT_MATERIALS:
                continue
            name = file_field(material)
            current = have.get(material)
            self.fields[name] = forms.FileField(
                label=Material(material).label, required=False,
                widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
                help_text=(_("Handed in: %(name)s. A new file replaces it.")
                           % {"name": current.evidence.original_name or "—"}) if current
                else _("A PDF or a photo of the paper."))
            self.document_fields.append(name)
        self.fields["roster"].help_text = (
            _("%(n)d employees on the roster now; a new file replaces it.") % {"n": roster_rows}
            if roster_rows else
            _("One row per employee: name, ID number, phone, where in the last 14 days, "
              "temperature. Download the template."))
        style_form(self)

    def files_by_material(self) -> dict:
        return {m: self.cleaned_data[file_field(m)] for m in DOCUMENT_MATERIALS
                if self.cleaned_data.get(file_field(m))}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in (
            "employees_returning", "disinfectant_litres", "masks_on_hand", "thermometers",
            "commitment_signed_by")}


class StepForm(forms.Form):
    """A step of the resumption: its note (the reasons of a return, rejection or suspension,
    required there; an answer to them on a resubmission) and, for a return or a rejection,
    the materials to fix."""

    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    to_fix = forms.MultipleChoiceField(label=_("Materials to fix"), required=False,
                                       choices=Material.choices,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        if action.reasons:
            self.fields["note"].label = _("Reasons (the enterprise sees them)")
            self.fields["note"].required = True
        elif action.name == "submit":
            self.fields["note"].label = _("Answer to the reasons given (if it was returned)")
        if action.name not in ("return", "reject"):
            del self.fields["to_fix"]
        style_form(self)


class RequirementForm(forms.ModelForm):
    """A material a jurisdiction asks of one category of enterprises, besides the baseline."""

    class Meta:
        model = MaterialRequirement
        fields = ["jurisdiction", "category", "material", "note"]
        field_classes = {"jurisdiction": NodeChoiceField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = (Node.objects.visible_to(user,
                                                                        "resumption.configure")
                                                .order_by("path"))
        self.fields["material"].choices = [(m, Material(m).label) for m in Material.values
                                           if m not in BASELINE_MATERIALS]
        style_form(self)


class PlansForm(forms.Form):
    """Which inspection plan makes the on-site reviews of a jurisdiction's enterprises."""

    jurisdiction = NodeChoiceField(label=_("Jurisdiction"), queryset=Node.objects.none())
    onsite_review = forms.ModelChoiceField(
        label=_("On-site review plan"), queryset=InspectionPlan.objects.none(),
        help_text=_("A plan of enterprises added one by one; an accepted declaration is put on "
                    "it for one window of its schedule (every 3 days gives three days)."))

    supervision_a = forms.ModelChoiceField(label=_("Supervision of class A"), required=False,
                                           queryset=InspectionPlan.objects.none())
    supervision_b = forms.ModelChoiceField(label=_("Supervision of class B"), required=False,
                                           queryset=InspectionPlan.objects.none())
    supervision_c = forms.ModelChoiceField(label=_("Supervision of class C"), required=False,
                                           queryset=InspectionPlan.objects.none(), help_text=_(
        "Each a plan of enterprises added one by one; its schedule is the class's frequency "
        "(e.g. A daily, B every 3 days, C weekly)."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = (Node.objects.visible_to(
            user, "resumption.configure").order_by("path"))
        plans = (InspectionPlan.objects.visible_to(user).filter(
            source=SubjectSource.ENTERPRISES, active=True).order_by("name"))
        for name in ("onsite_review", "supervision_a", "supervision_b", "supervision_c"):
            self.fields[name].queryset = plans
        style_form(self)


class CheckForm(forms.Form):
    """The text of a scanned confirmation QR (a scanner app gives it, starting with SM1:)."""

    text = forms.CharField(label=_("The QR's text"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off",
                                                        "spellcheck": "false"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class ProblemForm(forms.Form):
    """A new problem; who is responsible and by when are asked only of the subdistrict's
    staff (``manage``)."""

    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ProblemKind.choices)
    description = forms.CharField(label=_("Problem"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(label=_("Responsible person"), required=False,
                                   queryset=User.objects.none())
    owner_unit = forms.CharField(label=_("Responsible unit"), max_length=50, required=False)
    due_on = forms.DateField(label=_("Due"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, manage: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = (Enterprise.objects.visible_to(user, "problems.raise")
                                              .order_by("name"))
        if manage:
            self.fields["owner"].queryset = colleagues(user, "problems.manage")
        else:
            for name in ("owner", "owner_unit", "due_on"):
                del self.fields[name]
        style_form(self)


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Responsible person"), queryset=User.objects.none())
    owner_unit = forms.CharField(label=_("Responsible unit"), max_length=50, required=False)
    due_on = forms.DateField(label=_("Due"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = colleagues(user, "problems.manage")
        style_form(self)


class TextForm(forms.Form):
    """One text: a progress note, a resolution, why a problem is open again."""

    text = forms.CharField(label=_("Progress"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["text"].label = label
        style_form(self)


class ClassForm(forms.Form):
    """Staff's class for an enterprise, with the reason; empty goes back to the computed one."""

    risk_class = forms.ChoiceField(label=_("Class"), required=False,
                                   choices=[("", _("As computed")), *RiskClass.choices])
    note = forms.CharField(label=_("Why"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class LiaisonForm(forms.Form):
    liaison = forms.ModelChoiceField(label=_("Subdistrict liaison"), required=False,
                                     queryset=User.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["liaison"].queryset = colleagues(user, "resumption.supervise")
        style_form(self)


class ContactForm(forms.Form):
    """A symposium or a field visit."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    jurisdiction = NodeChoiceField(label=_("Held by"), queryset=Node.objects.none())
    enterprises = forms.ModelMultipleChoiceField(label=_("Enterprises"),
                                                 queryset=Enterprise.objects.none())
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.CharField(label=_("Attendees"), max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2}))
    topics = forms.CharField(label=_("Topics"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    follow_ups = forms.CharField(label=_("Follow-ups"), max_length=2000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}), help_text=_(
        "What is to be done next; record what needs solving in the work ledger too."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = (Node.objects.visible_to(
            user, "resumption.supervise").order_by("path"))
        self.fields["enterprises"].queryset = (Enterprise.objects.visible_to(
            user, "resumption.supervise").order_by("name"))
        style_form(self)
