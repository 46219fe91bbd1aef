"""Shapes of the trace and close-contact endpoints (see /api/docs/).

Like :mod:`shoumen.gate.entries.serializers`, they declare their fields for the schema and
write their output by hand (a contact list can hold thousands of exposures). Give them what the
services return: :func:`shoumen.gate.traces.services.person_trace` and a scope-marked
:func:`shoumen.gate.traces.contacts.find_contacts` result (people loaded with their
jurisdiction and its parent, checkpoints with their place, its jurisdiction and building).
"""

from django.conf import settings
from rest_framework import serializers

from shoumen.core.ids import IdSerializerField

from ..api.common import PersonSummarySerializer, iso_datetime, iso_from_epoch, person_summary
from ..entries.models import Direction, Method
from .contact_cards import CheckpointCard


class TraceNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class TraceCheckpointSerializer(serializers.Serializer):
    """A checkpoint with its jurisdiction and its site (the building, for a lobby)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    jurisdiction = TraceNodeSerializer()
    site_id = serializers.IntegerField(help_text="Entries at the same site can be contacts.")
    site_name = serializers.CharField(help_text="The building for a lobby, else the checkpoint.")

    def to_representation(self, instance):
        return checkpoint_brief(instance)


def checkpoint_brief(card) -> dict:
    """A :class:`~shoumen.gate.contact_cards.CheckpointCard` as the API shows it."""
    node = card.jurisdiction
    return {"id": card.pk, "name": card.name,
            "jurisdiction": {"id": node.pk, "name": node.name, "code": node.code},
            "site_id": card.site_id, "site_name": card.site_name}


class ContactPersonNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TracePartnerSerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The matching entry's id.")
    at = serializers.DateTimeField()
    direction = serializers.ChoiceField(choices=Direction.choices)


class TraceEntrySerializer(serializers.Serializer):
    """One entry of the trace, with its other half (the next opposite-direction entry at the
    same site: out, then back in) or null when there is none (an open loop)."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    temperature = serializers.DecimalField(max_digits=3, decimal_places=1)
    fever = serializers.BooleanField()
    method = serializers.ChoiceField(choices=Method.choices)
    checkpoint = TraceCheckpointSerializer()
    paired_with = TracePartnerSerializer(allow_null=True)
    minutes_between = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance):
        return trace_entry(instance)


def trace_entry(item) -> dict:
    e, partner = item.entry, item.partner
    return {
        "id": e.pk, "at": iso_datetime(e.at), "direction": e.direction,
        "temperature": str(e.temperature), "fever": e.fever, "method": e.method,
        "checkpoint": checkpoint_brief(CheckpointCard.of(e.checkpoint)),
        "paired_with": None if partner is None else {
            "entry": partner.pk, "at": iso_datetime(partner.at), "direction": partner.direction},
        "minutes_between": item.minutes_between,
    }


class TraceSerializer(serializers.Serializer):
    """A person's movement trace: every entry at any checkpoint in the retention period,
    newest first (entries outside your jurisdiction included: it is their own trace)."""

    person = PersonSummarySerializer()
    retention_days = serializers.IntegerField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    truncated = serializers.BooleanField(help_text="True when only the newest 2,000 are listed.")
    last_entry = TraceEntrySerializer(allow_null=True)
    entries = TraceEntrySerializer(many=True)

    def to_representation(self, trace):
        entries = [trace_entry(t) for t in trace.entries]
        return {"person": person_summary(trace.person), "retention_days": settings.RETENTION_DAYS,
                "since": iso_datetime(trace.since), "until": iso_datetime(trace.until),
                "truncated": trace.truncated, "last_entry": entries[0] if entries else None,
                "entries": entries}


class ContactQuerySerializer(serializers.Serializer):
    """The search (all optional; ranges are checked by the service, 400 by field)."""

    window = serializers.IntegerField(required=False,
                                      help_text="± minutes around each of the case's entries, "
                                                "5–120 (default 30).")
    days = serializers.IntegerField(required=False,
                                    help_text="Period in days up to `until`, 1 to the retention "
                                              "period (default 14).")
    degree = serializers.IntegerField(required=False,
                                      help_text="1: direct contacts; 2 (default): also theirs.")
    until = serializers.DateTimeField(required=False, help_text="End of the period; default now.")


class ContactPageSerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, help_text="Page of contacts (default 1).")
    page_size = serializers.IntegerField(required=False,
                                         help_text="Contacts per page, default 50, at most 500.")


class ObserveRequestSerializer(ContactQuerySerializer):
    people = serializers.ListField(child=IdSerializerField(), required=False,
                                   help_text="Only these contacts (person ids), e.g. the ones "
                                             "the user confirmed; default all found.")


