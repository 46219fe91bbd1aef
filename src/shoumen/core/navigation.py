"""The modules in the navigation, each shown only to users whose roles grant it.

Later apps add their module here; the nav, the home page and tests all read this list.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .scoping import scope_for


@dataclass(frozen=True)
class Module:
    key: str
    label: str
    url_name: str
    capability: str | None  # None: superusers only
    icon: str = ""
    # Something waiting for the user, counted beside the label (e.g. open fever alerts): the
    # dotted path of a function(user) -> int, asked only of users with ``badge_capability``.
    badge: str = ""
    badge_capability: str = ""
    badge_label: str = ""

    def badge_count(self, user) -> int:
        if not self.badge or not scope_for(user).can(self.badge_capability):
            return 0
        return import_string(self.badge)(user)

    @property
    def url(self) -> str | None:
        """The module's page, or None where this deployment's URLconf leaves it out."""
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


MODULES = [
    Module("people", _("People"), "people:list", "people.view"),
    Module("gate", _("Gate"), "gate:home", "gate.view",
           badge="shoumen.gate.home.open_alert_count", badge_capability="gate.alerts",
           badge_label=_("open fever alerts")),
    Module("places", _("Jurisdictions & places"), "geo:node-list", "geo.view"),
    Module("enterprises", _("Enterprises"), "resumption:enterprise-list", "enterprises.view"),
    Module("duties", _("Duties"), "duties:window-list", "duties.view",
           badge="shoumen.duties.services.missed_today_count", badge_capability="duties.view",
           badge_label=_("missed windows today")),
    Module("inspections", _("Inspections"), "inspections:today", "inspections.view",
           badge="shoumen.inspections.services.escalated_count",
           badge_capability="inspections.view", badge_label=_("escalated rectifications")),
    Module("disinfection", _("Disinfection"), "disinfection:site-list", "disinfection.view"),
    Module("ledgers", _("Ledgers"), "ledgers:jobs", "people.export"),
    Module("audit", _("Audit trail"), "core:audit-list", "audit.view"),
]


def modules_for(user) -> list[Module]:
    scope = scope_for(user)
    return [m for m in MODULES
            if (scope.can(m.capability) if m.capability else user.is_superuser) and m.url]
