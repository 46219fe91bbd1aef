"""A case's close contacts as the sheets of an Excel workbook (密切接触者名单): the search,
the contacts (one row each) and their exposures (one row each), numbers masked. The export
itself runs through the ledger registry (:mod:`shoumen.gate.ledger`), which audits it."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.geo.models import NodeKind
from shoumen.ledgers.registry import Sheet

from .contacts import ContactResult


def community_label(person) -> str:
    """The person's community, with the grid after it when they are filed under a grid."""
    node = person.jurisdiction
    if node.kind == NodeKind.GRID and node.parent_id:
        return f"{node.parent.name} › {node.name}"
    return node.name


def _search_rows(result: ContactResult) -> list[list]:
    p, case, counts = result.params, result.case, result.counts
    return [
        [_("Case"), case.name], [_("ID number"), case.id_number_masked],
        [_("Community"), community_label(case)],
        [_("Period"), f"{timezone.localtime(p.since):%Y-%m-%d %H:%M} – "
                      f"{timezone.localtime(p.until):%Y-%m-%d %H:%M}"],
        [_("Window (± minutes)"), p.window_minutes], [_("Degrees"), p.degree],
        [_("Case's entries in the period"), counts["case_entries"]],
        [_("First-degree contacts"), counts["first"]],
        [_("Second-degree contacts"), counts["second"]],
        [_("Outside your jurisdiction"), counts["outside_scope"]],
        [_("Complete"), _("No: a limit was reached, there may be more contacts")
         if result.truncated else _("Yes")],
        [_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M")],
    ]


def _contact_rows(result: ContactResult):
    for c in result.contacts:
        first = c.first_exposure
        yield [c.degree, c.person.name, c.person.id_number_masked, c.person.phone_masked,
               community_label(c.person), str(c.person.get_status_display()),
               _("Yes") if c.in_scope else _("No — notify their community"),
               "、".join(v.name for v in c.via), first.at, first.site_name,
               first.checkpoint.name, c.exposure_count]


def _exposure_rows(result: ContactResult):
    for c in result.contacts:
        for x in c.exposures:
            yield [c.degree, c.person.name, c.person.id_number_masked, x.at, x.checkpoint.name,
                   x.checkpoint.site_name, x.linked_person.name, x.linked_at,
                   x.linked_checkpoint.name, x.minutes_apart]


def contact_sheets(result: ContactResult) -> list[Sheet]:
    """The workbook's three sheets for a (scope-marked) contact search."""
    search = _search_rows(result)
    return [
        Sheet(_("Search"), [_("Item"), _("Value")], [26, 50], search, len(search)),
        Sheet(_("Close contacts"),
              [_("Degree"), _("Name"), _("ID number"), _("Phone"), _("Community"), _("Status"),
               _("In your jurisdiction"), _("Through"), _("First exposure"), _("Site"),
               _("Checkpoint"), _("Exposures")],
              [8, 12, 22, 15, 22, 14, 10, 16, 18, 20, 20, 10], _contact_rows(result),
              len(result.contacts)),
        Sheet(_("Exposures"),
              [_("Degree"), _("Name"), _("ID number"), _("Time"), _("Checkpoint"), _("Site"),
               _("Met"), _("Their time"), _("Their checkpoint"), _("Minutes apart")],
              [8, 12, 22, 18, 20, 20, 12, 18, 20, 12], _exposure_rows(result),
              sum(len(c.exposures) for c in result.contacts)),
    ]
