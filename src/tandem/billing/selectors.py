"""Reads of charges: a visit's, a patient's over a period, a clinic's for a claim file."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from tandem.accounts.models import Organization
from tandem.billing.models import Charge, ChargeStatus
from tandem.charting.models import Encounter
from tandem.patients.models import Patient

# Charged: billed or to bill (not voided, nor the 0-unit lines kept for the record).
CHARGED_STATUSES = (ChargeStatus.BILLABLE, ChargeStatus.BILLED)


def _with_related(charges: QuerySet[Charge]) -> QuerySet[Charge]:
    return charges.select_related(
        "patient",
        "encounter__practitioner__user",
        "note__cosigner__user",
        "note__encounter",
    )


def charge_list_for_encounter(encounter: Encounter, *, include_void: bool = False) -> QuerySet[Charge]:
    """The encounter's charges, voided ones only when asked."""
    charges = Charge.objects.filter(encounter=encounter)
    if not include_void:
        charges = charges.exclude(status=ChargeStatus.ENTERED_IN_ERROR)
    return _with_related(charges).order_by("service_on", "encounter_id", "pk")


def charge_list_for_patient(
    patient: Patient, first_day: datetime.date, last_day: datetime.date, *, include_void: bool = False
) -> QuerySet[Charge]:
    """The patient's charges with a date of service from `first_day` to `last_day` (inclusive)."""
    charges = Charge.objects.filter(patient=patient, service_on__gte=first_day, service_on__lte=last_day)
    if not include_void:
        charges = charges.exclude(status=ChargeStatus.ENTERED_IN_ERROR)
    return _with_related(charges).order_by("service_on", "encounter_id", "pk")


def charge_list_for_claims(
    organization: Organization,
    first_day: datetime.date,
    last_day: datetime.date,
    *,
    patient_id: int | None = None,
) -> QuerySet[Charge]:
    """The clinic's billable charges (not billed yet) from `first_day` to `last_day`, for a claim file; one
    patient's only when `patient_id` is given (the claim of one visit)."""
    charges = Charge.objects.filter(
        organization=organization,
        status=ChargeStatus.BILLABLE,
        service_on__gte=first_day,
        service_on__lte=last_day,
    )
    if patient_id is not None:
        charges = charges.filter(patient_id=patient_id)
    return _with_related(charges).order_by("patient_id", "service_on", "encounter_id", "pk")
