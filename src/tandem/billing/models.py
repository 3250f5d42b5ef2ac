"""Charges of each visit (FHIR ChargeItem), the clinic's billing settings and the patient's insurance (FHIR
Coverage).

A charge is derived from signed notes by tandem.billing.services.charges_post and never typed by hand: the
code, units, minutes, regions and diagnosis pointers are what the billing rules made of the documentation.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from tandem.accounts.models import Organization, User
from tandem.charting.models import Encounter, Note
from tandem.core.models import TimeStampedModel
from tandem.patients.models import Patient


class ChargeStatus(models.TextChoices):
    """FHIR R4 chargeitem-status (the subset Tandem uses)."""

    BILLABLE = "billable", "Billable"
    BILLED = "billed", "Billed"
    NOT_BILLABLE = "not-billable", "Not billable"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Charge(TimeStampedModel):
    """FHIR ChargeItem: one billed code of a visit.

    `unit_price` comes from the clinic's fee schedule when the charge is posted; `fee` is the line's total
    (unit price × units), what the claim line and the superbill show. A timed code documented for too few
    minutes (0 units) is kept as not-billable, so the visit shows what was documented and why it bills
    nothing.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="charges")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="charges")
    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="charges")
    service_on = models.DateField(help_text="Date of service, in the clinic's time zone.")
    code = models.CharField("CPT/HCPCS code", max_length=5)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.PositiveSmallIntegerField()
    minutes = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Null for an untimed code.")
    regions = models.JSONField(default=list, blank=True, help_text="Body-site codes treated.")
    diagnosis_codes = models.JSONField(
        default=list, blank=True, help_text="ICD-10-CM codes this line points to, most important first (≤4)."
    )
    unit_price = models.DecimalField(max_digits=9, decimal_places=2)
    fee = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=20, choices=ChargeStatus.choices, default=ChargeStatus.BILLABLE)
    rule = models.CharField(max_length=3, help_text="Timed-unit rule applied: cms or ama.")
    void_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["service_on", "encounter_id", "id"]
        indexes = [
            models.Index(fields=["organization", "service_on", "status"], name="charge_org_day_status"),
            models.Index(fields=["patient", "service_on"], name="charge_patient_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(units__gt=0) | ~Q(status="billable"), name="charge_billable_has_units"
            ),
            models.CheckConstraint(condition=Q(fee__gte=Decimal("0")), name="charge_fee_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="entered-in-error") | ~Q(void_reason=""), name="charge_void_has_reason"
            ),
        ]

    @property
    def code_with_modifiers(self) -> str:
        return "-".join((self.code, *self.modifiers))

    def __str__(self) -> str:
        return f"{self.code_with_modifiers} ×{self.units} on {self.service_on} ({self.status})"


class TimedRule(models.TextChoices):
    CMS = "cms", "CMS 8-minute rule (minutes pooled)"
    AMA = "ama", "AMA/CPT mid-point rule (per code)"


class DistinctModifier(models.TextChoices):
    MODIFIER_59 = "59", "59"
    XS = "XS", "X modifiers (XS)"


class BillingSettings(TimeStampedModel):
    """One clinic's billing rules, fee schedule and claim identity (what Organization does not hold: EIN,
    taxonomy, ZIP+4, clearinghouse IDs). Created from billing_defaults.yaml on first use."""

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="billing")
    timed_rule = models.CharField(max_length=3, choices=TimedRule.choices, default=TimedRule.CMS)
    distinct_modifier = models.CharField(
        max_length=2, choices=DistinctModifier.choices, default=DistinctModifier.MODIFIER_59
    )
    waived_rules = models.JSONField(default=list, blank=True)
    fees = models.JSONField(default=dict, blank=True, help_text='Price per unit by code, {"97110": "52.00"}.')
    place_of_service = models.CharField(max_length=2, default="11")
    billing_npi = models.CharField("group NPI", max_length=10, blank=True)
    tax_id = models.CharField("EIN", max_length=10, blank=True)
    taxonomy_code = models.CharField(max_length=10, blank=True)
    address_line = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField("ZIP+4", max_length=10, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    submitter_id = models.CharField(max_length=15, blank=True)
    submitter_contact_name = models.CharField(max_length=60, blank=True)
    receiver_name = models.CharField(max_length=60, blank=True)
    receiver_id = models.CharField(max_length=15, blank=True)
    taxonomy_by_discipline = models.JSONField(default=dict, blank=True)
    last_interchange_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "billing settings"

    def __str__(self) -> str:
        return f"Billing settings of organization {self.organization_id}"


class CoverageStatus(models.TextChoices):
    """FHIR R4 fm-status."""

    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Coverage(TimeStampedModel):
    """FHIR Coverage: the patient's insurance, the patient being the subscriber (837P relationship "self").
    A patient without an active coverage is self-pay: the superbill is their receipt, no claim is sent."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer_name = models.CharField(max_length=60)
    payer_id = models.CharField(max_length=80)
    member_id = models.CharField(max_length=80)
    group_number = models.CharField(max_length=50, blank=True)
    claim_filing_indicator = models.CharField(max_length=2, default="CI")
    status = models.CharField(max_length=20, choices=CoverageStatus.choices, default=CoverageStatus.ACTIVE)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="active"), name="coverage_one_active_per_patient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payer_name} {self.member_id}"


class ClaimFile(TimeStampedModel):
    """An 837P claim file as it was made, kept so a biller can download it again and see what was sent.

    Written once by tandem.billing.claim_files.claim_file_make and never edited (append-only in spirit): the
    text, pyx12's verdict, the visits left out and the charges it carries. A file pyx12 refuses is kept too,
    for a person to inspect, but its charges are never marked billed (`marked_billed` stays false).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    interchange_number = models.PositiveIntegerField(help_text="ISA13/IEA02 interchange control number.")
    first_service_on = models.DateField()
    last_service_on = models.DateField()
    production = models.BooleanField(default=True, help_text="False for a test file (ISA15 = T).")
    text = models.TextField()
    valid = models.BooleanField()
    errors = models.JSONField(default=list, blank=True, help_text="pyx12's findings, one message each.")
    skipped = models.JSONField(default=list, blank=True, help_text="Visits left out, with the reason.")
    patient_ids = models.JSONField(
        default=list, blank=True, help_text="Patients the file names, claimed or left out (to audit reads)."
    )
    claim_count = models.PositiveIntegerField()
    line_count = models.PositiveIntegerField()
    total_charge = models.DecimalField(max_digits=12, decimal_places=2)
    charges = models.ManyToManyField(Charge, related_name="claim_files", blank=True)
    marked_billed = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "interchange_number"], name="claimfile_one_per_interchange_number"
            ),
            models.CheckConstraint(
                condition=Q(valid=True) | Q(marked_billed=False), name="claimfile_invalid_never_billed"
            ),
        ]

    @property
    def filename(self) -> str:
        return f"claims-{self.interchange_number:09d}.837"

    def __str__(self) -> str:
        return f"837P {self.interchange_number} ({self.first_service_on} to {self.last_service_on})"
