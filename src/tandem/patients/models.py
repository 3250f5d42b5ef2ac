from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from tandem.accounts.models import Organization, Practitioner, User
from tandem.core.models import TimeStampedModel
from tandem.core.vocabularies import AXIAL_BODY_SITES, LIMB_BODY_SITES, body_site_codes
from tandem.patients.drug_classes import risk_flags_for


class AdministrativeGender(models.TextChoices):
    """FHIR R4 administrative-gender."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("vi", "Vietnamese"),
    ("tl", "Tagalog"),
    ("ar", "Arabic"),
    ("fr", "French"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("de", "German"),
    ("pt", "Portuguese"),
    ("pl", "Polish"),
    ("ht", "Haitian Creole"),
    ("hi", "Hindi"),
    ("ja", "Japanese"),
    ("it", "Italian"),
]


class Patient(TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=20)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    sex = models.CharField(max_length=10, choices=AdministrativeGender.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    preferred_language = models.CharField(max_length=8, choices=LANGUAGES, default="en")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "mrn"], name="patient_mrn_unique")]
        indexes = [
            models.Index(fields=["organization", "family_name", "given_name"], name="patient_name_idx"),
            models.Index(fields=["organization", "birth_date"], name="patient_birth_idx"),
        ]

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: datetime.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"


class ConditionClinicalStatus(models.TextChoices):
    """FHIR R4 condition-clinical."""

    ACTIVE = "active", "Active"
    RECURRENCE = "recurrence", "Recurrence"
    RELAPSE = "relapse", "Relapse"
    INACTIVE = "inactive", "Inactive"
    REMISSION = "remission", "Remission"
    RESOLVED = "resolved", "Resolved"


class ConditionVerificationStatus(models.TextChoices):
    """FHIR R4 condition-ver-status."""

    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    PROVISIONAL = "provisional", "Provisional"
    DIFFERENTIAL = "differential", "Differential"
    CONFIRMED = "confirmed", "Confirmed"
    REFUTED = "refuted", "Refuted"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class ConditionCategory(models.TextChoices):
    """Whether the problem is in bone, joint or disc (seen on imaging) or in muscle and fascia."""

    STRUCTURAL = "structural", "Structural"
    SOFT_TISSUE = "soft-tissue", "Soft tissue"


BODY_REGION_CHOICES = [(c.code, c.label) for c in AXIAL_BODY_SITES + LIMB_BODY_SITES]


class Laterality(models.TextChoices):
    NONE = "", "—"
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"


class Condition(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="conditions")
    code = models.CharField("ICD-10-CM code", max_length=8)
    text = models.CharField(max_length=255)
    body_site = models.CharField(max_length=20, choices=BODY_REGION_CHOICES, blank=True)
    laterality = models.CharField(max_length=10, choices=Laterality.choices, blank=True)
    category = models.CharField(max_length=12, choices=ConditionCategory.choices)
    clinical_status = models.CharField(
        max_length=12, choices=ConditionClinicalStatus.choices, default=ConditionClinicalStatus.ACTIVE
    )
    verification_status = models.CharField(
        max_length=20,
        choices=ConditionVerificationStatus.choices,
        default=ConditionVerificationStatus.CONFIRMED,
    )
    onset_on = models.DateField(null=True, blank=True)
    evidence = models.TextField(
        blank=True, help_text='e.g. "MRI 2026-03-02: advanced L4-L5 disc degeneration"'
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-clinical_status", "code"]

    @property
    def body_site_codes(self) -> list[str]:
        return body_site_codes(self.body_site, self.laterality)

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class MedicationStatus(models.TextChoices):
    """FHIR R4 medication-statement-status."""

    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    INTENDED = "intended", "Intended"
    STOPPED = "stopped", "Stopped"
    ON_HOLD = "on-hold", "On hold"
    UNKNOWN = "unknown", "Unknown"
    NOT_TAKEN = "not-taken", "Not taken"


class MedicationStatement(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    medication = models.CharField(max_length=200, help_text="Generic or brand name, e.g. warfarin")
    dosage = models.CharField(max_length=200, blank=True, help_text="e.g. 5 mg by mouth once daily")
    status = models.CharField(
        max_length=20, choices=MedicationStatus.choices, default=MedicationStatus.ACTIVE
    )
    started_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    @property
    def risk_flags(self) -> list[str]:
        """Risk flags from the drug-class table; derived from the name, never typed by hand."""
        return risk_flags_for(self.medication)

    def __str__(self) -> str:
        return self.medication


class AllergyCategory(models.TextChoices):
    FOOD = "food", "Food"
    MEDICATION = "medication", "Medication"
    ENVIRONMENT = "environment", "Environment"
    BIOLOGIC = "biologic", "Biologic"


class AllergyCriticality(models.TextChoices):
    LOW = "low", "Low"
    HIGH = "high", "High"
    UNABLE_TO_ASSESS = "unable-to-assess", "Unable to assess"


class AllergyClinicalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    RESOLVED = "resolved", "Resolved"


class AllergyIntolerance(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=200, help_text="e.g. latex, arnica, lavender oil, ibuprofen")
    category = models.CharField(max_length=12, choices=AllergyCategory.choices)
    criticality = models.CharField(
        max_length=20, choices=AllergyCriticality.choices, default=AllergyCriticality.LOW
    )
    clinical_status = models.CharField(
        max_length=10, choices=AllergyClinicalStatus.choices, default=AllergyClinicalStatus.ACTIVE
    )
    reaction = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.substance


class CareTeamRole(models.TextChoices):
    LEAD = "lead", "Lead clinician"
    SUPERVISING = "supervising", "Supervising clinician"
    MEMBER = "member", "Member"


class CareTeamQuerySet(models.QuerySet["CareTeamMember"]):
    def active_on(self, day: datetime.date) -> CareTeamQuerySet:
        """Memberships in force on `day`; `ended_on` is the day access stopped."""
        return self.filter(started_on__lte=day).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


class CareTeamMember(TimeStampedModel):
    """A practitioner's place on a patient's care team for a period (FHIR CareTeam.participant)."""

    objects = CareTeamQuerySet.as_manager()

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="care_team_memberships"
    )
    role = models.CharField(max_length=12, choices=CareTeamRole.choices, default=CareTeamRole.MEMBER)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            # One open membership per practitioner and patient, and one open lead per patient.
            models.UniqueConstraint(
                fields=["patient", "practitioner"],
                condition=Q(ended_on__isnull=True),
                name="careteam_one_open",
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_on__isnull=True, role="lead"), name="careteam_one_lead"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="careteam_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "ended_on"], name="careteam_practitioner_idx")]

    def is_active_on(self, day: datetime.date) -> bool:
        # `ended_on` is the day the membership ended: access stops that day, not the day after.
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)


class BreakGlassAccess(models.Model):
    """Emergency access outside the clinician's care teams: reason required, audited, time-limited."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="break_glass")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass")
    reason = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "patient", "expires_at"], name="breakglass_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.user} → patient {self.patient_id} at {self.started_at:%Y-%m-%d %H:%M}"
