"""The checklist pages: the templates, one template's versions, and the editor that publishes
a new version (administrators and commanders: ``checklists.manage``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import authz
from shoumen.core.views import add_service_errors

from . import services
from .forms import ChecklistForm, ItemFormSet, initial_rows, styled
from .models import Checklist

NO_CHECKLISTS = gettext_lazy("Your role does not include checklists. Ask your administrator.")


@login_required
def checklist_list(request):
    user = request.user
    authz.authorize(user, Checklist, "checklists.view", NO_CHECKLISTS)
    checklists = (Checklist.objects.visible_to(user).select_related("jurisdiction")
                  .prefetch_related("versions"))
    return render(request, "checklists/checklist_list.html", {
        "checklists": checklists, "can_edit": authz.may_create(user, "checklists.manage")})


@login_required
def checklist_detail(request, pk: int):
    checklist = get_object_or_404(Checklist.objects.visible_to(request.user), pk=pk)
    versions = list(checklist.versions.select_related("published_by").order_by("-number"))
    chosen = request.GET.get("v", "")
    version = next((v for v in versions if str(v.number) == chosen), versions[0] if versions else None)
    return render(request, "checklists/checklist_detail.html", {
        "checklist": checklist, "versions": versions, "version": version,
        "items": version.items.all() if version else [],
        "can_edit": authz.allows(request.user, checklist, "checklists.manage")})


@login_required
def checklist_edit(request, pk: int | None = None):
    """A new template, or the next version of one (starting as a copy of the current)."""
    user = request.user
    checklist = None
    if pk is not None:
        checklist = get_object_or_404(Checklist.objects.visible_to(user), pk=pk)
        authz.authorize(user, checklist, "checklists.manage",
                        _("You may look at this checklist but not edit it."))
    else:
        authz.authorize(user, Checklist, "checklists.manage", NO_CHECKLISTS)
    post = request.POST if request.method == "POST" else None
    form = ChecklistForm(post, user=user, new=checklist is None,
                         initial={"name": checklist.name} if checklist else None)
    items = styled(ItemFormSet(post, prefix="items", initial=initial_rows(
        checklist.current() if checklist else None)))
    if post is not None and form.is_valid() and items.is_valid():
        rows = [row for f in items if (row := f.item()) is not None]
        try:
            version = _publish(checklist, form.cleaned_data, rows, user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Version %(n)s of “%(name)s” is published; new records "
                                        "use it.") % {"n": version.number,
                                                     "name": version.checklist.name})
            return redirect("checklists:detail", pk=version.checklist_id)
    return render(request, "checklists/checklist_form.html", {
        "checklist": checklist, "form": form, "items": items})


def _publish(checklist, data: dict, rows: list[dict], user):
    if checklist is None:
        return services.create_checklist(actor=user, jurisdiction=data["jurisdiction"],
                                         code=data["code"], name=data["name"],
                                         purpose=data.get("purpose") or "", items=rows)
    return services.revise_checklist(checklist, actor=user, items=rows, name=data["name"])
