"""Finding what a ledger's cells name, loaded once per import job."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from shoumen.core.scoping import subtree_q


def key(text: str) -> str:
    """Text reduced for matching a name or code: spaces and case ignored."""
    return re.sub(r"\s+", "", text).casefold()


class CommunityLookup:
    """The communities and grids under the job's jurisdiction where the user holds
    ``capability``, by code or by name (names may repeat across communities, as grids'
    do; codes never). An empty cell means the job's jurisdiction when that is one of them."""

    def __init__(self, job, user, capability: str, *, doing: str):
        from shoumen.geo.models import Node, NodeKind

        self.scope = job.jurisdiction
        self.doing = doing  # what the user may do there, for the message ("register people")
        nodes = list(Node.objects.visible_to(user, capability)
                     .filter(subtree_q(job.jurisdiction.path), kind__gte=NodeKind.COMMUNITY))
        self.nodes = {n.pk: n for n in nodes}
        self.by_code = {key(n.code): n.pk for n in nodes}
        self.by_name: dict[str, list[int]] = {}
        for n in nodes:
            self.by_name.setdefault(key(n.name), []).append(n.pk)
        self.default = job.jurisdiction.pk if job.jurisdiction.pk in self.nodes else None

    def find(self, text: str) -> tuple[int | None, str | None]:
        """(node id, None) or (None, what is wrong and how to fix it)."""
        if not text:
            if self.default is not None:
                return self.default, None
            return None, _("Enter the community or grid (code or name): the import is made into "
                           "%(scope)s, which is not a single community.") % {"scope": self.scope}
        found = self.by_code.get(key(text))
        if found is not None:
            return found, None
        matches = self.by_name.get(key(text), [])
        if len(matches) == 1:
            return matches[0], None
        if matches:
            return None, _("Several communities or grids are called “%(name)s”; enter the code "
                           "instead.") % {"name": text}
        return None, _("“%(name)s” is not a community or grid in %(scope)s where you may "
                       "%(doing)s; check the spelling or enter its code.") % {
                           "name": text, "scope": self.scope, "doing": self.doing}
