from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet, subtree_q

PATH_SEGMENT = 8  # digits per level in Node.path: ids up to 99,999,999


def ancestor_paths(path: str) -> list[str]:
    """The paths of the node at ``path`` and of every node above it."""
    return [path[:end] for end in range(PATH_SEGMENT, len(path) + 1, PATH_SEGMENT)]


class NodeKind(models.IntegerChoices):
    """Levels of the jurisdiction tree, top down; a child is always at a deeper level."""

    CITY = 1, _("City")
    DISTRICT = 2, _("District")
    SUBDISTRICT = 3, _("Subdistrict")
    COMMUNITY = 4, _("Community")
    GRID = 5, _("Grid")


class Node(AuditedModel):
    """A jurisdiction: city → district → subdistrict → community → grid.

    ``code`` is the GB/T 2260 code where one exists (济南市 370100, 市中区 370103) and the
    statistical division code below that. ``path`` is the chain of ancestor ids as fixed-width
    digit segments, so a whole subtree is one indexed range query (see
    :func:`shoumen.core.scoping.subtree_q`). Nodes do not move once created.
    """

    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    kind = models.PositiveSmallIntegerField(_("level"), choices=NodeKind.choices)
    code = models.CharField(_("code"), max_length=20, unique=True,
                            help_text=_("GB/T 2260 or statistical division code"))
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    objects = ScopedQuerySet.as_manager()
    scope_capability = "geo.view"
    scope_node_field = ""
    audit_exclude = frozenset({"path"})

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def audit_jurisdiction(self):
        return self

    @property
    def depth(self) -> int:
        return len(self.path) // PATH_SEGMENT

    def clean(self):
        if self.parent_id is None and self.kind != NodeKind.CITY:
            raise ValidationError({"parent": _("Only a city can be at the top of the tree.")})
        if self.parent is not None and self.kind <= self.parent.kind:
            raise ValidationError(
                {"kind": _("A %(child)s cannot sit under a %(parent)s.")
                 % {"child": self.get_kind_display(), "parent": self.parent.get_kind_display()}}
            )

    def save(self, *args, **kwargs):
        if self.pk and self.path:
            super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)
        prefix = self.parent.path if self.parent_id else ""
        self.path = f"{prefix}{self.pk:0{PATH_SEGMENT}d}"
        Node.objects.filter(pk=self.pk).update(path=self.path)

    def subtree(self):
        """This node and every node below it."""
        return Node.objects.filter(subtree_q(self.path))

    def ancestors(self):
        ids = [int(self.path[i:i + PATH_SEGMENT]) for i in range(0, len(self.path), PATH_SEGMENT)]
        return Node.objects.filter(pk__in=ids).order_by("path")

    def contains(self, other: "Node") -> bool:
        return other.path.startswith(self.path)


class PlaceKind(models.TextChoices):
    BUILDING = "building", _("Building")
    VENUE = "venue", _("Venue")
    CHECKPOINT = "checkpoint", _("Checkpoint")
    ISOLATION_SITE = "isolation_site", _("Isolation observation site")
    STATION = "station", _("Railway station")
    CONSTRUCTION_SITE = "construction_site", _("Construction site")


class VenueCategory(models.TextChoices):
    """The nine kinds of small venues (九小场所), for venues."""

    SCHOOL = "school", _("Small school or kindergarten")
    CLINIC = "clinic", _("Small clinic")
    SHOP = "shop", _("Small shop")
    RESTAURANT = "restaurant", _("Small restaurant")
    HOTEL = "hotel", _("Small hotel")
    ENTERTAINMENT = "entertainment", _("Small entertainment venue")
    INTERNET_CAFE = "internet_cafe", _("Small internet café")
    BEAUTY_BATH = "beauty_bath", _("Small beauty or bath venue")
    WORKSHOP = "workshop", _("Small workshop")


class Place(AuditedModel):
    """A physical place under a jurisdiction: building, small venue, checkpoint, isolation
    observation site, the railway station, a construction site."""

    jurisdiction = models.ForeignKey(Node, verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="places")
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    building = models.ForeignKey("self", verbose_name=_("in building"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="contained_places",
                                 limit_choices_to={"kind": PlaceKind.BUILDING})
    property_company = models.CharField(_("property management company"), max_length=100,
                                        blank=True)
    venue_category = models.CharField(_("venue category"), max_length=20, blank=True,
                                      choices=VenueCategory.choices)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "geo.view"

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["jurisdiction__path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "kind", "name"],
                                    name="geo_place_unique_name"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == PlaceKind.VENUE and not self.venue_category:
            raise ValidationError({"venue_category": _("Choose which of the nine kinds of small "
                                                       "venues this is.")})
        if self.kind != PlaceKind.VENUE:
            self.venue_category = ""
