"""包保: a named subdistrict liaison for large or key enterprises, and the symposiums and field
visits the subdistrict holds with enterprises."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.services import service

from .models import Contact, ContactKind, Enterprise

TEXT_MAX = 2000


@service
def assign_liaison(enterprise: Enterprise, *, actor, liaison) -> Enterprise:
    """Name the subdistrict staff member who looks after ``enterprise`` (None: nobody)."""
    authz.authorize(actor, enterprise.jurisdiction, "resumption.supervise", _(
        "Only the subdistrict's staff name an enterprise's liaison."))
    if liaison is not None and not (liaison.is_active and authz.allows(
            liaison, enterprise.jurisdiction, "enterprises.view")):
        raise ValidationError({"liaison": [_(
            "%(user)s does not work on enterprises in %(node)s; choose someone of the "
            "subdistrict's staff.") % {"user": liaison, "node": enterprise.jurisdiction}]})
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    enterprise.staff_liaison = liaison
    enterprise.save(update_fields=["staff_liaison"])
    return enterprise


@service
def record_contact(*, actor, kind: str, jurisdiction, enterprises, held_on: date,
                   attendees: str, topics: str, follow_ups: str = "") -> Contact:
    """A symposium (one or more enterprises) or a field visit (one enterprise) held by
    ``jurisdiction``'s staff."""
    authz.authorize(actor, jurisdiction, "resumption.supervise", _(
        "Only the subdistrict's staff record symposiums and visits in %(node)s.")
        % {"node": jurisdiction}, field="jurisdiction")
    enterprises = list(enterprises)
    errors: dict[str, list[str]] = {}
    if kind not in ContactKind.values:
        errors["kind"] = [_("Choose a symposium or a field visit.")]
    if not enterprises:
        errors["enterprises"] = [_("Choose the enterprises that took part.")]
    elif kind == ContactKind.VISIT and len(enterprises) > 1:
        errors["enterprises"] = [_("A field visit is to one enterprise; record a symposium for "
                                   "several.")]
    outside = [e.name for e in enterprises if not jurisdiction.contains(e.jurisdiction)]
    if outside:
        errors["enterprises"] = [_("Not in %(node)s: %(names)s.") % {
            "node": jurisdiction, "names": "、".join(outside)}]
    if not date(2000, 1, 1) <= held_on <= timezone.localdate():
        errors["held_on"] = [_("Give the day it was held (not in the future).")]
    texts = {}
    for field, value, message in (("attendees", attendees, _("Say who took part.")),
                                  ("topics", topics, _("Say what was discussed.")),
                                  ("follow_ups", follow_ups, None)):
        value = (value or "").strip()
        if not value and message:
            errors[field] = [message]
        elif len(value) > TEXT_MAX:
            errors[field] = [_("Keep it under %(n)d characters.") % {"n": TEXT_MAX}]
        texts[field] = value
    if errors:
        raise ValidationError(errors)
    contact = Contact.objects.create(kind=kind, jurisdiction=jurisdiction, held_on=held_on,
                                     recorded_by=actor, **texts)
    contact.enterprises.set(enterprises)
    return contact


def looked_after(user):
    """The enterprises ``user`` is the subdistrict liaison of, that they may still see."""
    return (Enterprise.objects.visible_to(user).filter(staff_liaison=user)
            .select_related("building").order_by("status", "name"))
