"""Enterprise pages: list, detail, create, edit.

Enterprises come from ``Enterprise.objects.visible_to(request.user)``: staff see those in their
jurisdictions, an enterprise liaison sees only the enterprise named in their assignment; any
other enterprise is a 404. Creating needs ``enterprises.edit`` at a jurisdiction; editing needs
it for that enterprise (a liaison's own counts).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shoumen.core import authz
from shoumen.core.views import form_page, initial_jurisdiction, list_page
from shoumen.geo.models import Place
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
    return list_page(request, EnterpriseFilter, enterprises, "resumption/enterprise_list.html",
                     "resumption/_enterprise_table.html",
                     context={"can_create": authz.may_create(user, "enterprises.edit")})


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


@never_cache
@login_required
@require_POST
def enterprise_reveal(request, pk: int):
    """The contact's full phone (audited as view_pii), as a fragment for htmx."""
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    phone = services.reveal_contact(enterprise, actor=request.user)
    return render(request, "resumption/_contact_phone.html", {"enterprise": enterprise,
                                                              "phone": phone})


@login_required
def enterprise_create(request):
    user = request.user
    if not authz.may_create(user, "enterprises.edit"):
        raise authz.NotAllowed(_("You may not register enterprises. Ask the subdistrict's "
                                 "resumption task force."))
    initial = initial_jurisdiction(request)
    form = EnterpriseForm(request.POST or None, user=user, staff=True, initial=initial)
    return form_page(
        request, form, lambda form: services.save_enterprise(None, form.cleaned_data, actor=user),
        "resumption/enterprise_form.html", done=_enterprise_page, context={"enterprise": None},
        message=lambda saved: _("%(name)s has been registered.") % {"name": saved.name})


def _enterprise_page(enterprise) -> str:
    return reverse("resumption:enterprise-detail", kwargs={"pk": enterprise.pk})


@login_required
def enterprise_edit(request, pk: int):
    user = request.user
    enterprise = get_object_or_404(Enterprise.objects.visible_to(user), pk=pk)
    authz.authorize(user, enterprise, "enterprises.edit",
                    _("You may look at this enterprise but not change it."))
    form = EnterpriseForm(request.POST or None, user=user,
                          staff=services.is_staff_for(user, enterprise),
                          instance=enterprise)
    return form_page(
        request, form,
        lambda form: services.save_enterprise(enterprise, form.cleaned_data, actor=user),
        "resumption/enterprise_form.html", done=_enterprise_page, context={"enterprise": enterprise},
        message=lambda saved: _("Changes to %(name)s have been saved.") % {"name": saved.name})


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
