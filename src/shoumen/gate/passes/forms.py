"""Forms of the resident pass pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shoumen.core.views import style_form
from shoumen.core.widgets import FastSelect
from shoumen.geo.models import Node, NodeKind

from .filters import PASSES_CAPABILITY


def bulk_nodes(user):
    """Communities and grids where ``user`` may issue passes."""
    return Node.objects.visible_to(user, PASSES_CAPABILITY).filter(
        kind__in=[NodeKind.COMMUNITY, NodeKind.GRID])


class BulkIssueForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(
        label=_("Community or grid"), queryset=Node.objects.none(), widget=FastSelect,
        error_messages={"invalid_choice": _("Choose a community or grid in your jurisdiction "
                                            "from the list.")})
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"), required=False, min_value=1,
        max_value=settings.PASS_VALID_DAYS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = bulk_nodes(user)
        self.fields["valid_days"].help_text = gettext(
            "Leave empty for the longest validity (%(days)d days).") % {
                "days": settings.PASS_VALID_DAYS}
        style_form(self)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"), max_length=200,
        error_messages={"required": _("Say why the pass is revoked (e.g. lost, moved away).")},
        widget=forms.TextInput(attrs={"placeholder": _("e.g. lost, moved away")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
