"""Patients, their conditions, medications, allergies and care team, under /api/v1/."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from tandem.accounts.models import Practitioner
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_read, audit_record
from tandem.core.http import request_user as _user
from tandem.patients import icd10, services
from tandem.patients.access import (
    Purpose,
    access_allergy,
    access_care_team_member,
    access_condition,
    access_medication,
    access_patient,
    access_patient_for_break_glass,
    can_edit_demographics,
    can_manage_care_team,
)
from tandem.patients.models import AllergyIntolerance, Condition, MedicationStatement, Patient
from tandem.patients.schemas import (
    AllergyIn,
    AllergyOut,
    AllergyPatch,
    BreakGlassIn,
    BreakGlassOut,
    CareTeamEnd,
    CareTeamIn,
    CareTeamOut,
    ConditionIn,
    ConditionOut,
    ConditionPatch,
    Icd10Out,
    MedicationIn,
    MedicationOut,
    MedicationPatch,
    PatientIn,
    PatientOut,
    PatientPatch,
)
from tandem.patients.selectors import care_team_for_patient, patient_list_for_user
from tandem.patients.services import PATIENT_FIELDS

router = Router(tags=["patients"])


def _changes(payload: Schema) -> dict[str, Any]:
    return payload.dict(exclude_unset=True)


@router.get("/patients/", response=list[PatientOut])
@paginate(LimitOffsetPagination)
def patient_list(request: HttpRequest, q: str = "") -> Any:
    """Patients the caller may see; `q` searches names, MRN, birth date (YYYY-MM-DD) and phone."""
    audit_record(
        actor=_user(request), action=AuditAction.EXECUTE, object_type="Patient", detail=f"search: {q}"[:200]
    )
    return patient_list_for_user(_user(request), q)


@router.post("/patients/", response={201: PatientOut})
def patient_create(request: HttpRequest, payload: PatientIn) -> Status[Patient]:
    if _user(request).role not in ("front-desk", "clinic-admin") and not _user(request).is_clinician:
        raise Http404
    data = payload.dict()
    mrn = data.pop("mrn", "")
    return Status(201, services.patient_create(actor=_user(request), data=data, mrn=mrn))


@router.get("/patients/{patient_id}", response=PatientOut)
def patient_read(request: HttpRequest, patient_id: int) -> Patient:
    patient = access_patient(_user(request), patient_id, Purpose.DEMOGRAPHICS)
    audit_read(actor=_user(request), object_type="Patient", object_id=patient.pk, patient_id=patient.pk)
    return patient


@router.patch("/patients/{patient_id}", response=PatientOut)
def patient_update(request: HttpRequest, patient_id: int, payload: PatientPatch) -> Patient:
    patient = access_patient(_user(request), patient_id, Purpose.DEMOGRAPHICS)
    if not can_edit_demographics(_user(request), patient):
        raise Http404
    data = {k: ("" if v is None and k != "birth_date" else v) for k, v in _changes(payload).items()}
    if data.get("birth_date", "") is None:
        raise ValidationError({"birth_date": "The birth date cannot be removed."})
    return services.patient_update(actor=_user(request), patient=patient, data=data)


# Conditions ---------------------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/conditions", response=list[ConditionOut])
def condition_list(request: HttpRequest, patient_id: int) -> list[Condition]:
    patient = access_patient(_user(request), patient_id)
    audit_read(actor=_user(request), object_type="Condition", object_id="*", patient_id=patient.pk)
    return list(patient.conditions.order_by("code"))


@router.post("/patients/{patient_id}/conditions", response={201: ConditionOut})
def condition_create(request: HttpRequest, patient_id: int, payload: ConditionIn) -> Status[Condition]:
    patient = access_patient(_user(request), patient_id)
    return Status(201, services.condition_create(actor=_user(request), patient=patient, data=payload.dict()))


@router.get("/conditions/{condition_id}", response=ConditionOut)
def condition_read(request: HttpRequest, condition_id: int) -> Condition:
    condition = access_condition(_user(request), condition_id)
    audit_read(
        actor=_user(request), object_type="Condition", object_id=condition.pk, patient_id=condition.patient_id
    )
    return condition


@router.patch("/conditions/{condition_id}", response=ConditionOut)
def condition_update(request: HttpRequest, condition_id: int, payload: ConditionPatch) -> Condition:
    condition = access_condition(_user(request), condition_id)
    return services.condition_update(actor=_user(request), condition=condition, data=_changes(payload))


# Medications --------------------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/medications", response=list[MedicationOut])
def medication_list(request: HttpRequest, patient_id: int) -> list[MedicationStatement]:
    patient = access_patient(_user(request), patient_id)
    audit_read(actor=_user(request), object_type="MedicationStatement", object_id="*", patient_id=patient.pk)
    return list(patient.medications.order_by("medication"))


@router.post("/patients/{patient_id}/medications", response={201: MedicationOut})
def medication_create(
    request: HttpRequest, patient_id: int, payload: MedicationIn
) -> Status[MedicationStatement]:
    patient = access_patient(_user(request), patient_id)
    return Status(201, services.medication_create(actor=_user(request), patient=patient, data=payload.dict()))


@router.get("/medications/{medication_id}", response=MedicationOut)
def medication_read(request: HttpRequest, medication_id: int) -> MedicationStatement:
    medication = access_medication(_user(request), medication_id)
    audit_read(
        actor=_user(request),
        object_type="MedicationStatement",
        object_id=medication.pk,
        patient_id=medication.patient_id,
    )
    return medication


@router.patch("/medications/{medication_id}", response=MedicationOut)
def medication_update(
    request: HttpRequest, medication_id: int, payload: MedicationPatch
) -> MedicationStatement:
    medication = access_medication(_user(request), medication_id)
    return services.medication_update(actor=_user(request), medication=medication, data=_changes(payload))


# Allergies ----------------------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/allergies", response=list[AllergyOut])
def allergy_list(request: HttpRequest, patient_id: int) -> list[AllergyIntolerance]:
    patient = access_patient(_user(request), patient_id)
    audit_read(actor=_user(request), object_type="AllergyIntolerance", object_id="*", patient_id=patient.pk)
    return list(patient.allergies.order_by("substance"))


@router.post("/patients/{patient_id}/allergies", response={201: AllergyOut})
def allergy_create(request: HttpRequest, patient_id: int, payload: AllergyIn) -> Status[AllergyIntolerance]:
    patient = access_patient(_user(request), patient_id)
    return Status(201, services.allergy_create(actor=_user(request), patient=patient, data=payload.dict()))


@router.get("/allergies/{allergy_id}", response=AllergyOut)
def allergy_read(request: HttpRequest, allergy_id: int) -> AllergyIntolerance:
    allergy = access_allergy(_user(request), allergy_id)
    audit_read(
        actor=_user(request),
        object_type="AllergyIntolerance",
        object_id=allergy.pk,
        patient_id=allergy.patient_id,
    )
    return allergy


@router.patch("/allergies/{allergy_id}", response=AllergyOut)
def allergy_update(request: HttpRequest, allergy_id: int, payload: AllergyPatch) -> AllergyIntolerance:
    allergy = access_allergy(_user(request), allergy_id)
    return services.allergy_update(actor=_user(request), allergy=allergy, data=_changes(payload))


# Care team ----------------------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/care-team", response=list[CareTeamOut])
def care_team_list(request: HttpRequest, patient_id: int) -> Any:
    patient = access_patient(_user(request), patient_id, Purpose.DEMOGRAPHICS)
    audit_read(actor=_user(request), object_type="CareTeamMember", object_id="*", patient_id=patient.pk)
    return list(care_team_for_patient(patient))


@router.post("/patients/{patient_id}/care-team", response={201: CareTeamOut})
def care_team_add(request: HttpRequest, patient_id: int, payload: CareTeamIn) -> Any:
    patient = access_patient(_user(request), patient_id, Purpose.DEMOGRAPHICS)
    if not can_manage_care_team(_user(request), patient):
        raise Http404
    practitioner = (
        Practitioner.objects.filter(pk=payload.practitioner, user__organization_id=patient.organization_id)
        .select_related("user")
        .first()
    )
    if practitioner is None:
        raise ValidationError({"practitioner": "No practitioner of this clinic has that id."})
    member = services.care_team_add(
        actor=_user(request),
        patient=patient,
        practitioner=practitioner,
        role=payload.role,
        started_on=payload.started_on,
    )
    return Status(201, member)


@router.post("/care-team/{member_id}/end", response=CareTeamOut)
def care_team_end(request: HttpRequest, member_id: int, payload: CareTeamEnd) -> Any:
    member = access_care_team_member(_user(request), member_id)
    if not can_manage_care_team(_user(request), member.patient):
        raise Http404
    return services.care_team_end(actor=_user(request), member=member, ended_on=payload.ended_on)


@router.post("/patients/{patient_id}/break-glass", response={201: BreakGlassOut})
def break_glass(request: HttpRequest, patient_id: int, payload: BreakGlassIn) -> Any:
    patient = access_patient_for_break_glass(_user(request), patient_id)
    return Status(
        201, services.break_glass_open(actor=_user(request), patient=patient, reason=payload.reason)
    )


@router.get("/icd10", response=list[Icd10Out], tags=["terminology"])
def icd10_search(request: HttpRequest, q: str = "") -> list[icd10.Icd10Code]:
    """Search billable ICD-10-CM codes by code prefix or words of the description."""
    return icd10.search(q, limit=25)


__all__ = ["router", "PATIENT_FIELDS"]
