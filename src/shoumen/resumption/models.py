from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from shoumen.core import pii
from shoumen.core.models import AuditedModel
from shoumen.core.scoping import ScopedQuerySet
from shoumen.geo.models import VenueCategory


def validate_uscc(value: str) -> None:
    """统一社会信用代码: 18 characters with a check character (GB 32100-2015)."""
    try:
        uscc.validate(value)
    except StdnumError:
        raise ValidationError(
            _g("“%(value)s” is not a valid unified social credit code: it has 18 characters "
               "(digits and capital letters except I, O, S, V, Z) and the last is a check "
               "character; copy it from the business licence.") % {"value": value},
            code="uscc",
        ) from None


class EnterpriseStatus(models.TextChoices):
    """Where an enterprise stands in resumption (复工复产); it moves only through
    ``declaring.STATUS_FLOW`` (the declaration services of :mod:`.declaring`)."""

    NOT_RESUMED = "not_resumed", _("Not declared")
    DECLARED = "declared", _("Declared, papers under review")
    RETURNED = "returned", _("Returned to the enterprise")
    ONSITE_REVIEW = "onsite_review", _("Under on-site review")
    RESUMED = "resumed", _("Resumed")
    SUSPENDED = "suspended", _("Suspended")


class RiskClass(models.TextChoices):
    """精细化分类: how closely a resumed enterprise is supervised."""

    A = "A", _("Class A (close supervision)")
    B = "B", _("Class B")
    C = "C", _("Class C (routine)")


class EnterpriseCategory(models.TextChoices):
    """What an enterprise does, as the declaration's required materials and its class
    (精细化分类) see it."""

    OFFICE = "office", _("Office")
    CATERING = "catering", _("Catering")
    RETAIL = "retail", _("Shop or supermarket")
    MANUFACTURING = "manufacturing", _("Manufacturing or processing")
    HOTEL = "hotel", _("Accommodation")
    EDUCATION = "education", _("Education or training")
    MEDICAL = "medical", _("Medical or pharmacy")
    PERSONAL_SERVICES = "personal_services", _("Personal services (beauty, bath, fitness)")
    ENTERTAINMENT = "entertainment", _("Culture or entertainment")
    LOGISTICS = "logistics", _("Logistics or delivery")
    CONSTRUCTION = "construction", _("Construction or decoration")
    OTHER = "other", _("Other")


