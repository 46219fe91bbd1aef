"""State changes for people. Views, API, imports and commands all go through these."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import audit, authz, pii
from shoumen.core.models import AuditAction
from shoumen.core.services import service
from shoumen.core.workflow import advance

from .models import Person, StatusChange

EDITABLE_FIELDS = ("name", "kind", "address", "household", "jurisdiction", "note")


def _check_jurisdiction(actor, node) -> None:
    from shoumen.geo.models import NodeKind

    authz.authorize(actor, node, "people.edit", _("You cannot register people in %(node)s.")
                    % {"node": node}, field="jurisdiction")
    if node.kind < NodeKind.COMMUNITY:
        raise ValidationError({"jurisdiction": _("Choose a community or grid, not a %(kind)s.")
                               % {"kind": node.get_kind_display()}})


def _apply_numbers(person: Person, id_number: str | None, phone: str | None) -> None:
    errors = {}
    if id_number is not None:
        try:
            number = pii.validate_id_number(id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages
        else:
            clash = Person.objects.filter(id_number_index=pii.blind_index("id", number))
            if person.pk:
                clash = clash.exclude(pk=person.pk)
            if clash.exists():
                errors["id_number"] = [_("This ID number is already registered; search for it "
                                         "instead of adding the person again.")]
            else:
                person.set_id_number(number)
    if phone is not None:
        if phone.strip():
            try:
                person.set_phone(pii.validate_phone(phone))
            except ValidationError as exc:
                errors["phone"] = exc.messages
        else:
            person.set_phone("")
    if errors:
        raise ValidationError(errors)


@service
def create_person(*, actor, jurisdiction, name, id_number, phone="", tags=(), **fields) -> Person:
    """Register a person. Raises ValidationError (by field) and writes nothing on bad input."""
    _check_jurisdiction(actor, jurisdiction)
    if not (name or "").strip():
        raise ValidationError({"name": _("Name is required.")})
    person = Person(jurisdiction=jurisdiction, **fields)
    person.set_name(name)
    _apply_numbers(person, id_number, phone)
    person.status_since = timezone.now()
    person.save()
    if tags:
        person.tags.set(tags)
    return person


@service
def update_person(person: Person, *, actor, id_number=None, phone=None, tags=None,
                  **fields) -> Person:
    """Change a person's details; ``None`` leaves a number unchanged. Audited by the model."""
    authz.authorize(actor, person, "people.edit",
                    _("You may look at this person but not change their details."))
    person = Person.objects.select_for_update().get(pk=person.pk)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    if "jurisdiction" in fields and fields["jurisdiction"].pk != person.jurisdiction_id:
        _check_jurisdiction(actor, fields["jurisdiction"])
    name = fields.pop("name", None)
    for key, value in fields.items():
        setattr(person, key, value)
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": _("Name is required.")})
        person.set_name(name)
    _apply_numbers(person, id_number, phone)
    person.save()
    if tags is not None:
        person.tags.set(tags)
    return person


@service
def change_status(person: Person, *, actor, status: str, reason: str) -> StatusChange | None:
    """Move a person to ``status`` along their status workflow (``Person.status_flow``) and
    keep the step, with its reason, in their history. A no-op if unchanged; an illegal step
    is refused with the possible next ones."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.status == status:
        authz.authorize(actor, person, "people.status", Person.status_flow.refused)
        return None
    return advance(person, Person.status_flow, status, actor=actor, note=(reason or "").strip())


@service
def reveal_person(person: Person, *, actor) -> dict:
    """Full ID number and phone for someone allowed to see them; the read is audited."""
    authz.authorize(actor, person, "people.reveal", _(
        "You may not see full ID and phone numbers. Ask a community worker or your commander "
        "if you need them."))
    audit.record(AuditAction.VIEW_PII, person, note="id_number, phone")
    return {"id_number": person.id_number, "phone": person.phone}
