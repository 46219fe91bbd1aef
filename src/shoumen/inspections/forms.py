"""Forms of the inspection pages. The checklist's answers are checked by the service
(``checklists.fill``), not here: the page and the API give the same reasons."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumen.accounts.models import Team, TeamKind
from shoumen.checklists.models import ItemKind
from shoumen.checklists.services import usable_by
from shoumen.core.views import style_form
from shoumen.core.widgets import MultipleFileField
from shoumen.geo.models import Node, Place, PlaceKind

from .models import InspectionPlan

ANSWER, PHOTO = "a-", "p-"
YES_NO = [("yes", _("Yes")), ("no", _("No")), ("na", _("Not applicable"))]
PHOTO_ATTRS = {"accept": "image/*", "capture": "environment"}


class InspectionForm(forms.Form):
    """The checklist of ``version`` item by item (``a-<key>``, with ``p-<key>`` for a photo),
    the on-site signature, remarks and general photos."""

    signed_by = forms.CharField(label=_("Signed on site by"), max_length=50, required=False,
                                help_text=_("The name of the person in charge on site."))
    remarks = forms.CharField(label=_("Remarks"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleFileField(label=_("Other photos"), accept="image/*")

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(version.items.all())
        fields = {}
        for item in self.items:
            label = item.text + (f" ({item.options.get('unit')})" if item.options.get("unit") else "")
            if item.kind == ItemKind.YES_NO:
                field = forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect)
            elif item.kind == ItemKind.CHOICE:
                field = forms.ChoiceField(choices=[(c, c) for c in item.options["choices"]],
                                          widget=forms.RadioSelect)
            elif item.kind == ItemKind.NUMBER:
                field = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}))
                low, high = item.options.get("min"), item.options.get("max")
                if low is not None or high is not None:
                    field.help_text = _("Within %(low)s–%(high)s") % {
                        "low": low if low is not None else "", "high": high if high is not None else ""}
            elif item.kind == ItemKind.NOTE:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
            else:
                field = None
            if field is not None:
                field.required, field.label = False, label
                fields[ANSWER + item.key] = field
            if item.kind == ItemKind.PHOTO or item.photo_when_failed:
                fields[PHOTO + item.key] = forms.FileField(
                    label=label if item.kind == ItemKind.PHOTO else _("Photo if it fails"),
                    required=False, widget=forms.ClearableFileInput(attrs=PHOTO_ATTRS))
        self.fields = {**fields, **self.fields}
        style_form(self)

    def answers(self) -> dict:
        return {name[len(ANSWER):]: value for name, value in self.cleaned_data.items()
                if name.startswith(ANSWER) and value not in ("", None)}

    def item_photos(self) -> dict:
        photos = {name[len(PHOTO):]: value for name, value in self.cleaned_data.items()
                  if name.startswith(PHOTO) and value}
        return {**photos, "": self.cleaned_data.get("photos") or []}

    def add_service_error(self, key: str, messages) -> None:
        """Put the service's error for item ``key`` (or a form field) where it belongs: under
        the photo when the item is answered (its photo is what is missing), else under the
        answer."""
        answered = self.cleaned_data.get(ANSWER + key) not in (None, "")
        order = (PHOTO + key, ANSWER + key) if answered else (ANSWER + key, PHOTO + key)
        for name in (*order, key):
            if name in self.fields:
                self.add_error(name, messages)
                return
        self.add_error(None, messages)


class PlanForm(forms.ModelForm):
    class Meta:
        model = InspectionPlan
        fields = ["name", "jurisdiction", "source", "building", "area", "checklist", "team",
                  "task_force", "starts_on", "ends_on", "rectify_days"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}),
                   "ends_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = Node.objects.visible_to(user, "inspections.manage")
        self.fields["jurisdiction"].queryset = nodes
        self.fields["area"].queryset = nodes
        self.fields["building"].queryset = Place.objects.visible_to(user).filter(
            kind=PlaceKind.BUILDING)
        self.fields["checklist"].queryset = usable_by(user, "inspections.manage")
        teams = Team.objects.visible_to(user)
        self.fields["team"].queryset = teams.filter(kind=TeamKind.INSPECTION)
        self.fields["task_force"].queryset = teams.filter(kind=TeamKind.SUPERVISION)
        self.fields["starts_on"].initial = timezone.localdate()
        style_form(self)


class AnswerForm(forms.Form):
    note = forms.CharField(label=_("What was put right"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label=_("Photos or documents"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class ReinspectForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Re-inspection"), widget=forms.RadioSelect, choices=[
        ("passed", _("Put right: close it")), ("failed", _("Not yet: give a new deadline"))])
    deadline = forms.DateField(label=_("New deadline"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(label=_("Photos"), accept="image/*")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
