"""The gate's ledgers (registered with :mod:`shoumen.ledgers`, autodiscovered): a case's close
contacts, exported with the search of the contacts page (``case`` and its ``window``,
``days``, ``degree``, ``until``). Like every export it runs as a job, masks the numbers and
is audited, here on the case."""

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core.ids import parse_id
from shoumen.ledgers.registry import Exporter, register
from shoumen.people.models import Person

from .traces.contact_export import contact_sheets
from .traces.contacts import find_contacts, mark_scope
from .traces.forms import ContactSearchForm, search_params

TRACE = "gate.trace"


class ContactsExporter(Exporter):
    kind = "contacts"
    label = gettext_lazy("Close contacts")
    capability = TRACE

    def _case(self, user, params) -> Person:
        case = None
        case_id = parse_id(params.get("case"))
        if case_id is not None:
            case = (Person.objects.visible_to(user, TRACE).select_related("jurisdiction__parent")
                    .filter(pk=case_id).first())
        if case is None:
            raise ValidationError(_("Choose the case from its contacts page: no person with this "
                                    "id is within your gate.trace scope."))
        return case

    def _search(self, user, params):
        case = self._case(user, params)
        form, search = search_params(params)
        if search is None:
            raise ValidationError([f"{form.fields[name].label}: {message}" if name in form.fields
                                   else message for name, messages in form.errors.items()
                                   for message in messages])
        return mark_scope(find_contacts(case, search), user)

    def resolve(self, params):
        if params.get("until"):
            return params
        fixed = params.copy()
        fixed["until"] = timezone.localdate().isoformat()
        return fixed

    def validate(self, user, params) -> None:
        self._search(user, params)

    def count(self, user, params) -> int:
        return len(self._search(user, params).contacts)

    def sheets(self, user, params):
        return contact_sheets(self._search(user, params))

    def audit_subject(self, user, params):
        return self._case(user, params)

    def back_url(self, params) -> str | None:
        case_id = parse_id(params.get("case"))
        if case_id is None:
            return None
        search = {k: v for k, v in params.items() if k in ContactSearchForm.base_fields and v}
        url = reverse("gate:person-contacts", kwargs={"pk": case_id})
        return f"{url}?{urlencode(search)}" if search else url

    def describe_filters(self, params) -> str:
        parts = [_("case #%(id)s") % {"id": params.get("case", "?")}]
        labels = {"window": _("± minutes"), "days": _("days"), "degree": _("degrees"),
                  "until": _("up to")}
        parts += [f"{labels[k]} {params[k]}" for k in labels if params.get(k)]
        return "; ".join(parts)


register(ContactsExporter())
