"""Publishing checklist templates (each edit a new version) and filling one in.

:func:`fill` checks a record's answers against the version it is made with and says which
items failed; the recording app stores the answers with the version and opens what a failed
item calls for (a rectification).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.scoping import scope_for
from shoumen.core.services import service
from shoumen.geo.models import ancestor_paths

from .models import Checklist, ChecklistItem, ChecklistVersion, ItemKind

KEY = re.compile(r"^[a-z0-9_-]{1,40}$")
YES, NO, NOT_APPLICABLE = "yes", "no", "na"
NOTE_MAX = 500


def usable_by(user, capability: str):
    """The active templates ``user`` may use where they hold ``capability``: those at those
    nodes, above them (a district's template) or below them."""
    checklists = Checklist.objects.filter(active=True)
    scope = scope_for(user)
    if scope.is_global:
        return checklists
    paths = scope.paths(capability)
    above = {p for path in paths for p in ancestor_paths(path)}
    return (checklists.filter(jurisdiction__path__in=above)
            | Checklist.objects.visible_to(user, capability).filter(active=True)).distinct()


@service
def create_checklist(*, actor, jurisdiction, code: str, name: str, purpose: str,
                     items: list[dict]) -> ChecklistVersion:
    """A new template with its first version."""
    authz.authorize(actor, Checklist, "checklists.manage",
                    _("Your role does not include editing checklists. Ask your administrator."))
    authz.authorize(actor, jurisdiction, "checklists.manage",
                    _("You may not add checklists in %(node)s.") % {"node": jurisdiction},
                    field="jurisdiction")
    errors = {}
    if not KEY.match(code or ""):
        errors["code"] = _("Give a code of lower-case letters, digits, - and _, e.g. small-venue.")
    elif Checklist.objects.filter(code=code).exists():
        errors["code"] = _("The code “%(code)s” is taken; choose another.") % {"code": code}
    if not (name or "").strip():
        errors["name"] = _("Give the checklist a name.")
    cleaned = _items_or_errors(items, errors)
    if errors:
        raise ValidationError(errors)
    checklist = Checklist.objects.create(jurisdiction=jurisdiction, code=code,
                                         name=name.strip(), purpose=purpose)
    return _publish(checklist, cleaned, actor)


@service
def revise_checklist(checklist: Checklist, *, actor, items: list[dict],
                     name: str | None = None) -> ChecklistVersion:
    """The template's next version; records made with earlier versions keep theirs."""
    authz.authorize(actor, checklist, "checklists.manage",
                    _("You may look at this checklist but not edit it."))
    errors = {}
    cleaned = _items_or_errors(items, errors)
    if name is not None and not name.strip():
        errors["name"] = _("Give the checklist a name.")
    if errors:
        raise ValidationError(errors)
    if name is not None and name.strip() != checklist.name:
        checklist.name = name.strip()
        checklist.save(update_fields=["name"])
    return _publish(checklist, cleaned, actor)


def _publish(checklist: Checklist, items: list[dict], actor) -> ChecklistVersion:
    last = checklist.versions.select_for_update().order_by("-number").first()
    version = ChecklistVersion.objects.create(checklist=checklist, published_by=actor,
                                              number=(last.number + 1) if last else 1)
    ChecklistItem.objects.bulk_create(ChecklistItem(version=version, position=n, **item)
                                      for n, item in enumerate(items, start=1))
    return version


def _items_or_errors(items, errors: dict) -> list[dict]:
    """The items as the model takes them; problems go into ``errors["items"]``, by number."""
    problems, cleaned, keys = [], [], set()
    if not items:
        errors["items"] = [_("Add at least one item.")]
        return []
    for n, raw in enumerate(items, start=1):
        item, problem = _item(n, raw, keys)
        if problem:
            problems.append(_("Item %(n)s: %(problem)s") % {"n": n, "problem": problem})
        else:
            cleaned.append(item)
    if problems:
        errors["items"] = problems
    return cleaned


def _item(n: int, raw: dict, keys: set) -> tuple[dict, str | None]:
    if not isinstance(raw, dict):
        return {}, _("give it as an object with its text and kind.")
    text = str(raw.get("text") or "").strip()
    kind = raw.get("kind")
    key = str(raw.get("key") or f"item-{n}")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        return {}, _("its options must be an object, e.g. {\"min\": 0, \"max\": 10}.")
    if not text:
        return {}, _("write what is checked.")
    if kind not in ItemKind.values:
        return {}, _("choose its kind: yes/no, number, choice, note or photo.")
    if not KEY.match(key) or key in keys:
        return {}, _("its key must be unique, of lower-case letters, digits, - and _.")
    keys.add(key)
    if kind == ItemKind.NUMBER:
        try:
            low = None if options.get("min") in (None, "") else Decimal(str(options["min"]))
            high = None if options.get("max") in (None, "") else Decimal(str(options["max"]))
        except InvalidOperation:
            return {}, _("its limits must be numbers.")
        if any(limit is not None and not limit.is_finite() for limit in (low, high)):
            return {}, _("its limits must be numbers.")
        if low is not None and high is not None and low > high:
            return {}, _("its lower limit is above its upper limit.")
        options = {"min": None if low is None else str(low), "max": None if high is None else str(high),
                   "unit": str(options.get("unit") or "")}
    if kind == ItemKind.CHOICE:
        if not all(isinstance(options.get(name) or [], list) for name in ("choices", "failing")):
            return {}, _("its choices and failing choices must be lists.")
        choices = [str(c).strip() for c in options.get("choices") or [] if str(c).strip()]
        failing = [str(c).strip() for c in options.get("failing") or []]
        if len(choices) < 2 or len(set(choices)) != len(choices):
            return {}, _("give at least two different choices.")
        if not set(failing) <= set(choices):
            return {}, _("a failing choice is not among its choices.")
        options = {"choices": choices, "failing": failing}
    return {"key": key, "text": text[:200], "kind": kind, "required": bool(raw.get("required", True)),
            "options": options, "photo_when_failed": bool(raw.get("photo_when_failed"))}, None


@dataclass
class Filled:
    """A checklist filled in: the answers as stored (by item key) and the items that failed."""

    version: ChecklistVersion
    answers: dict[str, Any] = field(default_factory=dict)
    failed: list[ChecklistItem] = field(default_factory=list)


def fill(version: ChecklistVersion, answers: dict, *, photos=frozenset()) -> Filled:
    """Check ``answers`` (item key → value as a form or the API sends it) against ``version``;
    ``photos``: the keys of the items a photo comes with. ValidationError by item key saying
    what to give; otherwise the stored answers and the failed items. A number outside its
    limits or a "no" is a failed item, not an error."""
    filled, errors = Filled(version), {}
    for item in version.items.all():
        value, failed, problem = _answer(item, answers.get(item.key), item.key in photos)
        if problem is None and failed and item.photo_when_failed and item.key not in photos:
            problem = _("This item failed: add a photo of it.")
        if problem:
            errors[item.key] = f"{item.text}: {problem}"
            continue
        if value is not None:
            filled.answers[item.key] = value
        if failed:
            filled.failed.append(item)
    unknown = set(answers) - {item.key for item in version.items.all()}
    if unknown:
        errors["__all__"] = _("These answers are not items of version %(n)s: %(keys)s.") % {
            "n": version.number, "keys": ", ".join(sorted(unknown))}
    if errors:
        raise ValidationError(errors)
    return filled


def _answer(item: ChecklistItem, raw, has_photo: bool) -> tuple[Any, bool, str | None]:
    """(stored value, failed?, problem)."""
    empty = raw is None or (isinstance(raw, str) and not raw.strip())
    if item.kind == ItemKind.PHOTO:
        if item.required and not has_photo:
            return None, False, _("add the photo.")
        return None, False, None
    if empty:
        return None, False, _("answer it.") if item.required else None
    if item.kind == ItemKind.YES_NO:
        value = {True: YES, False: NO}.get(raw, str(raw).strip().lower())
        if value not in (YES, NO, NOT_APPLICABLE):
            return None, False, _("answer yes, no or not applicable.")
        return value, value == NO, None
    if item.kind == ItemKind.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            return None, False, _("give a number, e.g. 500.")
        if not number.is_finite():
            return None, False, _("give a number, e.g. 500.")
        low, high = item.options.get("min"), item.options.get("max")
        outside = (low is not None and number < Decimal(low)) or (high is not None and number > Decimal(high))
        return str(number), outside, None
    if item.kind == ItemKind.CHOICE:
        value = str(raw).strip()
        if value not in item.options.get("choices", []):
            return None, False, _("choose one of: %(choices)s.") % {
                "choices": "、".join(item.options.get("choices", []))}
        return value, value in item.options.get("failing", []), None
    text = str(raw).strip()
    if len(text) > NOTE_MAX:
        return None, False, _("keep it under %(n)s characters.") % {"n": NOTE_MAX}
    return text, False, None
