"""One workflow service: a model's states and the steps allowed between them, declared once.

A :class:`Workflow` names the model's state field and its :class:`Step` s: from which states
to which, the capability the step needs (asked of :func:`shoumen.core.authz.authorize` on
the object) and an optional guard (the step's own conditions, e.g. a temperature for a
re-measure). :func:`advance` is the service every state change goes through: it refuses an
illegal step with a message that says the current state and the possible next ones, asks
authorization, runs the guard, lets the workflow write the model's history row and saves the
new state (the model's audited update, whose note names the step).

A step's source may be the target itself (a repeated re-measure); a step never leaves a final
state (one with no steps out). Declare a workflow beside its model::

    STATUS_FLOW = Workflow("status", PersonStatus, [
        Step({PersonStatus.NORMAL}, PersonStatus.HOME_OBSERVATION, "people.status"), ...])
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import audit, authz
from .services import service


@dataclass(frozen=True)
class Step:
    sources: frozenset
    target: str
    capability: str
    # The step's own conditions: (object, the caller's details) -> problems by field.
    guard: Callable[[object, dict], dict[str, list[str]]] | None = None

    def __init__(self, sources: Iterable, target, capability: str, guard=None):
        object.__setattr__(self, "sources", frozenset(str(s) for s in sources))
        object.__setattr__(self, "target", str(target))
        object.__setattr__(self, "capability", capability)
        object.__setattr__(self, "guard", guard)


class Workflow:
    """The states of ``field`` (a ``TextChoices`` for their labels) and the steps between them.

    ``record(obj, before, after, actor, details)`` writes the model's history row of a step
    (a status change with its reason, a fever follow-up with its temperature), inside the
    step's transaction and before the object is saved; it may set the fields named in
    ``saves`` on the object (the time the status began, the time an alert closed), which are
    saved with the state in one audited update. ``authorize_on(obj)`` is what the step's
    capability is asked of (default: the object), ``refused`` the message of a refusal.
    """

    def __init__(self, field: str, states, steps: list[Step], *, record=None, saves=(),
                 authorize_on=None, refused: str | None = None, explain=None):
        self.field, self.states, self.steps, self.record = field, states, steps, record
        self.saves = tuple(saves)
        # What a step's capability is asked of (the object itself, or e.g. its jurisdiction
        # when the object's own grant is too narrow), and the refusal's message.
        self.authorize_on = authorize_on or (lambda obj: obj)
        self.refused = refused
        self.explain = explain  # obj -> a sentence added to a refused step's message
        known = set(states.values)
        for step in steps:
            unknown = (step.sources | {step.target}) - known
            if unknown:
                raise ValueError(f"unknown states in a step of {field}: {sorted(unknown)}")

    def label(self, state) -> str:
        return str(self.states(state).label) if state in self.states.values else str(state)

    def steps_from(self, state) -> list[Step]:
        """The steps that may follow ``state``, in the order the states are declared."""
        order = list(self.states.values)
        found = [s for s in self.steps if str(state) in s.sources]
        return sorted(found, key=lambda s: order.index(s.target))

    def next_states(self, obj) -> list[str]:
        return [s.target for s in self.steps_from(getattr(obj, self.field))]

    def problems(self, obj, target) -> list[str]:
        """Why ``obj`` cannot go to ``target`` ([] if it can), saying where it is and where it
        may go instead."""
        current = getattr(obj, self.field)
        nexts = self.next_states(obj)
        if str(target) in nexts:
            return []
        choices = "、".join(f"“{self.label(s)}”" for s in nexts)
        if not nexts:
            message = _("“%(state)s” is final: no step can follow it.") % {
                "state": self.label(current)}
        elif target not in self.states.values:
            message = _("Choose the next step: %(choices)s.") % {"choices": choices}
        else:
            message = _("From “%(state)s” the next step can only be %(choices)s, not "
                        "“%(target)s”.") % {"state": self.label(current), "choices": choices,
                                           "target": self.label(target)}
        return [f"{message} {self.explain(obj)}" if self.explain else message]

    def step(self, obj, target) -> Step:
        """The step from ``obj``'s state to ``target``; ValidationError on the field if none."""
        if problems := self.problems(obj, target):
            raise ValidationError({self.field: problems})
        current = str(getattr(obj, self.field))
        return next(s for s in self.steps if current in s.sources and s.target == str(target))


@service
def advance(obj, workflow: Workflow, target, *, actor, note: str = "", errors=None, **details):
    """Move ``obj`` along ``workflow`` to ``target`` (see the module). ``obj`` should be the
    row locked for update (``select_for_update``) by the caller's service when two people
    may act at once. Returns the history row ``workflow.record`` wrote, if any.

    All problems come back at once, by field: an illegal step, those the caller found in its
    own input (``errors``), and the guard's (for a field with none yet)."""
    step = None if workflow.problems(obj, target) else workflow.step(obj, target)
    authz.authorize(actor, workflow.authorize_on(obj),
                    step.capability if step else _capability_of_any(workflow, target),
                    workflow.refused)
    errors = {field: list(messages) for field, messages in (errors or {}).items()}
    if step is None:
        errors[workflow.field] = workflow.problems(obj, target)
    guard = step.guard if step else _guard_of_any(workflow, target)
    if guard is not None:
        for field, messages in guard(obj, {"note": note, **details}).items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    before = getattr(obj, workflow.field)
    history = None
    if workflow.record is not None:
        history = workflow.record(obj, before, str(target), actor, {"note": note, **details})
    setattr(obj, workflow.field, str(target))
    fields = [workflow.field, *workflow.saves]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        fields.append("updated_at")  # auto_now: set by the save
    audit.note_next_save(obj, f"{workflow.field}: {before} → {target}"
                         + (f" — {note}" if note else ""))
    obj.save(update_fields=fields)
    return history


def _guard_of_any(workflow: Workflow, target):
    """The guard of a step into ``target`` (to report its problems beside an illegal step's)."""
    return next((s.guard for s in workflow.steps if s.target == str(target) and s.guard), None)


def _capability_of_any(workflow: Workflow, target) -> str:
    return next((s.capability for s in workflow.steps if s.target == str(target)),
                workflow.steps[0].capability)
