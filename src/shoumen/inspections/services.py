"""Inspection plans and their subjects' duties, inspections in the field, and rectifications
from opening to closing or escalation.

An inspection is stored with the checklist version it was made with
(:func:`shoumen.checklists.services.fill`), its photos as evidence
(:func:`shoumen.evidence.services.attach`), and fulfils its subject's window
(:func:`shoumen.duties.services.mark_done`), all in one transaction: a refused photo or a
wrong answer saves nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.accounts.models import Team, TeamKind, TeamPosition
from shoumen.checklists.services import fill
from shoumen.core import audit, authz
from shoumen.core.models import AuditAction
from shoumen.core.services import service
from shoumen.core.workflow import advance
from shoumen.duties.models import Window
from shoumen.duties.schedules import Frequency, parse_windows
from shoumen.duties.services import create_duty, mark_done, renew_duty
from shoumen.evidence.services import attach, prepare_all
from shoumen.geo.models import Node, Place, PlaceKind

from .models import (
    Inspection,
    InspectionPlan,
    PlanSubject,
    Rectification,
    RectificationState,
    SubjectSource,
)

KIND = "inspection"  # the duties' kind of record an inspection fulfils
REPEAT_DAYS = 30  # the same item failing again within this many days escalates at once
NOTE_MAX = 500


# --- plans -----------------------------------------------------------------------------------

@service
def create_plan(*, actor, jurisdiction: Node, name: str, source: str, checklist, team: Team,
                starts_on: date, building: Place | None = None, area: Node | None = None,
                task_force: Team | None = None, frequency: str = "daily", windows=(),
                interval_days: int = 1, ends_on: date | None = None,
                rectify_days: int = 3) -> InspectionPlan:
    """A plan and a duty for each of its subjects, shared out among the team's inspectors."""
    authz.authorize(actor, InspectionPlan, "inspections.manage",
                    _("Your role does not include planning inspections. Ask your administrator."))
    authz.authorize(actor, jurisdiction, "inspections.manage",
                    _("You may not plan inspections in %(node)s.") % {"node": jurisdiction},
                    field="jurisdiction")
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Give the plan a name, e.g. “绿地中心企业每日检查”.")
    if source not in SubjectSource.values:
        errors["source"] = _("Choose what the plan inspects.")
    elif source == SubjectSource.COMMUNITY_VENUES:
        if area is None or not jurisdiction.contains(area):
            errors["area"] = _("Choose the community (or grid) whose venues are inspected, in "
                               "%(node)s.") % {"node": jurisdiction}
    elif source == SubjectSource.ENTERPRISES:
        building = area = None
    elif building is None or building.kind != PlaceKind.BUILDING \
            or not jurisdiction.contains(building.jurisdiction):
        errors["building"] = _("Choose a building in %(node)s.") % {"node": jurisdiction}
    if checklist.current() is None or not checklist.active:
        errors["checklist"] = _("This checklist has no published version; publish one first.")
    elif not checklist.jurisdiction.contains(jurisdiction):
        errors["checklist"] = _("“%(c)s” belongs to %(node)s and cannot be used here.") % {
            "c": checklist, "node": checklist.jurisdiction}
    if team.kind != TeamKind.INSPECTION or not team.jurisdiction.contains(jurisdiction) \
            and not jurisdiction.contains(team.jurisdiction):
        errors["team"] = _("Choose an inspection team of %(node)s.") % {"node": jurisdiction}
    elif not _inspectors(team, jurisdiction):
        errors["team"] = _("Nobody in “%(team)s” may record inspections in %(node)s; add "
                           "inspectors to it first.") % {"team": team, "node": jurisdiction}
    if task_force is not None and task_force.kind != TeamKind.SUPERVISION:
        errors["task_force"] = _("Choose a supervision task force.")
    if frequency not in Frequency.values:
        errors["frequency"] = _("Choose how often: windows, daily, weekly or every few days.")
    elif frequency == Frequency.WINDOWS:
        try:
            parse_windows(windows)
        except ValidationError as exc:
            errors["windows"] = exc.messages
    if not 1 <= int(rectify_days or 0) <= 90:
        errors["rectify_days"] = _("Give the days allowed to rectify, 1 to 90.")
    if errors:
        raise ValidationError(errors)
    plan = InspectionPlan.objects.create(
        jurisdiction=jurisdiction, name=name.strip(), source=source, building=building,
        area=area, checklist=checklist, frequency=frequency, windows=list(windows),
        interval_days=interval_days, starts_on=starts_on, ends_on=ends_on, team=team,
        task_force=task_force, rectify_days=rectify_days)
    try:
        _add_subjects(plan, actor)
    except ValidationError as exc:  # the schedule (the duty's fields) is wrong
        raise ValidationError(exc.message_dict) from None
    return plan