class Enterprise(AuditedModel):
    """An enterprise under a community: the third level of the subdistrict–community–enterprise
    network. Its resumption workflow (declaration, on-site review, supervision) builds on it."""

    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="enterprises")
    name = models.CharField(_("name"), max_length=150)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True,
                                   validators=[validate_uscc])
    building = models.ForeignKey("geo.Place", verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="enterprises")
    floor_room = models.CharField(_("floor / room"), max_length=50, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50,
                                            blank=True)
    category = models.CharField(_("category"), max_length=20, choices=EnterpriseCategory.choices,
                                default=EnterpriseCategory.OFFICE)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    # One of the nine kinds of small venues (九小场所), or empty when it is none.
    venue_category = models.CharField(_("small venue kind"), max_length=20, blank=True,
                                      choices=VenueCategory.choices)
    employees = models.PositiveIntegerField(_("employees"), default=0)
    public_facing = models.BooleanField(_("serves the public"), default=False, help_text=_(
        "Customers, patients, pupils or guests come in (a shop, a restaurant, a clinic)."))
    key_enterprise = models.BooleanField(_("key enterprise"), default=False, help_text=_(
        "Named by the district (重点企业): it gets a subdistrict liaison."))
    # 包保: the subdistrict's staff member who looks after this enterprise (large or key
    # ones); not the enterprise's own liaison account.
    staff_liaison = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("subdistrict liaison"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="looked_after_enterprises")
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    # The contact's phone, like a resident's: only encrypted, with a blind index and a mask
    # (set and read through ``contact_phone``; a full read is an audited reveal).
    contact_phone_encrypted = models.TextField(editable=False, blank=True)
    contact_phone_index = models.CharField(max_length=64, null=True, editable=False)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=20, blank=True,
                                            editable=False)
    status = models.CharField(_("status"), max_length=20, choices=EnterpriseStatus.choices,
                              default=EnterpriseStatus.NOT_RESUMED, db_index=True)
    # The class computed from its facts and findings (with the reasons), and staff's override
    # of it with a note; ``risk_class`` is the one that stands (see :mod:`.classes`).
    computed_class = models.CharField(_("computed class"), max_length=1, blank=True,
                                      choices=RiskClass.choices)
    class_reasons = models.JSONField(_("why this class"), default=list, blank=True)
    class_override = models.CharField(_("class set by staff"), max_length=1, blank=True,
                                      choices=RiskClass.choices)
    class_note = models.CharField(_("why staff set the class"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"
    scope_enterprise_field = "pk"
    audit_exclude = frozenset({"contact_phone_encrypted", "contact_phone_index"})

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def risk_class(self) -> str:
        return self.class_override or self.computed_class

    @property
    def contact_phone(self) -> str:
        """The full number (decrypted): show it only after ``services.reveal_contact``."""
        return pii.decrypt(self.contact_phone_encrypted)

    @contact_phone.setter
    def contact_phone(self, phone: str) -> None:
        """Store an already validated, normalised number ('' removes it)."""
        (self.contact_phone_encrypted, self.contact_phone_index,
         self.contact_phone_masked) = pii.phone_columns(phone or "")


class Material(models.TextChoices):
    """What a declaration (复前申报) may have to hold. Every enterprise hands in the first
    five (:data:`BASELINE_MATERIALS`); a jurisdiction asks more of some categories through
    :class:`MaterialRequirement` (a restaurant's staff health certificates and dining plan)."""

    PREVENTION_PLAN = "prevention_plan", _("Epidemic prevention plan")
    EMERGENCY_PLAN = "emergency_plan", _("Emergency plan")
    HEALTH_ROSTER = "health_roster", _("Employee health roster")
    SUPPLIES = "supplies", _("Disinfectant and masks on hand")
    COMMITMENT = "commitment", _("Signed commitment (承诺书)")
    HEALTH_CERTIFICATES = "health_certificates", _("Staff health certificates")
    DINING_PLAN = "dining_plan", _("Staggered dining plan")
    TEMPERATURE_POINT = "temperature_point", _("Photo of the temperature point")
    VENTILATION_LOG = "ventilation_log", _("Ventilation and disinfection log")


BASELINE_MATERIALS = (Material.PREVENTION_PLAN, Material.EMERGENCY_PLAN, Material.HEALTH_ROSTER,
                      Material.SUPPLIES, Material.COMMITMENT)
# Materials handed in as a file (a PDF or a photo of the signed paper); the roster is a
# workbook read row by row, the supplies are numbers.
DOCUMENT_MATERIALS = tuple(m for m in Material if m not in (Material.HEALTH_ROSTER,
                                                            Material.SUPPLIES))


class MaterialRequirement(AuditedModel):
    """A jurisdiction asks enterprises of ``category`` under it for ``material`` as well as the
    baseline. Requirements add up down the tree: a district's apply in every subdistrict,
    which may ask more but never less."""

    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("set by"),
                                     on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=20, choices=EnterpriseCategory.choices)
    material = models.CharField(_("material"), max_length=24, choices=Material.choices)
    note = models.CharField(_("why"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["category", "material"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "category", "material"],
                                               name="resumption_one_requirement")]

    def __str__(self):
        return f"{self.get_category_display()}: {self.get_material_display()}"


class Declaration(AuditedModel):
    """One pre-resumption declaration (复前申报) of an enterprise: what it hands in to be
    allowed to reopen. It is written while the enterprise is not declared, returned or
    suspended, and frozen while staff review it; each submission, return and answer is a
    :class:`ResumptionStep`. A suspended enterprise declares again in a new declaration."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"),
                                   on_delete=models.PROTECT, related_name="declarations")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # When staff accepted the papers for the on-site review (the review must be made after),
    # and when the enterprise was allowed to resume with this declaration (it is then closed).
    accepted_at = models.DateTimeField(_("accepted for on-site review"), null=True, blank=True)
    resumed_at = models.DateTimeField(_("resumed"), null=True, blank=True)
    employees_returning = models.PositiveIntegerField(_("employees returning"), default=0)
    disinfectant_litres = models.DecimalField(_("disinfectant on hand (litres)"), max_digits=7,
                                              decimal_places=1, null=True, blank=True)
    masks_on_hand = models.PositiveIntegerField(_("masks on hand"), null=True, blank=True)
    thermometers = models.PositiveSmallIntegerField(_("thermometers"), null=True, blank=True)
    commitment_signed_by = models.CharField(_("commitment signed by"), max_length=50, blank=True)
    roster_rows = models.PositiveIntegerField(_("employees on the roster"), default=0)
    roster_fevers = models.PositiveIntegerField(_("employees with a fever"), default=0)
    roster_file_name = models.CharField(_("roster file"), max_length=255, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"
    scope_enterprise_field = "enterprise"

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.enterprise} {timezone.localtime(self.created_at):%Y-%m-%d}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("resumption:declaration-detail", args=[self.pk])


class DeclarationDocument(models.Model):
    """One material handed in as a file. A newer file for the same material replaces it in
    the declaration; the older one stays in the history."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE,
                                    related_name="documents")
    material = models.CharField(_("material"), max_length=24, choices=Material.choices)
    evidence = models.OneToOneField("evidence.Evidence", on_delete=models.PROTECT,
                                    related_name="+")
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["material", "-added_at", "-id"]

    def __str__(self):
        return self.get_material_display()


