"""Safety under /api/v1/: the check, the rule set, intake screenings and overrides."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from tandem.audit.services import audit_read
from tandem.core.http import request_user as _user
from tandem.patients.access import access_patient
from tandem.safety import services
from tandem.safety.access import access_screening
from tandem.safety.engine import PlannedActivity, UnknownCodes, load_rules
from tandem.safety.models import IntakeScreening, SafetyOverride
from tandem.safety.schemas import CheckIn, CheckOut, OverrideOut, RulesOut, ScreeningIn, ScreeningOut
from tandem.safety.selectors import override_list_for_patient, screening_list_for_patient
from tandem.safety.vocabulary import PATIENT_FACTORS, RED_FLAGS

router = Router(tags=["safety"])


@router.post("/safety/check", response=CheckOut)
def safety_check(request: HttpRequest, payload: CheckIn) -> dict[str, Any]:
    """Findings for planned activities, from the patient's stored conditions, medications and screening."""
    patient = access_patient(_user(request), payload.patient)
    activities = [
        PlannedActivity(a.technique, tuple(a.body_sites), a.pressure or "") for a in payload.activities
    ]
    try:
        findings = services.safety_check(patient=patient, activities=activities)
    except UnknownCodes as exc:
        raise ValidationError({field: message for field, message in exc.errors}) from None
    audit_read(
        actor=_user(request),
        object_type="SafetyCheck",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail=", ".join(
            f"{a.technique}@{'+'.join(a.body_sites) or '*'}" + (f"/{a.pressure}" if a.pressure else "")
            for a in activities
        )[:500],
    )
    return {"findings": [finding.as_dict() for finding in findings]}


@router.get("/safety/rules", response=RulesOut)
def safety_rules(request: HttpRequest) -> dict[str, Any]:
    """The rule set in force, with sources, and the patient-factor and red-flag vocabularies."""
    rules = load_rules().as_dict()
    rules["patient_factors"] = [{"code": f.code, "label": f.label, "sited": f.sited} for f in PATIENT_FACTORS]
    rules["red_flags"] = [{"code": r.code, "label": r.label, "suspect": r.suspect} for r in RED_FLAGS]
    return rules


@router.get("/patients/{patient_id}/screenings", response=list[ScreeningOut])
def screening_list(request: HttpRequest, patient_id: int) -> list[IntakeScreening]:
    patient = access_patient(_user(request), patient_id)
    return list(screening_list_for_patient(user=_user(request), patient=patient))


@router.post("/patients/{patient_id}/screenings", response={201: ScreeningOut})
def screening_create(request: HttpRequest, patient_id: int, payload: ScreeningIn) -> Status[IntakeScreening]:
    patient = access_patient(_user(request), patient_id)
    screening = services.screening_record(actor=_user(request), patient=patient, data=payload.dict())
    return Status(201, screening)


@router.get("/screenings/{screening_id}", response=ScreeningOut)
def screening_read(request: HttpRequest, screening_id: int) -> IntakeScreening:
    screening = access_screening(_user(request), screening_id)
    audit_read(
        actor=_user(request),
        object_type="IntakeScreening",
        object_id=screening.pk,
        patient_id=screening.patient_id,
    )
    return screening


@router.get("/patients/{patient_id}/safety-overrides", response=list[OverrideOut])
def override_list(request: HttpRequest, patient_id: int) -> list[SafetyOverride]:
    patient = access_patient(_user(request), patient_id)
    return override_list_for_patient(user=_user(request), patient=patient)
