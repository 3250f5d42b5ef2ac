"""Referrals: domain models.

A referral is a FHIR ServiceRequest (who asks whom to do what, for which patient and why); its workflow status
uses the FHIR Task status codes, with the words the clinic uses as labels ("Sent", "Declined", "Scheduled").
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from tandem.accounts.models import Discipline, Organization, Practitioner, User
from tandem.core.models import TimeStampedModel
from tandem.patients.models import Condition, Patient


class ExternalProvider(TimeStampedModel):
    """A provider outside the clinic: a family physician, an orthopedic surgeon... (FHIR Practitioner)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="external_providers"
    )
    name = models.CharField(max_length=200, help_text="e.g. Dr Hannah Cole")
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. MD, DO, NP")
    specialty = models.CharField(max_length=100, blank=True, help_text='e.g. "Family physician"')
    practice_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    fax = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True, help_text="Postal address, as it goes on a letter")
    npi = models.CharField("NPI", max_length=10, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organization", "active", "name"], name="extprovider_name_idx")]

    @property
    def display_name(self) -> str:
        return f"{self.name}{', ' + self.credentials if self.credentials else ''}"

    def __str__(self) -> str:
        return self.display_name + (f" ({self.specialty})" if self.specialty else "")


class ReferralKind(models.TextChoices):
    MASSAGE_ORDER = "massage-order", "Massage order"
    STRUCTURAL = "structural", "Structural referral"
    EXTERNAL_IN = "external-in", "From an external provider"
    EXTERNAL_OUT = "external-out", "To an external provider"


class ReferralPriority(models.TextChoices):
    """FHIR R4 request-priority."""

    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "As soon as possible"
    STAT = "stat", "Immediately (stat)"


class ReferralStatus(models.TextChoices):
    """FHIR R4 task-status codes, labelled in the clinic's words."""

    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Declined"
    READY = "ready", "Scheduled"
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = frozenset({ReferralStatus.REJECTED, ReferralStatus.COMPLETED, ReferralStatus.CANCELLED})


class PressureLimit(models.TextChoices):
    LIGHT = "light", "Light"
    MODERATE = "moderate", "Moderate"
    FIRM = "firm", "Firm"
    DEEP = "deep", "Deep"


# How long the recipient has to answer a sent referral, by priority; and to schedule an accepted one.
RESPONSE_TIME: dict[str, datetime.timedelta] = {
    ReferralPriority.STAT: datetime.timedelta(hours=4),
    ReferralPriority.ASAP: datetime.timedelta(days=1),
    ReferralPriority.URGENT: datetime.timedelta(days=2),
    ReferralPriority.ROUTINE: datetime.timedelta(days=5),
}
SCHEDULING_TIME = datetime.timedelta(days=7)


class Referral(TimeStampedModel):
    """A request from one practitioner (or an external provider) to another (or a discipline's inbox)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="referrals")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(max_length=20, choices=ReferralKind.choices)
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT)
    priority = models.CharField(
        max_length=10, choices=ReferralPriority.choices, default=ReferralPriority.ROUTINE
    )

    requester_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_requested"
    )
    requester_external = models.ForeignKey(
        ExternalProvider, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_made"
    )
    recipient_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )
    # A discipline referral goes to the discipline's inbox; whoever accepts it becomes the recipient.
    recipient_discipline = models.CharField(max_length=20, choices=Discipline.choices, blank=True)
    recipient_external = models.ForeignKey(
        ExternalProvider, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )

    reason = models.TextField()
    conditions = models.ManyToManyField(Condition, blank=True, related_name="referrals")
    needed_by_on = models.DateField(null=True, blank=True)

    # Massage order
    techniques = models.JSONField(default=list, blank=True)
    body_sites = models.JSONField(default=list, blank=True)
    pressure_limit = models.CharField(max_length=10, choices=PressureLimit.choices, blank=True)
    precautions = models.TextField(blank=True)
    session_count = models.PositiveSmallIntegerField(null=True, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    goals = models.TextField(blank=True)
    supervising_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_supervised"
    )
    safety_override_reason = models.TextField(blank=True)
    safety_findings = models.JSONField(default=list, blank=True)

    # Structural referral
    findings = models.TextField(blank=True)

    # Workflow
    response_due_at = models.DateTimeField(null=True, blank=True)
    scheduling_due_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True, help_text="Why it was declined or cancelled")

    # The report back to the referrer
    report = models.TextField(blank=True, help_text="Treatment provided")
    outcome = models.TextField(blank=True, help_text="Findings and outcome")
    recommendations = models.TextField(blank=True)

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(requester_practitioner__isnull=False, requester_external__isnull=True)
                | Q(requester_practitioner__isnull=True, requester_external__isnull=False),
                name="referral_one_requester",
            ),
            models.CheckConstraint(
                condition=(
                    Q(recipient_external__isnull=False, recipient_practitioner__isnull=True)
                    & Q(recipient_discipline="")
                )
                | (
                    Q(recipient_external__isnull=True)
                    & (Q(recipient_practitioner__isnull=False) | ~Q(recipient_discipline=""))
                ),
                name="referral_one_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "recipient_discipline"], name="referral_inbox_idx"
            ),
            models.Index(fields=["recipient_practitioner", "status"], name="referral_recipient_idx"),
            models.Index(fields=["requester_practitioner", "status"], name="referral_requester_idx"),
            models.Index(fields=["patient", "status"], name="referral_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_external_out(self) -> bool:
        return self.kind == ReferralKind.EXTERNAL_OUT

    @property
    def requester_name(self) -> str:
        if self.requester_practitioner_id:
            return self.requester_practitioner.display_name  # type: ignore[union-attr]
        return self.requester_external.display_name if self.requester_external else ""

    @property
    def recipient_name(self) -> str:
        if self.recipient_practitioner_id:
            return self.recipient_practitioner.display_name  # type: ignore[union-attr]
        if self.recipient_external_id:
            return self.recipient_external.display_name  # type: ignore[union-attr]
        return f"{self.get_recipient_discipline_display()} (any clinician)"

    @property
    def receiving_discipline(self) -> str:
        """The discipline that does the work in the clinic, for reports (the sender's for external-out)."""
        if self.recipient_practitioner_id:
            return self.recipient_practitioner.discipline  # type: ignore[union-attr]
        if self.recipient_discipline:
            return self.recipient_discipline
        return self.requester_practitioner.discipline if self.requester_practitioner_id else ""  # type: ignore[union-attr]

    def overdue_since(self, now: datetime.datetime) -> datetime.datetime | None:
        """When the referral became overdue, if it is: sent and unanswered, or accepted and not scheduled."""
        if self.status == ReferralStatus.REQUESTED and self.response_due_at and self.response_due_at < now:
            return self.response_due_at
        if self.status == ReferralStatus.ACCEPTED and self.scheduling_due_at and self.scheduling_due_at < now:
            return self.scheduling_due_at
        return None

    def is_overdue(self, now: datetime.datetime) -> bool:
        return self.overdue_since(now) is not None


class ReferralEvent(models.Model):
    """One step of a referral's workflow: who moved it from which status to which, when, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["referral", "at"], name="referralevent_time_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} at {self.at:%Y-%m-%d %H:%M}"


class ReferralLetter(models.Model):
    """The report back to the referrer, rendered once to PDF and kept, so it can be downloaded again."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="letter")
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"Letter for referral {self.referral_id}"

    @property
    def filename(self) -> str:
        return f"referral-{self.referral_id}-letter.pdf"
