from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumen.core import pii
from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet
from shoumen.core.workflow import Step, Workflow


class PersonKind(models.TextChoices):
    RESIDENT = "resident", _("Registered resident")
    NON_RESIDENT = "non_resident", _("Non-registered resident")
    VISITOR = "visitor", _("Visitor")
    WORKER = "worker", _("Worker")


class PersonStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HOME_OBSERVATION = "home_observation", _("Home observation")
    CENTRAL_ISOLATION = "central_isolation", _("Centralised isolation")
    HOSPITALISED = "hospitalised", _("Hospitalised")
    CONFIRMED = "confirmed", _("Confirmed case")
    RELEASED = "released", _("Released from observation")


# Statuses under which a person may not leave home (used by the gate).
CONFINED_STATUSES = frozenset({
    PersonStatus.HOME_OBSERVATION, PersonStatus.CENTRAL_ISOLATION,
    PersonStatus.HOSPITALISED, PersonStatus.CONFIRMED,
})


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PersonTag(models.Model):
    """A key-person tag (重点人员), e.g. returned from a risk area, elderly living alone."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    is_key_person = models.BooleanField(_("marks a key person"), default=True)

    class Meta:
        verbose_name = _("person tag")
        verbose_name_plural = _("person tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Person(AuditedModel):
    """A resident or other person known to a community.

    The ID number and phone are held only encrypted, with blind indexes for exact search and
    uniqueness and masked copies for lists; reading the full values goes through
    :func:`shoumen.people.services.reveal_person` so that it is audited. Gender and birth date
    come from the ID number. Set numbers with :meth:`set_id_number` / :meth:`set_phone`.
    """

    # Indexed by the (jurisdiction, name) index below, which also serves the foreign key.
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("community / grid"),
                                     on_delete=models.PROTECT, related_name="people",
                                     db_index=False)
    name = models.CharField(_("name"), max_length=50)
    name_initials = models.CharField(_("pinyin initials"), max_length=50, editable=False)
    name_pinyin = models.CharField(_("pinyin"), max_length=200, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=PersonKind.choices,
                            default=PersonKind.RESIDENT)
    id_number_encrypted = models.TextField(editable=False, blank=True)
    id_number_index = models.CharField(max_length=64, null=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True,
                                        editable=False)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_index = models.CharField(max_length=64, null=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    household = models.CharField(_("household no."), max_length=40, blank=True,
                                 help_text=_("People with the same number live together."))
    status = models.CharField(_("status"), max_length=24, choices=PersonStatus.choices,
                              default=PersonStatus.NORMAL)
    status_since = models.DateTimeField(_("status since"), null=True, blank=True)
    tags = models.ManyToManyField(PersonTag, verbose_name=_("tags"), blank=True,
                                  related_name="people")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "people.view"
    audit_exclude = frozenset({"id_number_encrypted", "id_number_index", "phone_encrypted",
                               "phone_index", "name_pinyin", "created_at", "updated_at"})

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name_pinyin", "id"]
        # Indexes are declared here, not with db_index, so that PostgreSQL gets no second
        # pattern-ops index per text column: each index costs every insert (imports of 100 k).
        constraints = [
            models.UniqueConstraint(fields=["id_number_index"], name="people_person_unique_id_number"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "name"]),
            # The list's default order: lets "first page of everyone I can see" stop early.
            models.Index(fields=["name_pinyin", "id"], name="people_person_pinyin_idx"),
            # Prefix search on initials ("zs"): pattern ops on PostgreSQL, plain elsewhere.
            models.Index(fields=["name_initials"], name="people_person_initials_idx",
                         opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["phone_index"], name="people_person_phone_idx"),
            models.Index(fields=["household"], name="people_person_household_idx"),
            models.Index(fields=["status"], name="people_person_status_idx"),
        ]

    def __str__(self):
        return self.name

    # -- personal data --
    def set_id_number(self, number: str) -> None:
        """Store an already validated, normalised ID number (see pii.validate_id_number)."""
        (self.id_number_encrypted, self.id_number_index,
         self.id_number_masked) = pii.id_number_columns(number)
        if number:
            self.gender = pii.gender_from_id(number)
            self.birth_date = pii.birth_date_from_id(number)

    def set_phone(self, phone: str) -> None:
        self.phone_encrypted, self.phone_index, self.phone_masked = pii.phone_columns(phone)

    @property
    def id_number(self) -> str:
        """Full ID number. Call through services.reveal_person, which audits the read."""
        return pii.decrypt(self.id_number_encrypted)

    @property
    def phone(self) -> str:
        return pii.decrypt(self.phone_encrypted)

    def set_name(self, name: str) -> None:
        from .search import initials_of, pinyin_of

        self.name = name.strip()
        self.name_initials = initials_of(self.name)
        self.name_pinyin = pinyin_of(self.name)


class StatusChange(models.Model):
    """One step in a person's status history (e.g. normal → home observation), with why."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE,
                               related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=24, choices=PersonStatus.choices)
    to_status = models.CharField(_("to"), max_length=24, choices=PersonStatus.choices)
    reason = models.CharField(_("reason"), max_length=300)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.person}: {self.from_status} → {self.to_status}"


def _record_status_change(person, before, after, actor, details) -> StatusChange:
    change = StatusChange.objects.create(person=person, from_status=before, to_status=after,
                                         reason=details["note"], changed_by=actor)
    person.status_since = change.changed_at
    return change


def _reason_given(person, details) -> dict:
    if (details.get("note") or "").strip():
        return {}
    return {"reason": [_("Say why the status changes (e.g. close contact of a case, 14 days "
                         "completed).")]}


_S = PersonStatus
_ANY_CONFINEMENT = (_S.HOME_OBSERVATION, _S.CENTRAL_ISOLATION, _S.HOSPITALISED, _S.CONFIRMED)
# Into observation, isolation, hospital or a confirmed case from anywhere it is not a step
# back (a confirmed case goes to hospital or isolation, not home); out of them only by
# release; back to normal only once released.
Person.status_flow = Workflow("status", PersonStatus, [
    *[Step({s for s in _S if s != target and not (s == _S.CONFIRMED and target == _S.HOME_OBSERVATION)},
           target, "people.status", _reason_given) for target in _ANY_CONFINEMENT],
    Step(_ANY_CONFINEMENT, _S.RELEASED, "people.status", _reason_given),
    Step({_S.RELEASED}, _S.NORMAL, "people.status", _reason_given),
], record=_record_status_change, saves=("status_since",),
    refused=_("You may look at this person but not change their status."))
