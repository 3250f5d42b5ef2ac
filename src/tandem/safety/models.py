"""Safety: intake red-flag screenings and recorded overrides of precautions (DetectedIssue mitigation)."""

from __future__ import annotations

from django.db import models

from tandem.accounts.models import User
from tandem.patients.models import Patient


class IntakeScreening(models.Model):
    """Red flags and patient factors recorded at intake (REFERENCE.md §5). Append-only: screen again instead.

    `red_flags` is a list of vocabulary.RED_FLAGS codes present; `factors` a list of
    {"factor": PATIENT_FACTORS code, "body_site": BODY_SITES code or ""}. The latest one feeds the engine.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    red_flags = models.JSONField(default=list, blank=True)
    factors = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    urgent_referral_recommended = models.BooleanField(default=False)

    class Meta:
        ordering = ["-screened_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-screened_at"], name="screening_patient_idx")]

    def __str__(self) -> str:
        return f"Screening of patient {self.patient_id} at {self.screened_at:%Y-%m-%d %H:%M}"


class FindingSeverity(models.TextChoices):
    """FHIR R4 detectedissue-severity: high = contraindicated, moderate = precaution, low = info."""

    CONTRAINDICATED = "contraindicated", "Contraindicated"
    PRECAUTION = "precaution", "Precaution"
    INFO = "info", "Information"


class SafetyOverride(models.Model):
    """A supervising clinician's recorded decision to proceed despite a precaution. Append-only.

    One row per (patient, rule, technique, body_site, subject); `subject` says what was being saved
    ("careplan-activity:12", "referral:7"), and the override counts for that subject only.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safety_overrides")
    rule = models.CharField(max_length=100)
    technique = models.CharField(max_length=60)
    body_site = models.CharField(max_length=30, blank=True)
    severity = models.CharField(max_length=20, choices=FindingSeverity.choices)
    message = models.TextField()
    source = models.CharField(max_length=300)
    reason = models.TextField()
    subject = models.CharField(max_length=100)
    overridden_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    overridden_at = models.DateTimeField()

    class Meta:
        ordering = ["-overridden_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "rule", "technique", "body_site"], name="override_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"Override of {self.rule} ({self.technique} {self.body_site or 'whole body'})"
