from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    """FHIR R4 audit-event-action."""

    CREATE = "C", "Create"
    READ = "R", "Read"
    UPDATE = "U", "Update"
    DELETE = "D", "Delete"
    EXECUTE = "E", "Execute"


class AuditOutcome(models.TextChoices):
    """FHIR R4 audit-event-outcome."""

    SUCCESS = "0", "Success"
    MINOR_FAILURE = "4", "Minor failure"
    SERIOUS_FAILURE = "8", "Serious failure"
    MAJOR_FAILURE = "12", "Major failure"


class AuditEvent(models.Model):
    """One append-only, hash-chained entry of the audit trail.

    Patients and actors are kept as plain ids plus a label, not foreign keys, so nothing that happens to
    those rows can ever cascade into the trail. The database refuses UPDATE and DELETE (see the migration).
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    recorded_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=1, choices=AuditAction.choices)
    outcome = models.CharField(max_length=2, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    patient_id = models.BigIntegerField(null=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60, blank=True)
    client_address = models.CharField(max_length=45, blank=True)
    channel = models.CharField(max_length=10, blank=True, help_text="ui, api, fhir or cli")
    detail = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["patient_id", "-sequence"], name="audit_patient_idx"),
            models.Index(fields=["actor_id", "-sequence"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The single row that holds the chain's last sequence and hash.

    Writers lock it for the length of their transaction, so entries chain in commit order; and it lets
    `audit verify` notice rows deleted from the end of the trail.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.sequence}"
