"""Jurisdiction tree and places pages.

Nodes and places come from ``visible_to(request.user)`` (capability ``geo.view``): anything
outside the user's subtree is a 404. Creating or editing a place needs ``geo.edit`` at the
place's jurisdiction; a visible place without it is a 403 that says so.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.scoping import scope_for
from shoumen.core.views import form_page, initial_jurisdiction, list_page
from shoumen.geo import services

from .filters import NodeFilter, PlaceFilter
from .forms import PlaceForm
from .models import PATH_SEGMENT, Node, Place

NODE_PAGE_SIZE = 100


def _count(model, fk: str):
    """Correlated COUNT of ``model`` rows pointing at the outer node (no join fan-out)."""
    rows = (model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
            .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _with_counts(nodes):
    return nodes.annotate(n_children=_count(Node, "parent"), n_places=_count(Place, "jurisdiction"))


def _may_see_places(user) -> None:
    authz.authorize(user, Place, "geo.view", _("Your role does not include jurisdictions and "
                                               "places. Ask your administrator if you need it."))


def _top_depth(user) -> int:
    """Depth of the user's highest visible node, so the tree's indentation starts at 0."""
    scope = scope_for(user)
    if scope.is_global:
        return 1
    paths = scope.paths("geo.view")
    return min((len(p) // PATH_SEGMENT for p in paths), default=1)


@login_required
def node_list(request):
    """The jurisdiction tree the user can see, indented by depth, with counts."""
    user = request.user
    _may_see_places(user)
    nodes = _with_counts(Node.objects.visible_to(user)).order_by("path")
    top = _top_depth(user)

    def indent(rows):
        for node in rows:
            node.indent = max(node.depth - top, 0)

    return list_page(request, NodeFilter, nodes, "geo/node_list.html", "geo/_node_table.html",
                     page_size=NODE_PAGE_SIZE, each=indent,
                     context={"can_edit": authz.holds(user, "geo.edit")})


@login_required
def node_detail(request, pk: int):
    """One jurisdiction: breadcrumbs, its children, its places."""
    user = request.user
    visible = Node.objects.visible_to(user)
    node = get_object_or_404(visible, pk=pk)
    ancestors = list(node.ancestors().exclude(pk=node.pk))
    visible_ids = set(visible.filter(pk__in=[a.pk for a in ancestors]).values_list("pk", flat=True))
    for ancestor in ancestors:
        ancestor.visible = ancestor.pk in visible_ids
    children = _with_counts(visible.filter(parent=node)).order_by("path")
    places = (Place.objects.visible_to(user).filter(jurisdiction=node)
              .select_related("building").order_by("kind", "name"))
    return render(request, "geo/node_detail.html", {
        "node": node, "ancestors": ancestors, "children": children, "places": places[:200],
        "n_places": places.count(),
        "can_edit": authz.allows(user, node, "geo.edit"),
        "can_people": authz.holds(user, "people.view"),
        "can_enterprises": authz.holds(user, "enterprises.view"),
    })


@login_required
def place_list(request):
    user = request.user
    _may_see_places(user)
    places = Place.objects.visible_to(user).select_related("jurisdiction", "building")
    return list_page(request, PlaceFilter, places, "geo/place_list.html", "geo/_place_table.html",
                     context={"can_create": authz.may_create(user, "geo.edit")})


@login_required
def place_detail(request, pk: int):
    user = request.user
    place = get_object_or_404(Place.objects.visible_to(user)
                              .select_related("jurisdiction", "building"), pk=pk)
    contained = Place.objects.visible_to(user).filter(building=place).order_by("kind", "name")
    return render(request, "geo/place_detail.html", {
        "place": place, "contained": contained[:200],
        "can_edit": authz.allows(user, place, "geo.edit"),
    })


@login_required
def place_create(request):
    user = request.user
    if not authz.may_create(user, "geo.edit"):
        raise authz.NotAllowed(_("You may not add places. Ask your subdistrict commander or "
                                 "administrator."))
    initial = initial_jurisdiction(request)
    form = PlaceForm(request.POST or None, user=user, initial=initial)
    return form_page(request, form, lambda form: services.save_place(None, form.cleaned_data,
                                                                     actor=user),
                     "geo/place_form.html", done=_place_page, context={"place": None},
                     message=lambda place: _("%(name)s has been added.") % {"name": place.name})


def _place_page(place) -> str:
    return reverse("geo:place-detail", kwargs={"pk": place.pk})


@login_required
def place_edit(request, pk: int):
    user = request.user
    place = get_object_or_404(Place.objects.visible_to(user), pk=pk)
    authz.authorize(user, place, "geo.edit", _("You may look at this place but not change it."))
    form = PlaceForm(request.POST or None, user=user, instance=place)
    return form_page(request, form, lambda form: services.save_place(place, form.cleaned_data,
                                                                     actor=user),
                     "geo/place_form.html", done=_place_page, context={"place": place},
                     message=lambda saved: _("Changes to %(name)s have been saved.")
                     % {"name": saved.name})
