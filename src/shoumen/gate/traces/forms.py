"""The close-contact search: its form (the contacts page's) and its parameters from a query
string, for the page and the export alike."""

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core.views import add_service_errors

from .contacts import WINDOW_RANGE, contact_params


class ContactSearchForm(forms.Form):
    """The search's parameters; :func:`shoumen.gate.traces.contacts.contact_params` checks them."""

    window = forms.IntegerField(label=gettext_lazy("Window (± minutes)"), required=False,
                                widget=forms.NumberInput(attrs={"min": WINDOW_RANGE[0],
                                                                "max": WINDOW_RANGE[1]}))
    days = forms.IntegerField(label=gettext_lazy("Period (days)"), required=False,
                              widget=forms.NumberInput(attrs={"min": 1}))
    degree = forms.TypedChoiceField(label=gettext_lazy("Degrees"), coerce=int, required=False,
                                    empty_value=None, choices=[
                                        (2, gettext_lazy("First and second degree")),
                                        (1, gettext_lazy("First degree only"))])
    until = forms.DateField(label=gettext_lazy("Up to (date)"), required=False,
                            help_text=gettext_lazy("Empty: up to now."),
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs["max"] = settings.RETENTION_DAYS
        self.fields["window"].help_text = _("From %(low)s to %(high)s.") % {
            "low": WINDOW_RANGE[0], "high": WINDOW_RANGE[1]}
        self.fields["days"].help_text = _("From 1 to %(max)s.") % {"max": settings.RETENTION_DAYS}


def search_params(data):
    """(form, params) for the search in ``data`` (a query string's values): the form as the
    page shows it, and the service's parameters, None when the form has errors (on the form).
    No search given: the defaults."""
    initial = {"window": settings.CONTACT_WINDOW_MINUTES,
               "days": min(settings.CONTACT_PERIOD_DAYS, settings.RETENTION_DAYS), "degree": 2}
    given = {k: v for k, v in data.items() if k in ContactSearchForm.base_fields}
    form = ContactSearchForm(given or None, initial=initial)
    if not given:
        return form, contact_params()
    if not form.is_valid():
        return form, None
    until = form.cleaned_data["until"]
    try:
        params = contact_params(**{**form.cleaned_data, "until": until and timezone.make_aware(
            datetime.combine(until, time.max))})
    except ValidationError as exc:
        add_service_errors(form, exc)
        return form, None
    return form, params
