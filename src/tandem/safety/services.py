"""Safety services: facts about a patient, the safety check and gate, overrides and intake screenings.

Referrals and care plans call `safety_gate` inside their own transaction whenever a massage order or a plan
activity is created or its techniques or body sites change (DESIGN.md §6 invariant 5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.core.vocabularies import BODY_SITE_CODES, BODY_SITES, TECHNIQUES, label
from tandem.patients.access import Purpose, can_see_patient, on_care_team
from tandem.patients.models import (
    Condition,
    ConditionVerificationStatus,
    MedicationStatement,
    MedicationStatus,
    Patient,
)
from tandem.safety.engine import (
    ACTIVE_CLINICAL_STATUSES,
    ConditionFact,
    FactorFact,
    Finding,
    PatientFacts,
    PlannedActivity,
    check,
)
from tandem.safety.models import IntakeScreening, SafetyOverride
from tandem.safety.vocabulary import PATIENT_FACTOR_CODES, RED_FLAG_CODES

# Who may override a precaution: the supervising disciplines (DESIGN.md §1.3), on the patient's care team.
OVERRIDING_DISCIPLINES = frozenset({"chiropractic", "physical-therapy"})
_EXCLUDED_VERIFICATION = (ConditionVerificationStatus.REFUTED, ConditionVerificationStatus.ENTERED_IN_ERROR)


def _condition_sites(condition: Condition) -> tuple[str, ...]:
    sites = condition.body_site_codes
    return tuple(sites() if callable(sites) else sites)


def latest_screening(patient: Patient) -> IntakeScreening | None:
    return IntakeScreening.objects.filter(patient=patient).order_by("-screened_at", "-pk").first()


def patient_facts(patient: Patient) -> PatientFacts:
    """What the engine needs to know: active conditions, active medications' risk flags, the latest intake
    screening's factors and red flags, and age today."""
    conditions = tuple(
        ConditionFact(
            code=c.code,
            body_sites=_condition_sites(c),
            category=c.category,
            clinical_status=c.clinical_status,
        )
        for c in Condition.objects.filter(patient=patient, clinical_status__in=ACTIVE_CLINICAL_STATUSES)
        .exclude(verification_status__in=_EXCLUDED_VERIFICATION)
        .order_by("code", "pk")
    )
    flags = frozenset(
        flag
        for medication in MedicationStatement.objects.filter(patient=patient, status=MedicationStatus.ACTIVE)
        for flag in medication.risk_flags
    )
    screening = latest_screening(patient)
    factors: tuple[FactorFact, ...] = ()
    red_flags: frozenset[str] = frozenset()
    if screening is not None:
        factors = tuple(
            FactorFact(str(item.get("factor", "")), str(item.get("body_site", "") or ""))
            for item in screening.factors
            if isinstance(item, dict)
        )
        red_flags = frozenset(str(code) for code in screening.red_flags)
    return PatientFacts(
        conditions=conditions,
        medication_flags=flags,
        factors=factors,
        red_flags=red_flags,
        age=patient.age_on(timezone.localdate()),
    )


def safety_check(*, patient: Patient, activities: Sequence[PlannedActivity]) -> list[Finding]:
    """Findings for the activities, from the patient's stored record; engine.UnknownCodes for bad codes."""
    return check(patient_facts(patient), list(activities))


def can_override(user: User, patient: Patient) -> bool:
    """A DC or PT clinician on the patient's active care team (break-the-glass access is not enough)."""
    if not user.is_active or not user.is_clinician:
        return False
    if user.practitioner.discipline not in OVERRIDING_DISCIPLINES:
        return False
    return can_see_patient(user, patient, Purpose.CLINICAL) and on_care_team(user, patient)


def overrides_for_patient(patient: Patient) -> QuerySet[SafetyOverride]:
    """The overrides on record for a patient, newest first (the caller checks access)."""
    return (
        SafetyOverride.objects.filter(patient=patient)
        .select_related("overridden_by__practitioner")
        .order_by("-overridden_at", "-pk")
    )


def _where(finding: Finding) -> str:
    technique = label_of_technique(finding.technique)
    site = label(BODY_SITES, finding.body_site) if finding.body_site else "any site"
    return f"{technique} ({site})"


def label_of_technique(code: str) -> str:
    for technique in TECHNIQUES:
        if technique.code == code:
            return technique.label
    return code


def _has_override(patient: Patient, finding: Finding, subject: str) -> bool:
    """An override counts only for the subject it was given for: one referral's or activity's override never
    silences the same precaution on another."""
    return SafetyOverride.objects.filter(
        patient=patient,
        rule=finding.rule,
        technique=finding.technique,
        body_site=finding.body_site,
        subject=subject[:100],
    ).exists()


