"""Access functions: every protected patient object is fetched through one of these (DESIGN.md §2).

Each answers the object or raises Http404, never a 403 that would confirm the patient exists. A refusal is
written to the audit trail as a failed read.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from django.db.models import Model
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import Role, User
from tandem.audit.models import AuditAction, AuditOutcome
from tandem.audit.services import audit_record
from tandem.patients.models import (
    AllergyIntolerance,
    BreakGlassAccess,
    CareTeamMember,
    Condition,
    MedicationStatement,
    Patient,
)


class Purpose(Enum):
    DEMOGRAPHICS = "demographics"  # name, birth date, contact: front desk and admins too
    CLINICAL = "clinical"  # conditions, medications, allergies, care team, notes: clinicians on the team


def on_care_team(user: User, patient: Patient) -> bool:
    if not user.is_clinician:
        return False
    today = timezone.localdate()
    return (
        CareTeamMember.objects.active_on(today)
        .filter(patient=patient, practitioner=user.practitioner)
        .exists()
    )


def has_break_glass(user: User, patient: Patient) -> bool:
    return BreakGlassAccess.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now()).exists()


def can_see_patient(user: User, patient: Patient, purpose: Purpose) -> bool:
    """The one rule for who sees a patient, and for what."""
    if not user.is_active or user.organization_id is None:
        return False
    if patient.organization_id != user.organization_id:
        return False
    if purpose is Purpose.DEMOGRAPHICS and user.role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        return True
    if on_care_team(user, patient):
        return True
    return user.is_clinician and has_break_glass(user, patient)


def refuse_access(
    user: User, object_type: str, object_id: object, patient_id: int | None, message: str = "No such patient."
) -> Http404:
    """Audit a refused read and return the 404 to raise: never a 403 that would confirm the object exists."""
    audit_record(
        actor=user,
        action=AuditAction.READ,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        outcome=AuditOutcome.MINOR_FAILURE,
        detail="access refused",
    )
    return Http404(message)


def access_patient(user: User, patient_id: object, purpose: Purpose = Purpose.CLINICAL) -> Patient:
    """The patient, if `user` may see it for `purpose`; otherwise Http404."""
    try:
        patient = Patient.objects.get(pk=int(str(patient_id)))
    except (Patient.DoesNotExist, ValueError):
        raise refuse_access(user, "Patient", patient_id, None) from None
    if not can_see_patient(user, patient, purpose):
        raise refuse_access(user, "Patient", patient.pk, patient.pk)
    return patient


def access_patient_for_break_glass(user: User, patient_id: object) -> Patient:
    """A patient of the user's own clinic that a clinician may open by breaking the glass."""
    try:
        patient = Patient.objects.get(pk=int(str(patient_id)))
    except (Patient.DoesNotExist, ValueError):
        raise refuse_access(user, "Patient", patient_id, None) from None
    if not user.is_clinician or patient.organization_id != user.organization_id:
        raise refuse_access(user, "Patient", patient.pk, patient.pk)
    return patient


M = TypeVar("M", bound=Model)


def _access_clinical(user: User, model: type[M], object_id: object, purpose: Purpose = Purpose.CLINICAL) -> M:
    try:
        obj = model.objects.select_related("patient").get(pk=int(str(object_id)))  # type: ignore[attr-defined]
    except (model.DoesNotExist, ValueError):  # type: ignore[attr-defined]
        raise refuse_access(user, model.__name__, object_id, None) from None
    if not can_see_patient(user, obj.patient, purpose):
        raise refuse_access(user, model.__name__, obj.pk, obj.patient_id)
    return obj


def access_condition(user: User, condition_id: object) -> Condition:
    return _access_clinical(user, Condition, condition_id)


def access_medication(user: User, medication_id: object) -> MedicationStatement:
    return _access_clinical(user, MedicationStatement, medication_id)


def access_allergy(user: User, allergy_id: object) -> AllergyIntolerance:
    return _access_clinical(user, AllergyIntolerance, allergy_id)


def access_care_team_member(user: User, member_id: object) -> CareTeamMember:
    """Who treats a patient is scheduling information, so the front desk sees the care team too."""
    return _access_clinical(user, CareTeamMember, member_id, Purpose.DEMOGRAPHICS)


def can_manage_care_team(user: User, patient: Patient) -> bool:
    """Front desk and admins assign care teams at intake; the lead or supervising clinician changes them."""
    if not can_see_patient(user, patient, Purpose.DEMOGRAPHICS):
        return False
    if user.role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        return True
    today = timezone.localdate()
    return (
        user.is_clinician
        and CareTeamMember.objects.active_on(today)
        .filter(patient=patient, practitioner=user.practitioner, role__in=["lead", "supervising"])
        .exists()
    )


def can_edit_demographics(user: User, patient: Patient) -> bool:
    return can_see_patient(user, patient, Purpose.DEMOGRAPHICS) and (
        user.role in (Role.FRONT_DESK, Role.CLINIC_ADMIN) or on_care_team(user, patient)
    )
