"""Every change to a patient's record. Each service validates, writes, and audits in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from tandem.accounts.models import Practitioner, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.core.vocabularies import AXIAL_CODES, LIMB_CODES
from tandem.patients import icd10
from tandem.patients.models import (
    AllergyIntolerance,
    BreakGlassAccess,
    CareTeamMember,
    CareTeamRole,
    Condition,
    MedicationStatement,
    Patient,
)

BREAK_GLASS_HOURS = 4
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)

M = TypeVar("M", bound=models.Model)

PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address_line",
    "city",
    "state",
    "postal_code",
    "preferred_language",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "active",
)
CONDITION_FIELDS = (
    "code",
    "text",
    "body_site",
    "laterality",
    "category",
    "clinical_status",
    "verification_status",
    "onset_on",
    "evidence",
    "note",
)
MEDICATION_FIELDS = ("medication", "dosage", "status", "started_on", "note")
ALLERGY_FIELDS = ("substance", "category", "criticality", "clinical_status", "reaction")


def _apply(instance: M, data: Mapping[str, Any], allowed: tuple[str, ...]) -> list[str]:
    """Copy the allowed fields of `data` onto `instance`; answer the names of those that changed."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    changed = []
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _save(instance: M, *, actor: User, action: str, patient_id: int, changed: list[str]) -> M:
    instance.full_clean(exclude=["patient", "organization", "recorded_by", "added_by"])
    instance.save()
    audit_record(
        actor=actor,
        action=action,
        object_type=type(instance).__name__,
        object_id=instance.pk,
        patient_id=patient_id,
        detail=("changed: " + ", ".join(changed)) if changed else "",
    )
    return instance


def _check_birth_date(birth_date: object) -> None:
    if not isinstance(birth_date, datetime.date):
        return  # full_clean reports a missing or malformed date
    today = timezone.localdate()
    if birth_date > today:
        raise ValidationError({"birth_date": "The birth date is in the future."})
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            {"birth_date": f"The birth date is before {EARLIEST_BIRTH_DATE:%Y}; check the year."}
        )


@transaction.atomic
def patient_create(*, actor: User, data: Mapping[str, Any], mrn: str = "") -> Patient:
    """Register a patient in the actor's clinic. A clinician who registers a patient leads the care team."""
    patient = Patient(organization_id=actor.organization_id, mrn=mrn.strip() or "pending")
    changed = _apply(patient, data, PATIENT_FIELDS)
    _check_birth_date(patient.birth_date)
    patient.full_clean(exclude=["organization", "mrn"])
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        raise ValidationError({"mrn": f"MRN {mrn} is already in use."}) from None
    if not mrn.strip():
        patient.mrn = f"T{patient.pk:07d}"
        patient.save(update_fields=["mrn"])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="Patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail="fields: " + ", ".join(changed),
    )
    if actor.is_clinician:
        care_team_add(actor=actor, patient=patient, practitioner=actor.practitioner, role=CareTeamRole.LEAD)
    return patient


