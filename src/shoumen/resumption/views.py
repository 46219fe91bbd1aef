"""Enterprise pages: list, detail, create, edit.

Enterprises come from ``Enterprise.objects.visible_to(request.user)``: staff see those in their
jurisdictions, an enterprise liaison sees only the enterprise named in their assignment; any
other enterprise is a 404. Creating needs ``enterprises.edit`` at a jurisdiction; editing needs
it for that enterprise (a liaison's own counts).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.views import initial_jurisdiction, list_response, paginate, style_form, through_service
from shoumen.geo.models import Node, Place, PlaceKind
from shoumen.resumption import services

from .filters import EnterpriseFilter
from .forms import EnterpriseForm
from .models import Enterprise


@login_required
def enterprise_list(request):
    user = request.user
    authz.authorize(user, Enterprise, "enterprises.view", _(
        "Your role does not include enterprises. Ask your administrator if you need it."))
    enterprises = Enterprise.objects.visible_to(user).select_related("jurisdiction", "building")
    filterset = EnterpriseFilter(request.GET or None, queryset=enterprises, request=request)
    filterset.filters["node"].queryset = Node.objects.visible_to(user, "enterprises.view").order_by("path")
    filterset.filters["building"].queryset = (Place.objects.visible_to(user, "geo.view")
                                              .filter(kind=PlaceKind.BUILDING).order_by("name"))
    style_form(filterset.form).fields["q"].help_text = _("Name or credit code")
    page = paginate(request, filterset.qs)
    can_create = authz.may_create(user, "enterprises.edit")
    return list_response(request, "resumption/enterprise_list.html",
                         "resumption/_enterprise_table.html",
                         {"filter": filterset, "page_obj": page, "can_create": can_create})


@login_required
def enterprise_detail(request, pk: int):
    user = request.user
    enterprise = get_object_or_404(Enterprise.objects.visible_to(user)
                                   .select_related("jurisdiction", "building"), pk=pk)
    can_edit = authz.allows(user, enterprise, "enterprises.edit")
    return render(request, "resumption/enterprise_detail.html", {
        "enterprise": enterprise, "can_edit": can_edit,
        "can_see_place": bool(enterprise.building_id)
        and Place.objects.visible_to(user).filter(pk=enterprise.building_id).exists(),
    })


@login_required
def enterprise_create(request):
    user = request.user
    if not authz.may_create(user, "enterprises.edit"):
        raise authz.NotAllowed(_("You may not register enterprises. Ask the subdistrict's "
                                 "resumption task force."))
    initial = initial_jurisdiction(request)
    form = EnterpriseForm(request.POST or None, user=user, staff=True, initial=initial)
    if request.method == "POST" and form.is_valid() and (
            enterprise := through_service(form, services.save_enterprise, None,
                                          form.cleaned_data, actor=user)):
        messages.success(request, _("%(name)s has been registered.") % {"name": enterprise.name})
        return redirect("resumption:enterprise-detail", pk=enterprise.pk)
    return render(request, "resumption/enterprise_form.html", {"form": form, "enterprise": None})


@login_required
def enterprise_edit(request, pk: int):
    user = request.user
    enterprise = get_object_or_404(Enterprise.objects.visible_to(user), pk=pk)
    authz.authorize(user, enterprise, "enterprises.edit",
                    _("You may look at this enterprise but not change it."))
    form = EnterpriseForm(request.POST or None, user=user,
                          staff=services.is_staff_for(user, enterprise),
                          instance=enterprise)
    if request.method == "POST" and form.is_valid() and (
            saved := through_service(form, services.save_enterprise, enterprise,
                                     form.cleaned_data, actor=user)):
        enterprise = saved
        messages.success(request, _("Changes to %(name)s have been saved.") % {"name": enterprise.name})
        return redirect("resumption:enterprise-detail", pk=enterprise.pk)
    return render(request, "resumption/enterprise_form.html", {"form": form, "enterprise": enterprise})


@login_required
def building_enterprises(request, place_id: int):
    """The enterprises in a building the user may see, for the building's page (empty for a
    user without enterprises, so the places page needs no enterprise code)."""
    user = request.user
    enterprises = []
    if authz.holds(user, "enterprises.view") and Place.objects.visible_to(user).filter(
            pk=place_id).exists():
        enterprises = (Enterprise.objects.visible_to(user).filter(building_id=place_id)
                       .order_by("name")[:200])
    return render(request, "resumption/_building_enterprises.html", {"enterprises": enterprises})
