"""Jurisdiction scoping: the one place that decides which rows a user may see.

Every domain model's manager is a :class:`ScopedQuerySet`; views, API endpoints, exports and
reports start from ``Model.objects.visible_to(user)``. A user sees the subtree below each node
at which they hold a role granting the model's capability; an enterprise liaison sees only the
enterprise named in their assignment. Rows outside are simply absent, so an out-of-scope object
is a 404 exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def scope_for(user) -> Scope:
    if user is None or not user.is_authenticated:
        return Scope()
    cached = getattr(user, "_shoumen_scope", None)
    if cached is not None:
        return cached
    from shoumen.accounts.roles import capabilities_of

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


class ScopedQuerySet(models.QuerySet):
    """QuerySet with :meth:`visible_to`. Models set, as class attributes:

    * ``scope_capability`` — the capability needed to see rows (e.g. ``"people.view"``);
    * ``scope_node_field`` — the FK to the jurisdiction node (default ``"jurisdiction"``;
      ``""`` for the node model itself);
    * ``scope_enterprise_field`` — optional lookup to the enterprise, for liaisons.
    """

    def visible_to(self, user, capability: str | None = None):
        model = self.model
        capability = capability or model.scope_capability
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
