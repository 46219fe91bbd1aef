"""Jurisdiction scoping: the one place that decides which rows a user may see.

Every domain model's manager is a :class:`ScopedQuerySet`; views, API endpoints, exports and
reports start from ``Model.objects.visible_to(user)``. A user sees the subtree below each node
at which they hold a role granting the model's capability; an enterprise liaison sees only the
enterprise named in their assignment. Rows outside are simply absent, so an out-of-scope object
is a 404 exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.db import models
from django.db.models import Q


def subtree_q(path: str, prefix: str = "") -> Q:
    """Rows whose node path lies in the subtree at ``path``: one range on an indexed column.

    Paths are digit strings of fixed-width segments, so the subtree of ``p`` is exactly the
    interval [p, p+1) compared as strings, the same under any collation on SQLite and
    PostgreSQL (no LIKE, whose index use differs between the two).
    """
    upper = str(int(path) + 1).zfill(len(path))
    return Q(**{f"{prefix}path__gte": path, f"{prefix}path__lt": upper})


def collapse_paths(paths) -> list[str]:
    """Drop paths already covered by an ancestor in the same set."""
    kept: list[str] = []
    for p in sorted(set(paths)):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


@dataclass
class Scope:
    """What one user may see and do, computed once per request from their role assignments."""

    is_global: bool = False
    # (node path, enterprise id or None, capabilities granted)
    grants: list[tuple[str, int | None, frozenset[str]]] = field(default_factory=list)

    def can(self, capability: str) -> bool:
        return self.is_global or any(capability in caps for _, _, caps in self.grants)

    def paths(self, capability: str) -> list[str]:
        return collapse_paths(p for p, ent, caps in self.grants if ent is None and capability in caps)

    def enterprise_ids(self, capability: str) -> list[int]:
        return sorted({ent for _, ent, caps in self.grants if ent is not None and capability in caps})


@cache
def _capabilities_function():
    """``settings.ROLE_CAPABILITIES_FUNCTION``: role -> capabilities (core names no app)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    return import_string(settings.ROLE_CAPABILITIES_FUNCTION)


def scope_for(user) -> Scope:
    if user is None or not user.is_authenticated:
        return Scope()
    cached = getattr(user, "_shoumen_scope", None)
    if cached is not None:
        return cached
    capabilities_of = _capabilities_function()
    if user.is_superuser:
        scope = Scope(is_global=True)
    else:
        grants = [
            (a.node.path, a.enterprise_id, capabilities_of(a.role))
            for a in user.role_assignments.select_related("node").filter(active=True)
        ]
        scope = Scope(grants=grants)
    user._shoumen_scope = scope
    return scope


def mark_seen(obj, user_id, capability: str) -> None:
    """Remember on ``obj`` that the user ``user_id`` may act on it under ``capability``
    (:func:`shoumen.core.authz.allows` then needs no query)."""
    obj._shoumen_seen = frozenset(getattr(obj, "_shoumen_seen", frozenset())
                                  | {(user_id, capability)})


def seen_by(obj, user_id, capability: str) -> bool:
    return (user_id, capability) in getattr(obj, "_shoumen_seen", frozenset())


class ScopedQuerySet(models.QuerySet):
    """QuerySet with :meth:`visible_to`. Models set, as class attributes:

    * ``scope_capability`` — the capability needed to see rows (e.g. ``"people.view"``);
    * ``scope_node_field`` — the FK to the jurisdiction node (default ``"jurisdiction"``;
      ``""`` for the node model itself);
    * ``scope_enterprise_field`` — optional lookup to the enterprise, for liaisons.
    """

    # (user id, capability) when the rows come from visible_to: each loaded object is marked
    # (mark_seen). Narrowing keeps the mark; combining with another queryset drops it.
    _seen_by: tuple | None = None

    def _clone(self):
        clone = super()._clone()
        clone._seen_by = self._seen_by
        return clone

    def _combinator_query(self, *args, **kwargs):
        combined = super()._combinator_query(*args, **kwargs)
        combined._seen_by = None
        return combined

    def __or__(self, other):
        combined = super().__or__(other)
        combined._seen_by = None
        return combined

    def __xor__(self, other):
        combined = super().__xor__(other)
        combined._seen_by = None
        return combined

    def update(self, **changes):
        """Refused for an audited model's audited fields: a bulk update sends no signal, so
        it would change rows without a trail. Use :func:`shoumen.core.audit.update_rows`
        (one audit row per row changed). Fields the audit excludes (a device's last-seen
        time, a node's derived path) may still be updated in bulk."""
        excluded = getattr(self.model, "audit_exclude", None)
        if excluded is not None and not set(changes) <= excluded:
            raise TypeError(f"{self.model.__name__} is audited: change its rows with "
                            f"shoumen.core.audit.update_rows(), not QuerySet.update()")
        return super().update(**changes)

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._seen_by is not None and self._iterable_class is models.query.ModelIterable:
            for obj in self._result_cache:
                mark_seen(obj, *self._seen_by)

    def visible_to(self, user, capability: str | None = None):
        scoped = self._visible_to(user, capability or self.model.scope_capability)
        if scoped is self:
            scoped = self._chain()
        if user is not None and user.is_authenticated:
            scoped._seen_by = (user.pk, capability or self.model.scope_capability)
        return scoped

    def _visible_to(self, user, capability: str):
        model = self.model
        scope = scope_for(user)
        if scope.is_global:
            return self
        node_field = getattr(model, "scope_node_field", "jurisdiction")
        prefix = f"{node_field}__" if node_field else ""
        q = Q()
        matched = False
        for path in scope.paths(capability):
            q |= subtree_q(path, prefix)
            matched = True
        enterprise_field = getattr(model, "scope_enterprise_field", None)
        if enterprise_field:
            ids = scope.enterprise_ids(capability)
            if ids:
                q |= Q(**{f"{enterprise_field}__in": ids})
                matched = True
        return self.filter(q) if matched else self.none()
