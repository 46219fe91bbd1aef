"""Light read-only views of the people and checkpoints in a contact search.

A search at a busy site names hundreds of people and checkpoints; building full model
instances (a person with their community and its parent, a checkpoint with its place, its
building and its jurisdiction) cost several times the search itself. These cards are read
with one ``values_list`` query each and offer the attributes the pages, the export and the API
read (``person.get_status_display()``, ``person.jurisdiction.parent.name``, …), so templates
shared with the people app work on them unchanged. They are never saved. The two queries are
written out (rather than ORM ``pk__in``) so that hundreds of ids cost one array parameter on
PostgreSQL; ``tests/test_gate_contacts.py`` checks them against the models.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections

from shoumen.people.models import PersonKind, PersonStatus

from ..checkpoints.models import Checkpoint


@dataclass(slots=True, frozen=True)
class NodeCard:
    id: int
    name: str
    kind: int = 0
    code: str = ""
    parent: NodeCard | None = None

    @property
    def pk(self) -> int:
        return self.id

    @property
    def parent_id(self) -> int | None:
        return self.parent.id if self.parent is not None else None

    def __str__(self):
        return self.name


@dataclass(slots=True)
class PersonCard:
    """A person as a contact list shows them: masked numbers, status, community."""

    id: int
    name: str
    id_number_masked: str
    phone_masked: str
    status: str
    kind: str
    jurisdiction: NodeCard

    @property
    def pk(self) -> int:
        return self.id

    def get_status_display(self) -> str:
        return PersonStatus(self.status).label

    def get_kind_display(self) -> str:
        return PersonKind(self.kind).label

    def __str__(self):
        return self.name


def _rows(sql: str, ids, using: str) -> list[tuple]:
    """Run ``sql`` whose ``{ids}`` stands for "this column is one of ``ids``": one array
    parameter on PostgreSQL (no statement with hundreds of placeholders to build and parse),
    a plain IN list elsewhere."""
    ids = list(ids)
    if not ids:
        return []
    connection = connections[using]
    if connection.vendor == "postgresql":
        sql, params = sql.format(ids="= ANY(%s)"), [ids]
    else:
        sql, params = sql.format(ids=f"IN ({', '.join(['%s'] * len(ids))})"), ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_PEOPLE_SQL = """
SELECT p.id, p.name, p.id_number_masked, p.phone_masked, p.status, p.kind,
       n.id, n.name, n.kind, up.id, up.name, up.kind
FROM people_person p JOIN geo_node n ON n.id = p.jurisdiction_id
LEFT JOIN geo_node up ON up.id = n.parent_id
WHERE p.id {ids}"""


def people(ids, *, using: str = "default") -> dict[int, PersonCard]:
    """Cards of the people with ``ids``, by id (one query)."""
    nodes: dict[int, NodeCard] = {}
    cards = {}
    for (pk, name, id_masked, phone_masked, status, kind, node_id, node_name, node_kind,
         parent_id, parent_name, parent_kind) in _rows(_PEOPLE_SQL, ids, using):
        node = nodes.get(node_id)
        if node is None:
            parent = NodeCard(parent_id, parent_name, parent_kind) if parent_id else None
            node = nodes[node_id] = NodeCard(node_id, node_name, node_kind, parent=parent)
        cards[pk] = PersonCard(pk, name, id_masked, phone_masked, status, kind, node)
    return cards


@dataclass(slots=True, frozen=True)
class CheckpointCard:
    """A checkpoint, its jurisdiction and its site (the building, for a lobby)."""

    id: int
    name: str
    jurisdiction: NodeCard
    building_id: int | None = None
    building_name: str = ""

    @property
    def pk(self) -> int:
        return self.id

    @property
    def site_id(self) -> int:
        return self.building_id or self.id

    @property
    def site_name(self) -> str:
        """Where people met: the building for a lobby, else the checkpoint itself."""
        return self.building_name or self.name

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> CheckpointCard:
        place = checkpoint.place
        node = place.jurisdiction
        return cls(checkpoint.pk, place.name, NodeCard(node.pk, node.name, node.kind, node.code),
                   place.building_id, place.building.name if place.building_id else "")

    def __str__(self):
        return self.name


_CHECKPOINTS_SQL = """
SELECT c.place_id, p.name, n.id, n.name, n.kind, n.code, b.id, b.name
FROM gate_checkpoint c JOIN geo_place p ON p.id = c.place_id
JOIN geo_node n ON n.id = p.jurisdiction_id LEFT JOIN geo_place b ON b.id = p.building_id
WHERE c.place_id {ids}"""


def checkpoints(ids, *, using: str = "default") -> dict[int, CheckpointCard]:
    """Cards of the checkpoints with ``ids``, by id (one query)."""
    nodes: dict[int, NodeCard] = {}
    cards = {}
    for pk, name, node_id, node_name, node_kind, code, building_id, building_name in (
            _rows(_CHECKPOINTS_SQL, ids, using)):
        node = nodes.get(node_id)
        if node is None:
            node = nodes[node_id] = NodeCard(node_id, node_name, node_kind, code)
        cards[pk] = CheckpointCard(pk, name, node, building_id, building_name or "")
    return cards