@service
def add_new_subjects(plan: InspectionPlan, *, actor) -> int:
    """Give the subjects that joined since the plan was made (a new enterprise in the building)
    their duty. Returns how many were added."""
    authz.authorize(actor, plan, "inspections.manage",
                    _("You may look at this plan but not change it."))
    return _add_subjects(plan, actor)


def _inspectors(team: Team, jurisdiction: Node) -> list:
    """Who shares out the subjects: the members who may record inspections there, the leader
    only when nobody else can (the leader watches everyone's list)."""
    able = [m for m in team.memberships.select_related("user").order_by("id")
            if m.user.is_active and authz.allows(m.user, jurisdiction, "inspections.record")]
    members = [m.user for m in able if m.position != TeamPosition.LEADER]
    return members or [m.user for m in able]


def subjects_of(plan: InspectionPlan) -> list[tuple]:
    """(subject, name, jurisdiction id, its place, enterprise id or None, responsible party)
    of each subject the plan covers today."""
    if plan.source == SubjectSource.BUILDING_ENTERPRISES:
        return [(e, e.name, e.jurisdiction_id, plan.building, e.pk, e.name)
                for e in plan.building.enterprises.order_by("name", "pk")]
    if plan.source == SubjectSource.COMMUNITY_VENUES:
        venues = Place.objects.filter(kind=PlaceKind.VENUE, active=True,
                                      jurisdiction__in=plan.area.subtree()).order_by("name", "pk")
        return [(v, v.name, v.jurisdiction_id, v, None, v.name) for v in venues]
    if plan.source == SubjectSource.ENTERPRISES:
        return []  # added one by one (add_enterprise)
    building = plan.building
    return [(building, building.name, building.jurisdiction_id, building, None,
             building.property_company or building.name)]


def _add_subjects(plan: InspectionPlan, actor) -> int:
    have = set(plan.subjects.values_list("subject_type_id", "subject_id"))
    inspectors = _inspectors(plan.team, plan.jurisdiction)
    added = 0
    for n, (subject, name, node_id, place, enterprise_id, party) in enumerate(subjects_of(plan)):
        kind = ContentType.objects.get_for_model(subject)
        if (kind.pk, subject.pk) in have:
            continue
        _new_subject(plan, subject, name, node_id, place, enterprise_id, party, actor=actor,
                     owner=inspectors[n % len(inspectors)] if inspectors else None,
                     starts_on=plan.starts_on, ends_on=plan.ends_on)
        added += 1
    return added


def _new_subject(plan, subject, name, node_id, place, enterprise_id, party, *, actor, owner,
                 starts_on, ends_on) -> PlanSubject:
    leader = plan.team.leader()
    node = Node.objects.get(pk=node_id)
    duty = create_duty(actor=actor, jurisdiction=node, title=f"{plan.name} · {name}",
                       kind=KIND, frequency=plan.frequency, windows=plan.windows,
                       interval_days=plan.interval_days, starts_on=starts_on, ends_on=ends_on,
                       subject=subject, place=place, owner=owner,
                       leader=leader if leader and authz.allows(leader, node, "duties.view")
                       else None)
    return PlanSubject.objects.create(plan=plan, duty=duty, jurisdiction_id=node_id,
                                      subject_type=ContentType.objects.get_for_model(subject),
                                      subject_id=subject.pk, name=name[:150],
                                      enterprise_id=enterprise_id, party=party[:150])


@service
def add_enterprise(plan: InspectionPlan, enterprise, *, actor, starts_on: date,
                   ends_on: date | None = None) -> PlanSubject:
    """Put one enterprise on a plan of enterprises added one by one (an on-site review from
    ``starts_on`` to ``ends_on``), with its duty owned by the team's inspector with the
    fewest such subjects; an enterprise already on the plan gets its period renewed."""
    if plan.source != SubjectSource.ENTERPRISES or not plan.jurisdiction.contains(
            enterprise.jurisdiction):
        raise ValidationError({"plan": [_("“%(plan)s” does not take enterprises of %(node)s "
                                          "one by one; choose another plan.")
                                        % {"plan": plan, "node": enterprise.jurisdiction}]})
    existing = plan.subjects.filter(
        subject_type=ContentType.objects.get_for_model(enterprise),
        subject_id=enterprise.pk).select_related("duty").first()
    if existing is not None:
        renew_duty(existing.duty, actor=actor, starts_on=starts_on, ends_on=ends_on)
        return existing
    inspectors = _inspectors(plan.team, plan.jurisdiction)
    if not inspectors:
        raise ValidationError({"plan": [_(
            "Nobody in “%(team)s” may record inspections in %(node)s; add inspectors to it "
            "first.") % {"team": plan.team, "node": plan.jurisdiction}]})
    load = dict(plan.subjects.filter(duty__active=True).values_list("duty__owner")
                .annotate(n=Count("id")).values_list("duty__owner", "n"))
    owner = min(inspectors, key=lambda user: (load.get(user.pk, 0), user.pk))
    return _new_subject(plan, enterprise, enterprise.name, enterprise.jurisdiction_id,
                        enterprise.building, enterprise.pk, enterprise.name, actor=actor,
                        owner=owner, starts_on=starts_on, ends_on=ends_on)