class RosterEmployee(models.Model):
    """One row of a declaration's employee health roster (员工健康台账): the numbers held
    like a resident's (encrypted, blind-indexed, masked)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE,
                                    related_name="roster")
    row = models.PositiveIntegerField(_("row"))
    name = models.CharField(_("name"), max_length=50)
    id_number_encrypted = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, editable=False, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=20, editable=False)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_index = models.CharField(max_length=64, null=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False, blank=True)
    whereabouts = models.CharField(_("where in the last 14 days"), max_length=200)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    fever = models.BooleanField(_("fever"), default=False)

    class Meta:
        ordering = ["row"]

    def __str__(self):
        return self.name


class ResumptionStep(models.Model):
    """One step of an enterprise's resumption: who moved it from which state to which, when,
    why (a return's or rejection's reasons, a submission's answer to them), and what the
    declaration held when it was submitted (``snapshot``)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="steps")
    declaration = models.ForeignKey(Declaration, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="steps")
    from_state = models.CharField(_("from"), max_length=20, choices=EnterpriseStatus.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=EnterpriseStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # A return's materials to fix (Material values); a submission's snapshot of the papers.
    to_fix = models.JSONField(_("to fix"), default=list, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["enterprise", "at"], name="resumption_steps_by_firm")]

    def __str__(self):
        return f"{self.enterprise}: {self.from_state} → {self.to_state}"


