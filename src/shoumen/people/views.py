"""People pages: the registry list, a person's page, create/edit, status change, reveal.

Every query starts from ``Person.objects.visible_to(request.user)``: a person outside the
user's jurisdictions is a 404. A person the user can see but lacks the capability for (a
volunteer editing, say) is a 403 that says so. State changes go through :mod:`.services`.
"""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shoumen.core import authz
from shoumen.core.models import AuditEvent
from shoumen.core.views import checkbox_dropdown, form_page, list_page, optional_url

from . import services
from .filters import PersonFilter
from .forms import PersonForm, StatusForm, editable_nodes
from .models import Person


def _visible(request):
    return Person.objects.visible_to(request.user)


def _get_person(request, pk):
    """The person if the user may see them, else 404 (same as a missing one)."""
    return get_object_or_404(_visible(request).select_related("jurisdiction__parent"), pk=pk)




@login_required
def person_list(request):
    """The registry: search, filters, sortable columns, 50 a page; htmx swaps the results."""
    user = request.user
    authz.authorize(user, Person, "people.view", _(
        "Your role does not include the people registry. Ask your administrator if you need it."))
    people = _visible(request).select_related("jurisdiction__parent").prefetch_related("tags")
    import_url = optional_url("ledgers:import", kind="people") if authz.holds(user, "people.import") else None
    return list_page(
        request, PersonFilter, people, "people/person_list.html", "people/_person_table.html",
        adjust=lambda form: checkbox_dropdown(form, "status"), export=("people", "people.export"),
        context={"import_url": import_url,
                 "can_create": authz.may_create(user, "people.edit") and editable_nodes(user).exists()})


def _detail_context(request, person: Person) -> dict:
    user = request.user
    can_edit = authz.allows(user, person, "people.edit")
    household = []
    if person.household:
        household = (_visible(request).filter(household=person.household).exclude(pk=person.pk)
                     .select_related("jurisdiction")[:50])
    audit_events = []
    if can_edit:
        audit_events = (AuditEvent.objects
                        .filter(content_type=ContentType.objects.get_for_model(Person),
                                object_id=str(person.pk))
                        .select_related("actor", "content_type").order_by("-at", "-id")[:50])
    return {
        "person": person,
        "tags": person.tags.all(),
        "household": household,
        "status_changes": person.status_changes.select_related("changed_by")[:50],
        "audit_events": audit_events,
        "can_edit": can_edit,
        "can_status": authz.allows(user, person, "people.status"),
        "can_reveal": authz.allows(user, person, "people.reveal"),
        "can_audit": authz.holds(user, "audit.view"),
    }


@login_required
def person_detail(request, pk: int):
    person = _get_person(request, pk)
    return render(request, "people/person_detail.html", _detail_context(request, person))


@never_cache
@login_required
@require_POST
def person_reveal(request, pk: int):
    """Full ID number and phone (audited as view_pii); a fragment for htmx."""
    person = _get_person(request, pk)
    numbers = services.reveal_person(person, actor=request.user)
    if getattr(request, "htmx", False):
        return render(request, "people/_reveal.html", {"person": person, "numbers": numbers})
    context = _detail_context(request, person)
    context["numbers"] = numbers
    return render(request, "people/person_detail.html", context)


@login_required
def person_create(request):
    user = request.user
    if not authz.may_create(user, "people.edit") or not editable_nodes(user).exists():
        raise authz.NotAllowed(_("You may not register people. Ask a community worker or your "
                                 "administrator."))
    form = PersonForm(request.POST or None, user=user)
    return form_page(
        request, form, lambda form: services.create_person(actor=user, **form.service_kwargs()),
        "people/person_form.html", done=_person_page, context={"person": None},
        message=lambda person: _("%(name)s has been registered.") % {"name": person.name})


def _person_page(person) -> str:
    return reverse("people:detail", kwargs={"pk": person.pk})


@login_required
def person_edit(request, pk: int):
    person = _get_person(request, pk)
    user = request.user
    authz.authorize(user, person, "people.edit",
                    _("You may look at this person but not change their details."))
    form = PersonForm(request.POST or None, user=user, person=person)
    return form_page(
        request, form,
        lambda form: services.update_person(person, actor=user, **form.service_kwargs()),
        "people/person_form.html", done=_person_page, context={"person": person},
        message=lambda saved: _("Changes to %(name)s have been saved.") % {"name": saved.name})


@login_required
def person_status(request, pk: int):
    person = _get_person(request, pk)
    user = request.user
    authz.authorize(user, person, "people.status",
                    _("You may look at this person but not change their status."))
    form = StatusForm(request.POST or None, person=person)  # offers only the next steps
    return form_page(
        request, form,
        lambda form: services.change_status(person, actor=user, status=form.cleaned_data["status"],
                                            reason=form.cleaned_data["reason"]),
        "people/person_status.html", done=lambda change: _person_page(person),
        context={"person": person},
        message=lambda change: _("Status changed to %(status)s.")
        % {"status": change.get_to_status_display()})