# --- the day's list ----------------------------------------------------------------------------

def todays_windows(user, day: date | None = None):
    """The inspection windows of ``day`` (today) that ``user`` owns or leads, with their plan
    subject, earliest first: the morning list on the phone."""
    now = timezone.now()
    day = day or timezone.localdate(now)
    # the day's windows, and one of the evening before still open after midnight
    when = Q(day=day) | Q(starts_at__lte=now, ends_at__gt=now) if day == timezone.localdate(now) \
        else Q(day=day)
    return (Window.objects.filter(when, duty__kind=KIND, duty__plan_subject__isnull=False)
            .filter(Q(duty__owner=user) | Q(duty__leader=user))
            .select_related("duty__plan_subject__plan", "duty__owner")
            .order_by("starts_at", "duty__title"))


def overdue_windows(user, days: int = 7):
    """Inspection windows of the last ``days`` days that ended without one (the overdue list
    of the inspector and their leader), latest first."""
    since = timezone.localdate() - timedelta(days=days)
    ended = Q(state="missed") | Q(state="due", ends_at__lte=timezone.now())
    return (Window.objects.filter(ended, day__gte=since, duty__kind=KIND,
                                  duty__plan_subject__isnull=False)
            .filter(Q(duty__owner=user) | Q(duty__leader=user))
            .select_related("duty__plan_subject", "duty__owner").order_by("-ends_at"))


# --- inspections -------------------------------------------------------------------------------

@service
def record_inspection(subject: PlanSubject, *, actor, answers: dict, signed_by: str,
                      photos: dict | None = None, remarks: str = "",
                      inspected_at=None) -> Inspection:
    """Store an inspection of ``subject``. ``photos``: item key → uploaded photo (an item's
    photo, required when it fails and the checklist says so) and ``""`` → a list of general
    photos. Opens a rectification for each failed item."""
    authz.authorize(actor, subject, "inspections.record",
                    _("You may see this subject but not record inspections of it."))
    photos = dict(photos or {})
    general = photos.pop("", []) or []
    plan = subject.plan
    version = plan.checklist.current()
    errors = {}
    now = timezone.now()
    inspected_at = inspected_at or now
    if inspected_at > now + timedelta(minutes=5):
        errors["inspected_at"] = [_("The inspection time is in the future; give the time it "
                                    "was made.")]
    if not (signed_by or "").strip():
        errors["signed_by"] = [_("The person in charge on site signs: write their name.")]
    if len(remarks or "") > NOTE_MAX:
        errors["remarks"] = [_("Keep the remarks under %(n)s characters.") % {"n": NOTE_MAX}]
    texts = {item.key: item.text for item in version.items.all()}
    for key in set(photos) - set(texts):
        errors[key] = [_("“%(key)s” is not an item of this checklist; send other photos as "
                         "photos.") % {"key": key}]
    try:
        filled = fill(version, answers, photos={key for key, upload in photos.items() if upload})
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, messages)
        filled = None
    given = {key: upload for key, upload in photos.items() if upload}
    if general:
        given["photos"] = list(general)
    try:  # every photo checked and re-encoded before anything is written
        ready = prepare_all(given)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, messages)
    if errors:
        raise ValidationError(errors)
    inspection = Inspection.objects.create(
        subject=subject, jurisdiction_id=subject.jurisdiction_id,
        enterprise_id=subject.enterprise_id, version=version, inspector=actor,
        inspected_at=inspected_at, answers=filled.answers,
        failed=[item.key for item in filled.failed], passed=not filled.failed,
        signed_by=signed_by.strip()[:50], remarks=(remarks or "").strip())
    for key, value in ready.items():
        for photo in value if isinstance(value, list) else [value]:
            attach(inspection, photo, actor=actor, capability="inspections.record",
                   note=texts.get(key, ""))
    mark_done(subject.duty, at=inspected_at, record=inspection)
    for item in filled.failed:
        _open_rectification(inspection, item.key, item.text, actor)
    return inspection