class ResumptionPlans(AuditedModel):
    """The inspection plans a jurisdiction (a subdistrict) runs its resumption with: the
    on-site review (现场复核) an accepted declaration is added to for one window of the plan's
    schedule (an "every 3 days" plan gives the inspector three days). The plans themselves are
    the inspections app's; this only says which is which."""

    jurisdiction = models.OneToOneField("geo.Node", verbose_name=_("jurisdiction"),
                                        on_delete=models.PROTECT, related_name="+")
    onsite_review = models.ForeignKey("inspections.InspectionPlan",
                                      verbose_name=_("on-site review plan"),
                                      on_delete=models.PROTECT, related_name="+")
    # Supervision visits of resumed enterprises (复后监管), one plan per class: its schedule
    # is the class's frequency (class A daily, B every 3 days, C weekly, as the plans say).
    supervision_a = models.ForeignKey("inspections.InspectionPlan", null=True, blank=True,
                                      verbose_name=_("supervision of class A"),
                                      on_delete=models.PROTECT, related_name="+")
    supervision_b = models.ForeignKey("inspections.InspectionPlan", null=True, blank=True,
                                      verbose_name=_("supervision of class B"),
                                      on_delete=models.PROTECT, related_name="+")
    supervision_c = models.ForeignKey("inspections.InspectionPlan", null=True, blank=True,
                                      verbose_name=_("supervision of class C"),
                                      on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"

    class Meta:
        verbose_name = _("resumption plans")
        verbose_name_plural = _("resumption plans")

    def __str__(self):
        return str(self.jurisdiction)

    def supervision(self, risk_class: str):
        """The supervision plan of ``risk_class`` (None if not set)."""
        return getattr(self, f"supervision_{risk_class.lower()}", None) if risk_class else None

    def supervision_plans(self) -> list:
        return [p for p in (self.supervision_a, self.supervision_b, self.supervision_c) if p]


class Confirmation(AuditedModel):
    """复工确认书: the printable confirmation that an enterprise may resume, issued on approval.
    Its QR (``qr_text``) is a signed credential in the resident pass's form
    (:mod:`shoumen.credentials`, private claim -70002 with the number, the enterprise's name
    and credit code), checked by the platform's page and by an offline checker; a
    suspension revokes it, and a revoked one fails the check."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"),
                                   on_delete=models.PROTECT, related_name="confirmations")
    declaration = models.OneToOneField(Declaration, verbose_name=_("declaration"),
                                       on_delete=models.PROTECT, related_name="confirmation")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                  on_delete=models.PROTECT, related_name="+")
    signing_key = models.ForeignKey("credentials.SigningKey", on_delete=models.PROTECT,
                                    related_name="+")
    qr_text = models.TextField(editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("why revoked"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"
    scope_enterprise_field = "enterprise"
    audit_exclude = frozenset({"qr_text"})

    class Meta:
        verbose_name = _("resumption confirmation")
        verbose_name_plural = _("resumption confirmations")
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("resumption:confirmation", args=[self.number])


class ProblemKind(models.TextChoices):
    SUPPLIES = "supplies", _("Prevention supplies")
    STAFF = "staff", _("Staff unable to return")
    LOGISTICS = "logistics", _("Logistics and transport")
    LIFT = "lift", _("A dedicated lift or access")
    PERMITS = "permits", _("Permits and approvals")
    FINANCING = "financing", _("Financing and rent")
    OTHER = "other", _("Other")


class ProblemState(models.TextChoices):
    OPEN = "open", _("Being solved")
    SOLVED = "solved", _("Solved")


class Problem(AuditedModel):
    """One difficulty of an enterprise in the subdistrict's work ledger (工作台账): raised by
    the enterprise or by staff, owned by a named person with a due date, followed in a
    thread of progress notes, and closed only with a resolution (办结情况)."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"),
                                   on_delete=models.PROTECT, related_name="problems")
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=ProblemKind.choices)
    description = models.TextField(_("problem"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible person"),
                              null=True, blank=True, on_delete=models.PROTECT,
                              related_name="owned_problems")
    owner_unit = models.CharField(_("responsible unit"), max_length=50, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=ProblemState.choices,
                             default=ProblemState.OPEN, db_index=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"),
                                  on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    resolution = models.TextField(_("resolution"), blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"
    scope_enterprise_field = "enterprise"

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["state", "due_on", "id"]
        indexes = [models.Index(fields=["jurisdiction", "state", "due_on"],
                                name="resumption_problems_open")]

    def __str__(self):
        return f"{self.enterprise}: {self.description[:40]}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("resumption:problem-detail", args=[self.pk])

    @property
    def overdue(self) -> bool:
        return (self.state == ProblemState.OPEN and self.due_on is not None
                and self.due_on < timezone.localdate())


class ProblemNote(models.Model):
    """A line of a problem's thread: progress (进展), a question, an answer; the step that
    solved or reopened it, with its words."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                               on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("note"))
    to_state = models.CharField(_("state"), max_length=8, choices=ProblemState.choices,
                                blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.text[:40]


class ContactKind(models.TextChoices):
    SYMPOSIUM = "symposium", _("Symposium")
    VISIT = "visit", _("Field visit")


class Contact(AuditedModel):
    """A symposium (座谈会) with several enterprises or a field visit (走访) to one: who came,
    what was discussed, what is to follow. Follow-ups that need solving go to the work
    ledger as problems."""

    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    jurisdiction = models.ForeignKey("geo.Node", verbose_name=_("jurisdiction"),
                                     on_delete=models.PROTECT, related_name="+")
    enterprises = models.ManyToManyField(Enterprise, verbose_name=_("enterprises"),
                                         related_name="contacts")
    held_on = models.DateField(_("held on"))
    attendees = models.TextField(_("attendees"))
    topics = models.TextField(_("topics"))
    follow_ups = models.TextField(_("follow-ups"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_capability = "enterprises.view"
    scope_enterprise_field = "enterprises"

    class Meta:
        verbose_name = _("symposium or visit")
        verbose_name_plural = _("symposiums and visits")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on:%Y-%m-%d}"
