"""The work ledger (工作台账): an enterprise's problems, solved one by one.

Anyone of the enterprise (its liaison) or of the subdistrict raises a problem and writes in
its thread; the subdistrict's staff name who is responsible and by when, and solve it — only
with a resolution — or reopen it. Solving and reopening move ``Problem.state`` along
:data:`STATE_FLOW` and write the thread's line of that step.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import authz
from shoumen.core.services import service
from shoumen.core.workflow import Step, Workflow, advance

from .models import Enterprise, Problem, ProblemKind, ProblemNote, ProblemState

TEXT_MAX = 2000


def _record(problem, before, after, actor, details) -> ProblemNote:
    text = details["note"].strip()
    if after == ProblemState.SOLVED:
        problem.resolution, problem.solved_at = text, timezone.now()
    else:
        problem.solved_at = None
    return ProblemNote.objects.create(problem=problem, author=actor, text=text, to_state=after)


def _words_given(problem, details) -> dict[str, list[str]]:
    if details["note"].strip():
        return {}
    return {"note": [_("Write the resolution (办结情况): what was done, by whom.")
                     if problem.state == ProblemState.OPEN
                     else _("Say why the problem is open again.")]}


_P = ProblemState
STATE_FLOW = Workflow("state", ProblemState, [
    Step({_P.OPEN}, _P.SOLVED, "problems.manage", _words_given),
    Step({_P.SOLVED}, _P.OPEN, "problems.manage", _words_given),
], record=_record, saves=("resolution", "solved_at"), authorize_on=lambda p: p.jurisdiction,
    refused=gettext_lazy("Only the subdistrict's staff solve or reopen a problem."))


def _check_assignment(enterprise: Enterprise, owner, due_on: date | None, errors: dict) -> None:
    if owner is not None and not (owner.is_active and authz.allows(
            owner, enterprise.jurisdiction, "enterprises.view")):
        errors["owner"] = [_("%(user)s does not work on enterprises in %(node)s; choose "
                             "someone of the subdistrict's staff.")
                           % {"user": owner, "node": enterprise.jurisdiction}]
    if due_on is not None and not date(2000, 1, 1) <= due_on <= date(2099, 12, 31):
        errors["due_on"] = [_("Give a due date between 2000 and 2099.")]


def _text(value: str, field: str, errors: dict, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = [message]
    elif len(value) > TEXT_MAX:
        errors[field] = [_("Keep it under %(n)d characters.") % {"n": TEXT_MAX}]
    return value


@service
def raise_problem(enterprise: Enterprise, *, actor, kind: str, description: str, owner=None,
                  owner_unit: str = "", due_on: date | None = None) -> Problem:
    """Record a difficulty of ``enterprise``. Naming who is responsible and by when is for the
    subdistrict's staff; the enterprise's own liaison raises it without."""
    authz.authorize(actor, enterprise, "problems.raise", _(
        "You may not raise problems for this enterprise."))
    errors: dict[str, list[str]] = {}
    if kind not in ProblemKind.values:
        errors["kind"] = [_("Choose what kind of problem it is.")]
    description = _text(description, "description", errors,
                        _("Describe the problem: what is needed, since when."))
    assigning = owner is not None or due_on is not None or (owner_unit or "").strip()
    if assigning and not authz.allows(actor, enterprise.jurisdiction, "problems.manage"):
        errors["owner"] = [_("The subdistrict's staff name who is responsible and by when.")]
    _check_assignment(enterprise, owner, due_on, errors)
    if errors:
        raise ValidationError(errors)
    return Problem.objects.create(
        enterprise=enterprise, jurisdiction_id=enterprise.jurisdiction_id, kind=kind,
        description=description, owner=owner, owner_unit=(owner_unit or "").strip()[:50],
        due_on=due_on, raised_by=actor)


@service
def assign(problem: Problem, *, actor, owner, owner_unit: str = "",
           due_on: date | None = None) -> Problem:
    """Name who is responsible for the problem and by when (a change is written in the
    thread)."""
    problem = Problem.objects.select_for_update().select_related("enterprise__jurisdiction").get(
        pk=problem.pk)
    authz.authorize(actor, problem.jurisdiction, "problems.manage", _(
        "Only the subdistrict's staff name who is responsible for a problem."))
    errors: dict[str, list[str]] = {}
    if problem.state != ProblemState.OPEN:
        errors["state"] = [_("The problem is solved; reopen it first.")]
    if owner is None:
        errors["owner"] = [_("Choose the responsible person.")]
    _check_assignment(problem.enterprise, owner, due_on, errors)
    if errors:
        raise ValidationError(errors)
    problem.owner, problem.owner_unit, problem.due_on = owner, (owner_unit or "").strip()[:50], due_on
    problem.save(update_fields=["owner", "owner_unit", "due_on"])
    ProblemNote.objects.create(problem=problem, author=actor, text=_(
        "Responsible: %(owner)s%(unit)s, due %(due)s.") % {
            "owner": owner, "unit": f" ({problem.owner_unit})" if problem.owner_unit else "",
            "due": due_on.isoformat() if due_on else "—"})
    return problem


@service
def add_note(problem: Problem, *, actor, text: str) -> ProblemNote:
    """A line of progress (进展) in the thread, from the enterprise or from staff."""
    authz.authorize(actor, problem, "problems.raise", _(
        "You may not write in this problem's thread."))
    errors: dict[str, list[str]] = {}
    text = _text(text, "text", errors, _("Write the progress or the question."))
    if problem.state != ProblemState.OPEN:
        errors["text"] = [_("The problem is solved; ask the subdistrict to reopen it.")]
    if errors:
        raise ValidationError(errors)
    return ProblemNote.objects.create(problem=problem, author=actor, text=text)


@service
def solve(problem: Problem, *, actor, resolution: str) -> ProblemNote:
    """Close the problem with its resolution (办结情况)."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    return advance(problem, STATE_FLOW, ProblemState.SOLVED, actor=actor,
                   note=(resolution or "")[:TEXT_MAX])


@service
def reopen(problem: Problem, *, actor, note: str) -> ProblemNote:
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    return advance(problem, STATE_FLOW, ProblemState.OPEN, actor=actor, note=(note or "")[:TEXT_MAX])


def progress(problem: Problem) -> str:
    """The thread as the ledger's 进展 column: each line with its date, oldest first."""
    return "\n".join(f"{timezone.localtime(n.at):%m-%d} {n.text}"
                     for n in problem.notes.all() if not n.to_state)