def _open_rectification(inspection: Inspection, key: str, text: str, actor) -> Rectification:
    plan = inspection.subject.plan
    today = timezone.localdate(inspection.inspected_at)
    repeated = Rectification.objects.filter(
        subject=inspection.subject, item_key=key,
        inspection__inspected_at__gte=inspection.inspected_at - timedelta(days=REPEAT_DAYS)
    ).exists()
    rectification = Rectification.objects.create(
        inspection=inspection, subject=inspection.subject, jurisdiction=inspection.jurisdiction,
        enterprise_id=inspection.enterprise_id, item_key=key, item_text=text[:200],
        party=inspection.subject.party or inspection.subject.name,
        deadline=today + timedelta(days=plan.rectify_days), task_force=plan.task_force)
    rectification.steps.create(state=RectificationState.OPEN, by=actor,
                               deadline=rectification.deadline,
                               note=_("Failed at the inspection of %(d)s.") % {"d": today})
    if repeated:
        _escalate(Rectification.objects.filter(pk=rectification.pk),
                  _("Failed again within %(n)s days.") % {"n": REPEAT_DAYS})
    return rectification


@service
def answer(rectification: Rectification, *, actor, note: str, files=()) -> Rectification:
    """The responsible party says what it put right, with photos or documents."""
    return _step(rectification, RectificationState.ANSWERED, actor=actor, note=note, files=files,
                 capability="rectifications.answer")


@service
def reinspect(rectification: Rectification, *, actor, passed: bool, note: str = "",
              deadline: date | None = None, files=()) -> Rectification:
    """A re-inspection: passed closes it; failed sends it back with a new deadline."""
    if passed:
        return _step(rectification, RectificationState.CLOSED, actor=actor, note=note,
                     files=files, capability="inspections.record")
    return _step(rectification, RectificationState.OPEN, actor=actor, note=note, files=files,
                 capability="inspections.record", deadline=deadline)


def _step(rectification: Rectification, target: str, *, actor, note: str, files, capability: str,
          deadline: date | None = None) -> Rectification:
    rectification = Rectification.objects.select_for_update().get(pk=rectification.pk)
    note = (note or "").strip()
    errors = {}
    if len(note) > NOTE_MAX:
        errors["note"] = [_("Keep the note under %(n)s characters.") % {"n": NOTE_MAX}]
    if target == RectificationState.ANSWERED and not note and not files:
        errors["note"] = [_("Say what was put right, or add a photo of it.")]
    if target == RectificationState.OPEN:
        today = timezone.localdate()
        if deadline is None or deadline <= today:
            errors["deadline"] = [_("Give the new deadline, after today (%(d)s).") % {
                "d": today.isoformat()}]
    ready = []
    try:
        ready = prepare_all({"files": list(files)})["files"] if files else []
    except ValidationError as exc:
        errors.update(exc.message_dict)
    advance(rectification, Rectification.state_flow, target, actor=actor, note=note,
            errors=errors, deadline=deadline)
    for upload in ready:
        attach(rectification, upload, actor=actor, capability=capability, note=note[:200])
    return rectification


# --- escalation --------------------------------------------------------------------------------

def escalate_overdue(today: date | None = None) -> list[int]:
    """Escalate every rectification not closed by its deadline to its task force, once: one
    UPDATE moves each from unescalated to escalated, so sweeps that overlap escalate each
    exactly once. Returns the ids escalated."""
    today = today or timezone.localdate()
    overdue = Rectification.objects.filter(
        state__in=[RectificationState.OPEN, RectificationState.ANSWERED], escalated_at=None,
        deadline__lt=today)
    return _escalate(overdue, _("Not rectified by its deadline."))


def _escalate(rectifications, reason: str) -> list[int]:
    now = timezone.now()
    table = Rectification._meta.db_table
    ids = list(rectifications.order_by().values_list("pk", flat=True))
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET escalated_at = %s, escalation = %s "  # noqa: S608 - our table
            f"WHERE escalated_at IS NULL AND id IN ({marks}) RETURNING id",
            [connection.ops.adapt_datetimefield_value(now), reason[:200], *ids])
        escalated = sorted(row[0] for row in cursor.fetchall())
    for rectification in Rectification.objects.filter(pk__in=escalated):
        audit.record(AuditAction.ACTION, rectification, note=f"escalated: {reason}")
    return escalated


def escalated_to(user):
    """Escalated rectifications not closed yet, of the task forces ``user`` is in."""
    return (Rectification.objects.visible_to(user).exclude(state=RectificationState.CLOSED)
            .filter(escalated_at__isnull=False, task_force__memberships__user=user))


def escalated_count(user) -> int:
    return escalated_to(user).count()

