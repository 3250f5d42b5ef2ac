"""Reads of safety data. The caller has checked access to the patient; every read is audited here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.patients.models import Patient
from tandem.safety.models import IntakeScreening, SafetyOverride
from tandem.safety.services import latest_screening, overrides_for_patient


def screening_list_for_patient(*, user: User, patient: Patient) -> QuerySet[IntakeScreening]:
    """A patient's intake screenings, newest first."""
    audit_read(actor=user, object_type="IntakeScreening", object_id="*", patient_id=patient.pk)
    return (
        IntakeScreening.objects.filter(patient=patient)
        .select_related("screened_by__practitioner")
        .order_by("-screened_at", "-pk")
    )


def override_list_for_patient(*, user: User, patient: Patient) -> list[SafetyOverride]:
    """The precaution overrides on record for a patient, newest first."""
    audit_read(actor=user, object_type="SafetyOverride", object_id="*", patient_id=patient.pk)
    return list(overrides_for_patient(patient))


@dataclass
class SafetyPanel:
    screening: IntakeScreening | None
    overrides: list[SafetyOverride] = field(default_factory=list)


def safety_panel_for_chart(*, user: User, patient: Patient) -> SafetyPanel:
    """The chart's safety panel: the latest screening and the overrides on record."""
    screening = latest_screening(patient)
    audit_read(
        actor=user,
        object_type="IntakeScreening",
        object_id=screening.pk if screening else "*",
        patient_id=patient.pk,
        detail="chart safety panel",
    )
    return SafetyPanel(screening, list(overrides_for_patient(patient)[:20]))
