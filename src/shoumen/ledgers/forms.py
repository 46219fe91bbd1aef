"""Forms for the ledger pages. They collect input; the services check it and start the jobs."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumen.core.views import style_form
from shoumen.geo.models import Node

from .jobs import importable_nodes
from .models import ImportMode
from .registry import Importer
from .upload_checks import check_upload


class NodeChoiceField(forms.ModelChoiceField):
    """Jurisdictions indented by depth below the user's top node, so the tree reads like a
    tree on a phone too."""

    top_depth = 1

    def label_from_instance(self, obj):
        return f"{'· ' * max(obj.depth - self.top_depth, 0)}{obj.name}"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Ledger file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={
            "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )
    jurisdiction = NodeChoiceField(
        label=_("Import into"), queryset=Node.objects.none(),
        help_text=_("Rows whose community column is empty go to this community; rows naming a "
                    "community must name one inside it."),
    )
    mode = forms.ChoiceField(label=_("If some rows have problems"), choices=ImportMode.choices,
                             initial=ImportMode.ALL_OR_NOTHING, widget=forms.RadioSelect)

    def __init__(self, *args, user, importer: Importer, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = importable_nodes(user, importer).order_by("path")
        self.fields["jurisdiction"].queryset = nodes
        top = nodes.first()  # the top of the user's own jurisdiction
        if top is not None:
            self.fields["jurisdiction"].initial = top.pk
            self.fields["jurisdiction"].top_depth = top.depth
        style_form(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload)
        return upload