@transaction.atomic
def patient_update(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> Patient:
    changed = _apply(patient, data, PATIENT_FIELDS)
    _check_birth_date(patient.birth_date)
    return _save(patient, actor=actor, action=AuditAction.UPDATE, patient_id=patient.pk, changed=changed)


def _clean_condition(condition: Condition) -> None:
    errors: dict[str, str] = {}
    try:
        found = icd10.lookup(condition.code or "")
        condition.code = found.code
        if not condition.text:
            condition.text = found.description
    except icd10.UnknownCode as exc:
        errors["code"] = str(exc)
    if condition.body_site in LIMB_CODES and not condition.laterality:
        errors["laterality"] = "Say which side: left, right or bilateral."
    if condition.body_site in AXIAL_CODES and condition.laterality:
        errors["laterality"] = "The spine, head and trunk take no side; leave laterality empty."
    if not condition.body_site and condition.laterality:
        errors["body_site"] = "Choose the body site the side refers to."
    if condition.onset_on and condition.onset_on > timezone.localdate():
        errors["onset_on"] = "The onset date is in the future."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def condition_create(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> Condition:
    """Add a problem to the patient's list; the code must be a billable code of the full ICD-10-CM set."""
    condition = Condition(patient=patient, recorded_by=actor)
    changed = _apply(condition, data, CONDITION_FIELDS)
    _clean_condition(condition)
    return _save(condition, actor=actor, action=AuditAction.CREATE, patient_id=patient.pk, changed=changed)


@transaction.atomic
def condition_update(*, actor: User, condition: Condition, data: Mapping[str, Any]) -> Condition:
    changed = _apply(condition, data, CONDITION_FIELDS)
    _clean_condition(condition)
    return _save(
        condition, actor=actor, action=AuditAction.UPDATE, patient_id=condition.patient_id, changed=changed
    )


def _check_start(started_on: object) -> None:
    if isinstance(started_on, datetime.date) and started_on > timezone.localdate():
        raise ValidationError({"started_on": "The start date is in the future."})


@transaction.atomic
def medication_create(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> MedicationStatement:
    """Record a medication; its risk flags follow from the drug-class table."""
    medication = MedicationStatement(patient=patient, recorded_by=actor)
    changed = _apply(medication, data, MEDICATION_FIELDS)
    _check_start(medication.started_on)
    return _save(medication, actor=actor, action=AuditAction.CREATE, patient_id=patient.pk, changed=changed)


@transaction.atomic
def medication_update(
    *, actor: User, medication: MedicationStatement, data: Mapping[str, Any]
) -> MedicationStatement:
    changed = _apply(medication, data, MEDICATION_FIELDS)
    _check_start(medication.started_on)
    return _save(
        medication, actor=actor, action=AuditAction.UPDATE, patient_id=medication.patient_id, changed=changed
    )


@transaction.atomic
def allergy_create(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> AllergyIntolerance:
    allergy = AllergyIntolerance(patient=patient, recorded_by=actor)
    changed = _apply(allergy, data, ALLERGY_FIELDS)
    return _save(allergy, actor=actor, action=AuditAction.CREATE, patient_id=patient.pk, changed=changed)


@transaction.atomic
def allergy_update(
    *, actor: User, allergy: AllergyIntolerance, data: Mapping[str, Any]
) -> AllergyIntolerance:
    changed = _apply(allergy, data, ALLERGY_FIELDS)
    return _save(
        allergy, actor=actor, action=AuditAction.UPDATE, patient_id=allergy.patient_id, changed=changed
    )


@transaction.atomic
def care_team_add(
    *,
    actor: User,
    patient: Patient,
    practitioner: Practitioner,
    role: str = CareTeamRole.MEMBER,
    started_on: datetime.date | None = None,
) -> CareTeamMember:
    """Put a practitioner of the patient's clinic on the care team. One open membership each; one lead."""
    errors: dict[str, str] = {}
    if practitioner.user.organization_id != patient.organization_id or not practitioner.user.is_active:
        errors["practitioner"] = "Choose an active practitioner of this clinic."
    if role not in CareTeamRole.values:
        errors["role"] = f"Role must be one of: {', '.join(CareTeamRole.values)}."
    open_members = CareTeamMember.objects.filter(patient=patient, ended_on__isnull=True)
    if open_members.filter(practitioner=practitioner).exists():
        errors["practitioner"] = f"{practitioner} is already on this care team."
    if role == CareTeamRole.LEAD and open_members.filter(role=CareTeamRole.LEAD).exists():
        errors["role"] = "This care team already has a lead; end that membership first."
    if errors:
        raise ValidationError(errors)
    member = CareTeamMember(
        patient=patient,
        practitioner=practitioner,
        role=role,
        started_on=started_on or timezone.localdate(),
        added_by=actor,
    )
    return _save(
        member,
        actor=actor,
        action=AuditAction.CREATE,
        patient_id=patient.pk,
        changed=[f"practitioner={practitioner.pk}", f"role={role}"],
    )


@transaction.atomic
def care_team_end(
    *, actor: User, member: CareTeamMember, ended_on: datetime.date | None = None
) -> CareTeamMember:
    """Close a membership; the practitioner loses access to the patient on the end date."""
    if member.ended_on is not None:
        raise ValidationError({"ended_on": "This membership has already ended."})
    ended_on = ended_on or timezone.localdate()
    if ended_on < member.started_on:
        raise ValidationError({"ended_on": "The end date is before the start date."})
    member.ended_on = ended_on
    return _save(
        member, actor=actor, action=AuditAction.UPDATE, patient_id=member.patient_id, changed=["ended_on"]
    )


@transaction.atomic
def break_glass_open(*, actor: User, patient: Patient, reason: str) -> BreakGlassAccess:
    """Emergency access for a clinician outside the care team: reason required, audited, four hours long."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "State the reason for emergency access (at least 10 characters)."})
    now = timezone.now()
    grant = BreakGlassAccess.objects.create(
        patient=patient,
        user=actor,
        reason=reason,
        started_at=now,
        expires_at=now + datetime.timedelta(hours=BREAK_GLASS_HOURS),
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXECUTE,
        object_type="BreakGlassAccess",
        object_id=grant.pk,
        patient_id=patient.pk,
        detail=f"break-the-glass: {reason}",
    )
    return grant
