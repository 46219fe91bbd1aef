"""Roles from the domain and what each may do.

A capability is a verb on a module (``people.view``); a role is a fixed set of capabilities;
a user holds roles at jurisdiction nodes (:class:`~shoumen.accounts.models.RoleAssignment`),
which is where their capabilities apply (see :mod:`shoumen.core.scoping`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_COMMANDER = "district_commander", _("District commander")
    SUBDISTRICT_COMMANDER = "subdistrict_commander", _("Subdistrict commander")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    CHECKPOINT_GUARD = "checkpoint_guard", _("Checkpoint guard")
    VOLUNTEER = "volunteer", _("Volunteer")
    INSPECTOR = "inspector", _("Inspector")
    DISINFECTION_CREW = "disinfection_crew", _("Disinfection crew")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    STATION_STAFF = "station_staff", _("Station staff")
    ENTERPRISE_LIAISON = "enterprise_liaison", _("Enterprise liaison")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


PEOPLE_READ = {"people.view", "geo.view"}
PEOPLE_WORK = PEOPLE_READ | {"people.edit", "people.status", "people.export"}
COMMAND = PEOPLE_WORK | {
    "people.reveal", "people.import", "geo.edit", "enterprises.view", "enterprises.edit",
}

# The gate: see checkpoints, entries and passes; register at a checkpoint one guards; issue and
# revoke passes; manage checkpoints, guards and devices; follow up fever alerts; trace
# movements and find close contacts.
GATE_READ = {"gate.view"}
GATE_STAFF = GATE_READ | {"gate.register", "gate.passes", "gate.manage", "gate.alerts",
                          "gate.trace"}

# Recurring duties (inspections, disinfection, patrols): see them and their compliance; set
# them up and assign them.
DUTIES_READ = {"duties.view", "checklists.view"}
DUTIES_STAFF = DUTIES_READ | {"duties.manage"}
# Checklist templates are the commanders' (and administrators'): a version, once published,
# is what every inspection below them is made with.
CHECKLISTS_EDIT = {"checklists.manage"}

# Inspections: see plans, inspections and rectifications; record inspections and
# re-inspections; plan them (commanders). The responsible party answers a rectification (a
# liaison for their enterprise; community staff on a small venue's behalf).
INSPECTIONS_READ = {"inspections.view"}
INSPECTIONS_WORK = INSPECTIONS_READ | {"inspections.record", "rectifications.answer"}
INSPECTIONS_PLAN = INSPECTIONS_WORK | {"inspections.manage"}

# Disinfection and patrols: see sites and their register; record operations (a trained
# crew member); set sites up and name who does them.
DISINFECTION_READ = {"disinfection.view"}
DISINFECTION_WORK = DISINFECTION_READ | {"disinfection.record"}
DISINFECTION_SETUP = DISINFECTION_WORK | {"disinfection.manage"}

# Resumption (复工复产): declare (the enterprise's liaison, or staff on its behalf); review
# the papers, approve after the on-site review, suspend a resumed enterprise; set which
# materials each category hands in and which plans make the on-site reviews.
# The work ledger (工作台账): raise an enterprise's problem and write in its thread (the
# enterprise and staff); assign it, solve it, reopen it (the subdistrict's staff).
RESUMPTION_DECLARE = {"resumption.declare", "problems.raise"}
RESUMPTION_STAFF = RESUMPTION_DECLARE | {"resumption.review", "resumption.approve",
                                         "resumption.supervise", "resumption.configure",
                                         "problems.manage"}

# What a commander plans and sets up beyond the people registry and the gate.
COMMAND_DUTIES = (DUTIES_STAFF | CHECKLISTS_EDIT | INSPECTIONS_PLAN | DISINFECTION_SETUP
                  | RESUMPTION_STAFF)

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DISTRICT_COMMANDER: frozenset(COMMAND | GATE_STAFF | COMMAND_DUTIES | {"audit.view"}),
    Role.SUBDISTRICT_COMMANDER: frozenset(COMMAND | GATE_STAFF | COMMAND_DUTIES),
    Role.COMMUNITY_WORKER: frozenset(PEOPLE_WORK | GATE_STAFF | DUTIES_STAFF | INSPECTIONS_WORK
                                     | DISINFECTION_SETUP | RESUMPTION_DECLARE
                                     | {"people.reveal", "people.import", "enterprises.view"}),
    Role.GRID_WORKER: frozenset(PEOPLE_WORK | GATE_READ | {"gate.alerts", "gate.trace"}),
    Role.CHECKPOINT_GUARD: frozenset({"geo.view", "gate.view", "gate.register"}),
    Role.VOLUNTEER: frozenset(PEOPLE_READ),
    Role.INSPECTOR: frozenset({"geo.view", "enterprises.view", "inspections.record"}
                              | DUTIES_READ | INSPECTIONS_READ | DISINFECTION_READ),
    Role.DISINFECTION_CREW: frozenset({"geo.view"} | DUTIES_READ | DISINFECTION_WORK),
    Role.DUTY_OFFICER: frozenset({"geo.view", "people.view", "enterprises.view", "gate.view",
                                  "gate.trace"} | DUTIES_READ | INSPECTIONS_READ
                                 | DISINFECTION_READ),
    Role.PROJECT_MANAGER: frozenset({"geo.view"}),
    Role.STATION_STAFF: frozenset({"geo.view", "people.view", "gate.view", "gate.register"}),
    # A liaison's assignment names their enterprise; they see that enterprise and nothing else.
    Role.ENTERPRISE_LIAISON: frozenset({"enterprises.view", "enterprises.edit",
                                        "inspections.view", "rectifications.answer"}
                                       | RESUMPTION_DECLARE),
    Role.SYSTEM_ADMIN: frozenset(COMMAND | GATE_STAFF | COMMAND_DUTIES
                                 | {"audit.view", "accounts.manage"}),
}

# Roles whose assignment is to an enterprise rather than to a whole jurisdiction subtree.
ENTERPRISE_ROLES = frozenset({Role.ENTERPRISE_LIAISON})


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())
