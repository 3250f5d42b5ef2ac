"""Visits (DESIGN.md §1 step 5): the encounter of each appointment, one SOAP note per discipline, addenda.

Names and status codes follow FHIR R4: Encounter (encounter-status), Composition (composition-status:
preliminary = draft, final = signed). Invariant 2, "a signed note never changes", is enforced by the services
and, below them, by the database: migration 0002 installs triggers (PostgreSQL and SQLite) that refuse any
UPDATE of a signed note except its co-signature (once) and any DELETE of it; the same for signed addenda.

Signatures live on the rows they sign (author: signed_at/signed_by/digest; supervisor: cosigned_at/by) rather
than in a Signature table: the row then carries its own attestation, the database trigger can name exactly the
two columns a co-signature may fill, and the co-sign queue is one indexed query.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from tandem.accounts.models import Discipline, Organization, Practitioner, User
from tandem.careplans.models import Activity
from tandem.core.models import TimeStampedModel
from tandem.patients.models import Patient
from tandem.scheduling.models import Appointment


class EncounterStatus(models.TextChoices):
    """FHIR R4 encounter-status (the subset a clinic uses)."""

    ARRIVED = "arrived", "Arrived"
    IN_PROGRESS = "in-progress", "In progress"
    FINISHED = "finished", "Finished"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


# Encounters whose visit took place, so their notes may be written and signed.
DOCUMENTABLE_ENCOUNTER_STATUSES: tuple[str, ...] = (
    EncounterStatus.ARRIVED,
    EncounterStatus.IN_PROGRESS,
    EncounterStatus.FINISHED,
)


class Encounter(TimeStampedModel):
    """FHIR Encounter: the visit of one appointment, linked to the plan activity it carries out."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="encounter")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="encounters")
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="encounters", null=True, blank=True
    )
    status = models.CharField(
        max_length=20, choices=EncounterStatus.choices, default=EncounterStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField(help_text="Encounter.period.start")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Encounter.period.end")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # A visit that did not go ahead (cancelled) or was opened on the wrong appointment (entered in error):
    # why, when and by whom (services.encounter_cancel).
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["patient", "started_at"], name="encounter_patient_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="encounter_period_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="finished") | Q(ended_at__isnull=False), name="encounter_finished_has_end"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["cancelled", "entered-in-error"])
                | (~Q(cancel_reason="") & Q(cancelled_at__isnull=False, cancelled_by__isnull=False)),
                name="encounter_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        status = self.get_status_display()
        return f"{self.get_discipline_display()} visit {self.started_at:%Y-%m-%d} ({status})"


class NoteStatus(models.TextChoices):
    """FHIR R4 composition-status: a draft is preliminary, a signed note final. A note with signed addenda
    is shown as "amended" (FHIR) without changing the signed row. The draft of a visit that did not go ahead
    is entered-in-error: kept, never signed, never changed again."""

    PRELIMINARY = "preliminary", "Draft"
    FINAL = "final", "Signed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Note(TimeStampedModel):
    """FHIR Composition: one discipline's SOAP note of an encounter.

    `data` holds the discipline's fields as its template defines them (note_templates.yaml, checked by
    note_fields.py); `body_marks` the body map: [{site, kind, view, note?}]. Once signed, `digest` is the
    SHA-256 of the canonical JSON of `signed_content()`.
    """

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="notes")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="notes")
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    template_code = models.CharField(max_length=40)
    template_version = models.CharField(max_length=20)
    data = models.JSONField(default=dict, blank=True)
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    body_marks = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=NoteStatus.choices, default=NoteStatus.PRELIMINARY)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    late_entry = models.BooleanField(
        default=False, help_text="Signed more than LATE_ENTRY_AFTER after the visit ended."
    )
    needs_cosign = models.BooleanField(default=False)
    cosigner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The supervising clinician asked to co-sign, fixed when the note was signed.",
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "discipline", "signed_at"], name="note_patient_discipline"),
            models.Index(fields=["cosigner", "needs_cosign", "cosigned_at"], name="note_cosign_queue"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "discipline"], name="note_one_per_discipline"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["preliminary", "entered-in-error"],
                    signed_at__isnull=True,
                    signed_by__isnull=True,
                    digest="",
                )
                | (Q(status="final", signed_at__isnull=False, signed_by__isnull=False) & ~Q(digest="")),
                name="note_signature_complete",
            ),
            models.CheckConstraint(
                condition=Q(needs_cosign=False) | Q(status="final", cosigner__isnull=False),
                name="note_cosign_has_cosigner",
            ),
            models.CheckConstraint(
                condition=Q(cosigned_at__isnull=True, cosigned_by__isnull=True)
                | Q(cosigned_at__isnull=False, cosigned_by__isnull=False, needs_cosign=True),
                name="note_cosignature_complete",
            ),
        ]

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def awaits_cosign(self) -> bool:
        return self.needs_cosign and self.cosigned_at is None

    def signed_content(self) -> dict[str, Any]:
        """What the author's signature seals (the co-signature attests the same content)."""
        return {
            "resource": "charting.Note",
            "id": self.pk,
            "encounter": self.encounter_id,
            "patient": self.patient_id,
            "discipline": self.discipline,
            "author": self.author_id,
            "template": {"code": self.template_code, "version": self.template_version},
            "data": self.data,
            "subjective": self.subjective,
            "objective": self.objective,
            "assessment": self.assessment,
            "plan": self.plan,
            "body_marks": self.body_marks,
            "signed_by": self.signed_by_id,
            "signed_at": self.signed_at,
            "late_entry": self.late_entry,
            "needs_cosign": self.needs_cosign,
            "cosigner": self.cosigner_id,
        }

    def __str__(self) -> str:
        return f"{self.get_discipline_display()} note {self.pk} ({self.get_status_display()})"


class Addendum(TimeStampedModel):
    """A correction or late addition to a signed note; signed in turn, and then it never changes either."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True, digest="")
                | (Q(signed_at__isnull=False, signed_by__isnull=False) & ~Q(digest="")),
                name="addendum_signature_complete",
            ),
        ]

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def signed_content(self, note_digest: str) -> dict[str, Any]:
        """What the addendum's signature seals, chained to the signed note it amends."""
        return {
            "resource": "charting.Addendum",
            "id": self.pk,
            "note": self.note_id,
            "note_digest": note_digest,
            "author": self.author_id,
            "text": self.text,
            "signed_by": self.signed_by_id,
            "signed_at": self.signed_at,
        }

    def __str__(self) -> str:
        return f"Addendum {self.pk} to note {self.note_id}"
