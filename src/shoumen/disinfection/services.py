"""Setting up disinfection and patrol sites, and recording each operation on them.

Nobody is sent out before their training: a site's named person and every member of its
crew need a valid disinfection training when the site is set up
(:func:`shoumen.accounts.teams.untrained`), and whoever records an operation needs one on
the day of it. A record fulfils the site's window (``duties.mark_done``) in the same
transaction as its photos (``evidence.attach``): a refused photo saves nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.accounts.models import Team, TrainingTopic
from shoumen.accounts.teams import untrained
from shoumen.core import authz
from shoumen.core.services import service
from shoumen.duties.services import create_duty, mark_done
from shoumen.evidence.services import attach, prepare_all
from shoumen.geo.models import Node, Place

from .models import FULL_PROTECTION, PATROLLED, Operation, Protection, Record, Site, SiteKind

TRAINING = TrainingTopic.DISINFECTION
REMARKS_MAX = 300


@service
def create_site(*, actor, jurisdiction: Node, kind: str, name: str, party: str, responsible,
                windows=(), place: Place | None = None, team: Team | None = None,
                agent: str = "含氯消毒液", concentration_min: int | None = None,
                concentration_max: int | None = None, frequency: str = "windows",
                starts_on: date | None = None) -> Site:
    """A site with its duty (``windows``: local times, e.g. three a day)."""
    authz.authorize(actor, Site, "disinfection.manage",
                    _("Your role does not include setting up disinfection sites."))
    authz.authorize(actor, jurisdiction, "disinfection.manage",
                    _("You may not set up disinfection sites in %(node)s.") % {"node": jurisdiction},
                    field="jurisdiction")
    errors = {}
    if kind not in SiteKind.values:
        errors["kind"] = _("Choose what kind of site it is.")
    if not (name or "").strip():
        errors["name"] = _("Give the site a name, e.g. “1号楼电梯轿厢”.")
    elif Site.objects.filter(jurisdiction=jurisdiction, place=place, name=name.strip()).exists():
        errors["name"] = _("There is already a site called “%(name)s” here.") % {"name": name.strip()}
    if not (party or "").strip():
        errors["party"] = _("Name the responsible party, e.g. the property company.")
    if place is not None and not jurisdiction.contains(place.jurisdiction):
        errors["place"] = _("Choose a place in %(node)s.") % {"node": jurisdiction}
    if responsible is None:
        errors["responsible"] = _("Name the person who does it.")
    elif problem := untrained(responsible, TRAINING):
        errors["responsible"] = problem
    elif not authz.allows(responsible, jurisdiction, "disinfection.record"):
        errors["responsible"] = _("%(user)s may not record disinfection in %(node)s.") % {
            "user": responsible, "node": jurisdiction}
    if team is not None:
        problems = [p for m in team.memberships.select_related("user")
                    if (p := untrained(m.user, TRAINING))]
        if problems:
            errors["team"] = problems
    low, high = concentration_min, concentration_max
    if low is not None and high is not None and low > high:
        errors["concentration_max"] = _("The upper concentration is below the lower one.")
    if errors:
        raise ValidationError(errors)
    leader = team.leader() if team is not None else None
    duty = create_duty(actor=actor, jurisdiction=jurisdiction,
                       title=f"{place.name} · {name.strip()}" if place else name.strip(),
                       kind="patrol" if kind in PATROLLED else "disinfection",
                       frequency=frequency, windows=windows,
                       starts_on=starts_on or timezone.localdate(), place=place,
                       owner=responsible,
                       leader=leader if leader and authz.allows(leader, jurisdiction, "duties.view")
                       else None)
    site = Site.objects.create(jurisdiction=jurisdiction, kind=kind, name=name.strip(),
                               place=place, party=party.strip(), responsible=responsible,
                               team=team, agent=agent, concentration_min=low,
                               concentration_max=high, duty=duty)
    duty.subject = site
    duty.save(update_fields=["subject_type", "subject_id"])
    return site


def may_record(user, site: Site) -> str | None:
    """Why ``user`` may not record on ``site`` today (None if they may)."""
    if not authz.allows(user, site, "disinfection.record"):
        return _("Your role does not include recording disinfection here.")
    return untrained(user, TRAINING)


@service
def record(site: Site, *, actor, operation: str, protection, agent: str = "",
           concentration=None, done_at=None, photos=(), remarks: str = "") -> Record:
    """One operation on ``site`` by ``actor``."""
    authz.authorize(actor, site, "disinfection.record",
                    _("You may see this site but not record on it."))
    now = timezone.now()
    done_at = done_at or now
    if problem := untrained(actor, TRAINING, timezone.localdate(done_at)):
        raise authz.NotAllowed(problem)
    errors = {}
    if operation not in Operation.values:
        errors["operation"] = _("Choose what was done.")
    if done_at > now + timedelta(minutes=5):
        errors["done_at"] = _("The time is in the future; give the time it was done.")
    worn = sorted(set(protection or ()))
    if not set(worn) <= set(Protection.values):
        errors["protection"] = _("Tick the equipment worn from the list.")
    elif site.patrolled and set(worn) != FULL_PROTECTION:
        missing = "、".join(str(Protection(p).label) for p in sorted(FULL_PROTECTION - set(worn)))
        errors["protection"] = _("Sewage lines are patrolled in full protective equipment; "
                                 "missing: %(missing)s.") % {"missing": missing}
    elif Protection.MASK not in worn:
        errors["protection"] = _("A mask is worn for every disinfection: tick it once it is on.")
    value = None
    if concentration not in (None, ""):
        try:
            value = int(str(concentration).strip())
        except ValueError:
            errors["concentration"] = _("Give the concentration in mg/L as a whole number, e.g. 500.")
        else:
            if not 0 <= value <= 100000:
                errors["concentration"] = _("Give the concentration in mg/L, 0 to 100000.")
    elif site.concentration_min is not None or site.concentration_max is not None:
        errors["concentration"] = _("Give the concentration used (expected %(e)s).") % {
            "e": site.expected}
    if len(remarks or "") > REMARKS_MAX:
        errors["remarks"] = _("Keep the remarks under %(n)s characters.") % {"n": REMARKS_MAX}
    ready = []
    try:  # every photo checked before anything is written
        ready = prepare_all({"photos": list(photos)})["photos"] if photos else []
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    low, high = site.concentration_min, site.concentration_max
    ok = value is None or ((low is None or value >= low) and (high is None or value <= high))
    entry = Record.objects.create(
        site=site, jurisdiction_id=site.jurisdiction_id, place_id=site.place_id, by=actor,
        done_at=done_at, operation=operation, agent=(agent or site.agent).strip()[:50],
        concentration=value, concentration_ok=ok, protection=worn,
        remarks=(remarks or "").strip())
    for photo in ready:
        attach(entry, photo, actor=actor, capability="disinfection.record")
    mark_done(site.duty, at=done_at, record=entry)
    return entry