class ExposureSerializer(serializers.Serializer):
    """The contact's entry and the entry it met (the case's, or a first-degree contact's)."""

    entry = serializers.IntegerField()
    at = serializers.DateTimeField()
    checkpoint = TraceCheckpointSerializer()
    linked_entry = serializers.IntegerField()
    linked_at = serializers.DateTimeField()
    linked_checkpoint = TraceCheckpointSerializer()
    linked_person = ContactPersonNameSerializer()
    minutes_apart = serializers.FloatField(help_text="Contact's time minus the linked time.")


class CaseEntrySerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    at = serializers.DateTimeField()
    checkpoint = TraceCheckpointSerializer()


class ContactSerializer(serializers.Serializer):
    person = PersonSummarySerializer()
    degree = serializers.IntegerField()
    in_scope = serializers.BooleanField(help_text="You may change their status; if false, "
                                                  "notify their community.")
    via = ContactPersonNameSerializer(many=True, help_text="Second degree: the first-degree contacts "
                                                    "who link them.")
    exposure_count = serializers.IntegerField()
    first_exposure_at = serializers.DateTimeField()
    exposures = ExposureSerializer(many=True)


class ContactCountsSerializer(serializers.Serializer):
    case_entries = serializers.IntegerField()
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    in_scope = serializers.IntegerField()
    outside_scope = serializers.IntegerField()
    exposures = serializers.IntegerField()


class ContactResultSerializer(serializers.Serializer):
    """A case's close contacts: first degree, then second degree, each by first exposure."""

    case = PersonSummarySerializer()
    window_minutes = serializers.IntegerField()
    days = serializers.IntegerField()
    degree = serializers.IntegerField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    counts = ContactCountsSerializer()
    truncated = serializers.BooleanField(help_text="A limit was reached: there may be more.")
    truncated_first = serializers.BooleanField()
    truncated_second = serializers.BooleanField()
    case_entries = CaseEntrySerializer(many=True)
    count = serializers.IntegerField(help_text="Contacts found, on all pages.")
    next = serializers.URLField(allow_null=True, help_text="The next page of contacts.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page.")
    contacts = ContactSerializer(many=True, help_text="This page of the contacts (50 by "
                                                      "default).")

    def to_representation(self, result):
        p = result.params
        checkpoints: dict = {}

        def brief(cp):
            if cp.pk not in checkpoints:
                checkpoints[cp.pk] = checkpoint_brief(cp)
            return checkpoints[cp.pk]

        def exposure(x):
            return {"entry": x.entry_id, "at": iso_from_epoch(x.at_s),
                    "checkpoint": brief(x.checkpoint), "linked_entry": x.linked_entry_id,
                    "linked_at": iso_from_epoch(x.linked_at_s),
                    "linked_checkpoint": brief(x.linked_checkpoint),
                    "linked_person": {"id": x.linked_person.pk, "name": x.linked_person.name},
                    "minutes_apart": x.minutes_apart}

        return {
            "case": person_summary(result.case), "window_minutes": p.window_minutes,
            "days": p.days, "degree": p.degree, "since": iso_datetime(p.since),
            "until": iso_datetime(p.until), "counts": result.counts,
            "truncated": result.truncated, "truncated_first": result.truncated_first,
            "truncated_second": result.truncated_second,
            "case_entries": [{"entry": e.entry_id, "at": iso_from_epoch(e.at_s),
                              "checkpoint": brief(e.checkpoint)} for e in result.case_entries],
            "contacts": [{
                "person": person_summary(c.person), "degree": c.degree, "in_scope": c.in_scope,
                "via": [{"id": v.pk, "name": v.name} for v in c.via],
                "exposure_count": c.exposure_count,
                "first_exposure_at": iso_from_epoch(c.first_exposure.at_s),
                "exposures": [exposure(x) for x in c.exposures],
            } for c in self.context.get("page", result.contacts)],
        }


class ObserveCountsSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    already = serializers.IntegerField()
    stricter = serializers.IntegerField()
    outside_scope = serializers.IntegerField()


class ObserveResultSerializer(serializers.Serializer):
    """What the action did: who was put under home observation, who already was, who kept a
    stricter status, and who is outside your jurisdiction (not changed: notify their
    community)."""

    counts = ObserveCountsSerializer()
    changed = PersonSummarySerializer(many=True)
    already = PersonSummarySerializer(many=True)
    stricter = PersonSummarySerializer(many=True)
    outside_scope = PersonSummarySerializer(many=True)

    def to_representation(self, plan):
        return {"counts": plan.counts,
                "changed": [person_summary(c.person) for c in plan.to_change],
                "already": [person_summary(c.person) for c in plan.already],
                "stricter": [person_summary(c.person) for c in plan.stricter],
                "outside_scope": [person_summary(c.person) for c in plan.outside]}
