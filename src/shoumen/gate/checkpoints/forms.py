"""Forms of the checkpoint pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumen.core.scoping import subtree_q
from shoumen.core.views import style_form
from shoumen.geo.forms import NodeChoiceField
from shoumen.geo.models import Node, NodeKind, Place, PlaceKind

from . import services


class BuildingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.jurisdiction.name}"


class CheckpointForm(forms.Form):
    """A new checkpoint: a community gate, or a building's lobby (choose the building)."""

    jurisdiction = NodeChoiceField(label=_("Community / grid"), queryset=Node.objects.none(),
                                   help_text=_("Where the checkpoint is; its staff follow it up."))
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("As the guards call it, e.g. “East gate”."))
    building = BuildingChoiceField(label=_("Building (for a lobby)"), required=False,
                                   queryset=Place.objects.none(),
                                   help_text=_("Leave empty for a community gate."),
                                   error_messages={"invalid_choice": _(
                                       "Choose a building in the checkpoint's community, or "
                                       "none for a community gate.")})
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args, user, narrow_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = (
            Node.objects.visible_to(user, "gate.manage")
            .filter(kind__in=[NodeKind.COMMUNITY, NodeKind.GRID]).order_by("path"))
        buildings = (Place.objects.visible_to(user, "gate.manage")
                     .filter(kind=PlaceKind.BUILDING, active=True)
                     .select_related("jurisdiction").order_by("jurisdiction__path", "name"))
        community = self._chosen_community()
        if community is not None:
            buildings = buildings.filter(subtree_q(community.path, "jurisdiction__"))
        self.fields["building"].queryset = buildings
        style_form(self)
        if narrow_url:  # choosing the community narrows the buildings (htmx swaps that field)
            self.fields["jurisdiction"].widget.attrs.update({
                "hx-get": narrow_url, "hx-trigger": "change", "hx-target": "#building-field",
                "hx-select": "#building-field", "hx-swap": "outerHTML", "hx-include": "this"})

    def _chosen_community(self):
        key = self.add_prefix("jurisdiction")
        value = (self.data.get(key) if self.is_bound else None) or self.initial.get("jurisdiction")
        if not str(value or "").isdigit():
            return None
        node = self.fields["jurisdiction"].queryset.filter(pk=int(value)).first()
        return services._community_of(node) if node is not None else None


class GuardsForm(forms.Form):
    """The checkpoint's guards, chosen among users who may guard it (and the current ones,
    so that a guard who lost the role shows and can be removed)."""

    guards = forms.ModelMultipleChoiceField(label=_("Guards"), required=False,
                                            queryset=get_user_model().objects.none(),
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, checkpoint, **kwargs):
        User = get_user_model()  # noqa: N806
        kwargs.setdefault("initial", {"guards": list(checkpoint.guards.all())})
        super().__init__(*args, **kwargs)
        candidates = services.guard_candidates(checkpoint).values("pk")
        self.fields["guards"].queryset = User.objects.filter(
            Q(pk__in=candidates) | Q(guarded_checkpoints=checkpoint)).distinct().order_by("username")
        self.fields["guards"].help_text = _(
            "Users holding the checkpoint guard role in this checkpoint's community (or above or "
            "below it). Give someone the role first if they are missing.")
        style_form(self)
