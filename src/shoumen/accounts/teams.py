"""Teams of staff and their training: setting a team up with its members, recording a
training, and asking whether someone is trained for a duty on a day.

Apps that send people out (disinfection, rosters) ask :func:`untrained` before they assign
or accept a record, so "nobody is sent out before their training" holds in one place.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import audit, authz
from shoumen.core.models import AuditAction
from shoumen.core.scoping import scope_for, subtree_q
from shoumen.core.services import service

from .models import Team, TeamKind, TeamMember, TeamPosition, Training, TrainingTopic, User


@service
def create_team(*, actor, jurisdiction, kind: str, name: str, members=(), place=None) -> Team:
    """A team at ``jurisdiction``; ``members``: (user, position, unit) triples, at most one
    leader. Members must work where the team is."""
    authz.authorize(actor, jurisdiction, "duties.manage",
                    _("You may not set up teams in %(node)s.") % {"node": jurisdiction},
                    field="jurisdiction")
    errors = {}
    if kind not in TeamKind.values:
        errors["kind"] = _("Choose what kind of team it is.")
    if place is not None and not jurisdiction.contains(place.jurisdiction):
        errors["place"] = _("Choose a place in %(node)s.") % {"node": jurisdiction}
    if not (name or "").strip():
        errors["name"] = _("Give the team a name, e.g. “泺源街道督导专班”.")
    elif Team.objects.filter(jurisdiction=jurisdiction, name=name.strip()).exists():
        errors["name"] = _("%(node)s already has a team called “%(name)s”.") % {
            "node": jurisdiction, "name": name.strip()}
    members = list(members)
    users = [user.pk for user, _position, _unit in members]
    if len(set(users)) != len(users):
        errors["members"] = [_("Name each member once.")]
    if any(position not in TeamPosition.values for _user, position, _unit in members):
        errors["members"] = [_("A member is a leader, a deputy leader or a member.")]
    if sum(1 for _user, position, _unit in members if position == TeamPosition.LEADER) > 1:
        errors.setdefault("members", []).append(_("A team has one leader; make the others "
                                                  "deputies."))
    outside = [str(user) for user, _position, _unit in members
               if not works_in(user, jurisdiction)]
    if outside:
        errors.setdefault("members", []).append(
            _("These members work neither in %(node)s nor below it: %(users)s.") % {
                "users": "、".join(outside), "node": jurisdiction})
    if errors:
        raise ValidationError(errors)
    team = Team.objects.create(jurisdiction=jurisdiction, kind=kind, name=name.strip(),
                               place=place)
    # The members in the team's audit trail (the rows are written in bulk, without signals).
    audit.record(AuditAction.ACTION, team, note="members: " + "、".join(
        f"{user} ({position}{', ' + unit if unit else ''})" for user, position, unit in members))
    TeamMember.objects.bulk_create(TeamMember(team=team, user=user, position=position,
                                              unit=unit or "")
                                   for user, position, unit in members)
    return team


def colleagues(actor, capability: str):
    """The active users who hold a role somewhere within the actor's reach for
    ``capability`` (the people they may name: a site's named person, a training's trainee)."""
    users = User.objects.filter(is_active=True).order_by("username")
    scope = scope_for(actor)
    if scope.is_global:
        return users
    paths = scope.paths(capability)
    if not paths:
        return users.none()
    within = Q()
    for path in paths:
        within |= subtree_q(path, "role_assignments__node__")
    return users.filter(within, role_assignments__active=True).distinct()


def works_in(user, node) -> bool:
    """True if ``user`` holds a role at ``node``, above it or anywhere below it (a community's
    worker joins the subdistrict's task force)."""
    scope = scope_for(user)
    return user.is_active and (scope.is_global or any(
        path.startswith(node.path) or node.path.startswith(path)
        for path in scope.paths("geo.view")))


@service
def record_training(*, actor, user: User, jurisdiction, topic: str, trained_on: date,
                    valid_until: date, trainer: str = "") -> Training:
    authz.authorize(actor, jurisdiction, "duties.manage",
                    _("You may not record trainings in %(node)s.") % {"node": jurisdiction},
                    field="jurisdiction")
    errors = {}
    if topic not in TrainingTopic.values:
        errors["topic"] = _("Choose the topic of the training.")
    if valid_until < trained_on:
        errors["valid_until"] = _("A training is valid from the day it was given: give a date "
                                  "on or after %(d)s.") % {"d": trained_on.isoformat()}
    if trained_on > timezone.localdate():
        errors["trained_on"] = _("Record a training once it has been given, not before.")
    if not works_in(user, jurisdiction):
        errors["user"] = _("%(user)s does not work in %(node)s; record the training where they "
                           "work.") % {"user": user, "node": jurisdiction}
    if errors:
        raise ValidationError(errors)
    return Training.objects.create(user=user, jurisdiction=jurisdiction, topic=topic,
                                   trained_on=trained_on, valid_until=valid_until,
                                   trainer=(trainer or "").strip()[:100])


def is_trained(user, topic: str, on: date | None = None) -> bool:
    on = on or timezone.localdate()
    return Training.objects.filter(user=user, topic=topic, trained_on__lte=on,
                                   valid_until__gte=on).exists()


def untrained(user, topic: str, on: date | None = None) -> str | None:
    """Why ``user`` may not be sent out for ``topic`` on ``on`` (None if they may)."""
    if user is None or is_trained(user, topic, on):
        return None
    last = Training.objects.filter(user=user, topic=topic).order_by("-valid_until").first()
    label = TrainingTopic(topic).label
    if last is None:
        return _("%(user)s has no recorded training in “%(topic)s”; record it first.") % {
            "user": user, "topic": label}
    return _("%(user)s's training in “%(topic)s” ran out on %(d)s; record a new one first.") % {
        "user": user, "topic": label, "d": last.valid_until.isoformat()}