@transaction.atomic
def safety_gate(
    *,
    actor: User,
    patient: Patient,
    activities: Sequence[PlannedActivity],
    override_reason: str = "",
    subject: str,
) -> list[Finding]:
    """Refuse what is unsafe, record overrides of precautions, and answer every finding (for display).

    `subject` names what is being saved ("careplan-activity:12", "referral:7"; required, not empty): an
    override on record counts only for the same patient, rule, technique, body site and subject. Each
    PlannedActivity carries its pressure ("" = not stated, so pressure-dependent rules apply).

    Raises ValidationError({"safety": [...]}) when any finding is contraindicated (never overridable), or when
    a precaution has no override on record for this subject and either no reason was given or the actor may
    not override.
    With a reason from an actor who may override, one SafetyOverride per such precaution is saved and audited.
    Unknown technique or body-site codes raise ValidationError({"safety": [...]}) too.
    """
    if not subject.strip():
        raise ValueError("safety_gate needs the subject being saved, e.g. 'referral:7'")
    try:
        findings = safety_check(patient=patient, activities=activities)
    except ValueError as exc:  # engine.UnknownCodes
        raise ValidationError({"safety": [str(exc)]}) from None
    blocked = [
        f"Contraindicated: {_where(f)} — {f.message}" for f in findings if f.severity == "contraindicated"
    ]
    if blocked:
        raise ValidationError({"safety": blocked})
    pending = [f for f in findings if f.severity == "precaution" and not _has_override(patient, f, subject)]
    if not pending:
        return findings
    reason = override_reason.strip()
    if not reason:
        raise ValidationError(
            {
                "safety": [
                    f"Precaution: {_where(f)} — {f.message} A DC or PT on the care team must give a "
                    "reason to proceed."
                    for f in pending
                ]
            }
        )
    if not can_override(actor, patient):
        raise ValidationError(
            {
                "safety": [
                    f"Precaution: {_where(f)} — only a chiropractor or physical therapist on the "
                    "patient's care team may override it."
                    for f in pending
                ]
            }
        )
    now = timezone.now()
    for finding in pending:
        override = SafetyOverride.objects.create(
            patient=patient,
            rule=finding.rule,
            technique=finding.technique,
            body_site=finding.body_site,
            severity=finding.severity,
            message=finding.message,
            source=finding.source[:300],
            reason=reason,
            subject=subject[:100],
            overridden_by=actor,
            overridden_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="SafetyOverride",
            object_id=override.pk,
            patient_id=patient.pk,
            detail=f"override {finding.rule} {finding.technique} {finding.body_site or '*'} for {subject}: "
            f"{reason}",
        )
    return findings


# Intake screening -----------------------------------------------------------------------------------------


def _clean_screening(data: Mapping[str, Any]) -> tuple[list[str], list[dict[str, str]], str]:
    errors: dict[str, list[str]] = {}
    unknown_keys = sorted(set(data) - {"red_flags", "factors", "notes"})
    if unknown_keys:
        errors.update({key: ["This field cannot be set here."] for key in unknown_keys})
    raw_flags = data.get("red_flags") or []
    if not isinstance(raw_flags, list | tuple):
        errors.setdefault("red_flags", []).append("Give a list of red-flag codes.")
        raw_flags = []
    flags: list[str] = []
    for code in raw_flags:
        if code not in RED_FLAG_CODES:
            errors.setdefault("red_flags", []).append(f"Unknown red flag: {code!r}.")
        elif code not in flags:
            flags.append(str(code))
    raw_factors = data.get("factors") or []
    if not isinstance(raw_factors, list | tuple):
        errors.setdefault("factors", []).append("Give a list of {factor, body_site}.")
        raw_factors = []
    factors: list[dict[str, str]] = []
    for item in raw_factors:
        if isinstance(item, str):
            item = {"factor": item, "body_site": ""}
        if not isinstance(item, Mapping):
            errors.setdefault("factors", []).append(f"Not a patient factor: {item!r}.")
            continue
        factor = str(item.get("factor") or "")
        site = str(item.get("body_site") or "")
        if factor not in PATIENT_FACTOR_CODES:
            errors.setdefault("factors", []).append(f"Unknown patient factor: {factor!r}.")
        elif site and site not in BODY_SITE_CODES:
            errors.setdefault("factors", []).append(f"Unknown body site {site!r} for {factor}.")
        elif {"factor": factor, "body_site": site} not in factors:
            factors.append({"factor": factor, "body_site": site})
    notes = data.get("notes") or ""
    if not isinstance(notes, str):
        errors.setdefault("notes", []).append("Notes must be text.")
        notes = ""
    if errors:
        raise ValidationError(errors)
    return flags, factors, notes.strip()


@transaction.atomic
def screening_record(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> IntakeScreening:
    """Record an intake red-flag screening. Any red flag present recommends an urgent referral.

    Screening is clinical work: only a clinician who can see the patient may record one.
    """
    if not actor.is_clinician or not can_see_patient(actor, patient, Purpose.CLINICAL):
        raise ValidationError({"patient": "Only a clinician caring for this patient may record a screening."})
    flags, factors, notes = _clean_screening(data)
    screening = IntakeScreening.objects.create(
        patient=patient,
        screened_at=timezone.now(),
        screened_by=actor,
        red_flags=flags,
        factors=factors,
        notes=notes,
        urgent_referral_recommended=bool(flags),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="IntakeScreening",
        object_id=screening.pk,
        patient_id=patient.pk,
        detail=f"red flags: {', '.join(flags) or 'none'}; factors: "
        + (
            ", ".join(f["factor"] + (f"@{f['body_site']}" if f["body_site"] else "") for f in factors)
            or "none"
        ),
    )
    return screening
