"""Where resumption stands for a jurisdiction or a building: enterprises by state, the
resumption rate, employees back, open and overdue problems — and the same for each child
of the jurisdiction, side by side. Each figure is one aggregate query over the rows the user
may see, never a loop over enterprises."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from shoumen.core.scoping import subtree_q
from shoumen.geo.models import PATH_SEGMENT

from .models import Declaration, Enterprise, EnterpriseStatus, Problem, ProblemState

STATES = list(EnterpriseStatus.values)


def _state_counts(enterprises) -> dict:
    return {**dict.fromkeys(STATES, 0),
            **dict(enterprises.order_by().values_list("status").annotate(n=Count("pk")))}


def figures(enterprises, problems) -> dict:
    """The figures of ``enterprises`` and ``problems`` (querysets the user may see, already
    narrowed to the place)."""
    states = _state_counts(enterprises)
    total = sum(states.values())
    resumed = states[EnterpriseStatus.RESUMED]
    employees = enterprises.order_by().aggregate(
        all=Sum("employees"), resumed=Sum("employees", filter=Q(status=EnterpriseStatus.RESUMED)))
    back = (Declaration.objects.filter(enterprise__in=enterprises.filter(
        status=EnterpriseStatus.RESUMED), resumed_at__isnull=False).order_by()
        .aggregate(n=Sum("employees_returning"))["n"] or 0)
    today = timezone.localdate()
    problem_counts = problems.order_by().aggregate(
        open=Count("pk", filter=Q(state=ProblemState.OPEN)),
        overdue=Count("pk", filter=Q(state=ProblemState.OPEN, due_on__lt=today)),
        solved=Count("pk", filter=Q(state=ProblemState.SOLVED)))
    return {
        "states": states, "total": total, "resumed": resumed,
        "rate": round(100 * resumed / total, 1) if total else None,
        "employees": employees["all"] or 0, "employees_resumed": employees["resumed"] or 0,
        "employees_back": back, **{f"problems_{k}": v for k, v in problem_counts.items()},
    }


def by_child(enterprises, parent) -> list[tuple]:
    """(child node, states by count, resumption rate) for each child of ``parent``, in one
    query: which community lags."""
    width = len(parent.path) + PATH_SEGMENT
    rows = (enterprises.filter(subtree_q(parent.path, "jurisdiction__")).order_by()
            .annotate(child=Substr("jurisdiction__path", 1, width))
            .values("child", "status").annotate(n=Count("pk")))
    counts: dict[str, dict] = {}
    for row in rows:
        counts.setdefault(row["child"], dict.fromkeys(STATES, 0))[row["status"]] = row["n"]
    result = []
    for child in parent.children.order_by("path"):
        states = counts.get(child.path, dict.fromkeys(STATES, 0))
        total = sum(states.values())
        rate = round(100 * states[EnterpriseStatus.RESUMED] / total, 1) if total else None
        result.append((child, states, total, rate))
    return result


def by_building(enterprises, parent) -> list[tuple]:
    """(building id, name, total, resumed, rate) for the buildings under ``parent`` that have
    enterprises, most enterprises first."""
    rows = (enterprises.filter(subtree_q(parent.path, "jurisdiction__"), building__isnull=False)
            .order_by().values("building_id", "building__name")
            .annotate(total=Count("pk"),
                      resumed=Count("pk", filter=Q(status=EnterpriseStatus.RESUMED)))
            .order_by("-total", "building__name"))
    return [(r["building_id"], r["building__name"], r["total"], r["resumed"],
             round(100 * r["resumed"] / r["total"], 1)) for r in rows]


def scope(user, node=None, building=None):
    """(enterprises, problems) the user may see, narrowed to ``node``'s subtree or to the
    enterprises of ``building``."""
    enterprises = Enterprise.objects.visible_to(user)
    problems = Problem.objects.visible_to(user)
    if building is not None:
        return (enterprises.filter(building=building),
                problems.filter(enterprise__building=building))
    if node is not None:
        return (enterprises.filter(subtree_q(node.path, "jurisdiction__")),
                problems.filter(subtree_q(node.path, "jurisdiction__")))
    return enterprises, problems
