from django import forms
from django.utils.translation import gettext_lazy as _

from shoumen.accounts.models import Team
from shoumen.accounts.teams import colleagues
from shoumen.core.views import style_form
from shoumen.core.widgets import MultipleFileField
from shoumen.geo.models import Node, Place

from .models import Operation, Protection, Site


class RecordForm(forms.Form):
    """One operation, in seconds on a phone: what was done (the site's usual first), the
    agent and concentration, the equipment worn, a photo."""

    operation = forms.ChoiceField(label=_("Done"), choices=Operation.choices,
                                  widget=forms.RadioSelect)
    agent = forms.CharField(label=_("Agent"), max_length=50, required=False)
    concentration = forms.CharField(label=_("Concentration (mg/L)"), required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    protection = forms.MultipleChoiceField(label=_("Protective equipment worn"), required=False,
                                           choices=Protection.choices,
                                           widget=forms.CheckboxSelectMultiple)
    photos = MultipleFileField(label=_("Photo"), accept="image/*")
    remarks = forms.CharField(label=_("Remarks"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].initial = (Operation.PATROLLED if site.patrolled else
                                            Operation.EMPTIED if site.kind == "mask_bin"
                                            else Operation.DISINFECTED)
        self.fields["agent"].initial = site.agent
        self.fields["concentration"].help_text = _("Expected: %(e)s") % {"e": site.expected}
        self.fields["photos"].widget.attrs["capture"] = "environment"
        style_form(self)


class SiteForm(forms.ModelForm):
    windows = forms.CharField(label=_("Windows"), initial="08:00-10:00, 13:00-15:00, 18:00-20:00",
                              help_text=_("Local times, comma-separated, e.g. 08:00-10:00, "
                                          "13:00-15:00."))

    class Meta:
        model = Site
        fields = ["jurisdiction", "place", "kind", "name", "party", "responsible", "team",
                  "agent", "concentration_min", "concentration_max"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = Node.objects.visible_to(user, "disinfection.manage")
        self.fields["place"].queryset = Place.objects.visible_to(user)
        self.fields["team"].queryset = Team.objects.visible_to(user)
        self.fields["responsible"].queryset = colleagues(user, "disinfection.manage").filter(
            trainings__isnull=False).distinct()
        style_form(self)

    def clean_windows(self):
        text = self.cleaned_data["windows"]
        pairs = [part.strip().split("-") for part in text.replace("，", ",").split(",")
                 if part.strip()]
        if not pairs or any(len(p) != 2 for p in pairs):
            raise forms.ValidationError(_("Write the windows as 08:00-10:00, 13:00-15:00."))
        return [[a.strip(), b.strip()] for a, b in pairs]
