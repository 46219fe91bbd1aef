"""The follow-up form of a fever alert, and the badges of its stages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumen.core.views import style_form

from . import services
from .models import FeverStage


class FollowUpForm(forms.Form):
    """The next step of a fever alert; the choices are the steps that may follow now."""

    stage = forms.ChoiceField(label=_("Next step"), widget=forms.RadioSelect)
    temperature = forms.CharField(
        label=_("Temperature (°C)"), required=False, max_length=5,
        help_text=_("Needed when re-measured, e.g. 36.8."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    clinic = forms.CharField(label=_("Fever clinic"), required=False, max_length=100,
                             help_text=_("Needed when sent to a fever clinic: which one."))
    note = forms.CharField(label=_("Note"), required=False, max_length=300,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, alert, **kwargs):
        super().__init__(*args, **kwargs)
        # Any step is accepted here and judged by the service, which says why a step cannot
        # follow; only the steps that may follow now are offered.
        self.fields["stage"].choices = [(s.value, s.label) for s in FeverStage
                                        if s != FeverStage.OPEN]
        self.fields["stage"].widget.choices = [(s.value, s.label)
                                               for s in services.next_steps(alert)]
        style_form(self)

    def service_kwargs(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("stage", "temperature", "clinic", "note")}


STAGE_BADGES = {
    FeverStage.OPEN: "text-bg-danger",
    FeverStage.REMEASURED: "text-bg-warning",
    FeverStage.SENT_TO_CLINIC: "text-bg-info",
    FeverStage.CLEARED: "text-bg-secondary",
}
