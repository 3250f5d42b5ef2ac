"""Charges from what a visit documented (issue #5 "billing codes follow from what was documented").

A visit, for billing, is what one clinician bills for one patient on one date of service: the signed notes of
the patient's encounters that day whose billing clinician is the same. The billing clinician of a note is
its author's practitioner, except for a supervised discipline (massage therapy), whose services are billed
under the supervising clinician who co-signs them, so a massage therapist's 97140 on the lumbar region and
the supervising chiropractor's 98940 on the lumbar region the same day meet the NCCI edit, as they would on
the claim. Minutes of the visit pool as the CMS 8-minute rule pools them per date of service (CMS Pub. 100-04
Ch. 5 §20.2); a note waiting for its co-signature bills nothing yet.

Each service checks who acts, validates, writes and audits in one transaction; a refusal (a bundling edit,
a code without a fee, a missing diagnosis) writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tandem.accounts.models import Organization, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.billing.claims import CLAIM_FILING_INDICATORS, X12_RESERVED
from tandem.billing.coding import BillingError, DiagnosisRef, FieldError, PayerRules
from tandem.billing.documented import CodedDocumentedVisit, DocumentedNote, code_documented_visit
from tandem.billing.models import BillingSettings, Charge, ChargeStatus, Coverage, CoverageStatus
from tandem.careplans.models import CarePlan
from tandem.charting.access import can_see_charting
from tandem.charting.models import DOCUMENTABLE_ENCOUNTER_STATUSES, Encounter, Note, NoteStatus
from tandem.patients.models import (
    Condition,
    ConditionClinicalStatus,
    ConditionVerificationStatus,
    Patient,
)

DEFAULTS_PATH = Path(__file__).with_name("billing_defaults.yaml")
ACTIVE_CLINICAL_STATUSES = (
    ConditionClinicalStatus.ACTIVE,
    ConditionClinicalStatus.RECURRENCE,
    ConditionClinicalStatus.RELAPSE,
)
EXCLUDED_VERIFICATION = (ConditionVerificationStatus.REFUTED, ConditionVerificationStatus.ENTERED_IN_ERROR)
MAX_VISIT_DIAGNOSES = 12
MAX_VOID_REASON = 1000
# Charges a new posting replaces; billed charges are on a claim and never silently replaced.
REPLACEABLE_STATUSES = (ChargeStatus.BILLABLE, ChargeStatus.NOT_BILLABLE)


# Settings -------------------------------------------------------------------------------------------------


@cache
def billing_defaults() -> dict[str, Any]:
    """The demo defaults of billing_defaults.yaml (read once)."""
    with open(DEFAULTS_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def billing_settings_for(organization: Organization) -> BillingSettings:
    """The clinic's billing settings, created from billing_defaults.yaml on first use."""
    found = BillingSettings.objects.filter(organization=organization).first()
    if found is not None:
        return found
    defaults = billing_defaults()
    with transaction.atomic():
        settings_row, _ = BillingSettings.objects.get_or_create(
            organization=organization,
            defaults={
                "timed_rule": defaults["timed_rule"],
                "distinct_modifier": defaults["distinct_modifier"],
                "waived_rules": list(defaults.get("waived_rules") or []),
                "place_of_service": defaults["place_of_service"],
                "fees": dict(defaults["fees"]),
                "taxonomy_by_discipline": dict(defaults["taxonomy_by_discipline"]),
                **defaults["profile"],
            },
        )
    return settings_row


def payer_rules_for(settings_row: BillingSettings) -> PayerRules:
    return PayerRules(
        timed_rule=settings_row.timed_rule,  # type: ignore[arg-type]
        distinct_modifier=settings_row.distinct_modifier,  # type: ignore[arg-type]
        waived_rules=frozenset(settings_row.waived_rules or ()),
    )


def unit_price(settings_row: BillingSettings, code: str) -> Decimal | None:
    """The fee schedule's price per unit of `code`, or None when the clinic set none (or a bad one)."""
    raw = (settings_row.fees or {}).get(code)
    try:
        price = Decimal(str(raw)) if raw is not None else None
    except InvalidOperation:
        return None
    if price is None or not price.is_finite() or price < 0:
        return None
    return price.quantize(Decimal("0.01"))


# The visit of an encounter --------------------------------------------------------------------------------


def service_day(encounter: Encounter) -> datetime.date:
    """The encounter's date of service, in the clinic's time zone."""
    return timezone.localdate(encounter.started_at)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)


def billing_practitioner_id(note: Note) -> int:
    """Who bills the note: the co-signing supervisor of a supervised note, else the encounter's clinician."""
    if note.needs_cosign and note.cosigner_id is not None:
        return note.cosigner_id
    return note.encounter.practitioner_id


def _billable_note(note: Note) -> bool:
    return note.status == NoteStatus.FINAL and not note.awaits_cosign


def visit_notes(encounter: Encounter) -> list[Note]:
    """The signed (and, where needed, co-signed) notes billed together with `encounter`'s: same patient,
    date of service and billing clinician, in the order the visits started."""
    own = [note for note in encounter.notes.select_related("encounter") if _billable_note(note)]
    if not own:
        return []
    billers = {billing_practitioner_id(note) for note in own}
    start, end = _day_bounds(service_day(encounter))
    candidates = (
        Note.objects.filter(
            patient_id=encounter.patient_id,
            status=NoteStatus.FINAL,
            encounter__started_at__gte=start,
            encounter__started_at__lt=end,
            encounter__status__in=DOCUMENTABLE_ENCOUNTER_STATUSES,
        )
        .select_related("encounter")
        .order_by("encounter__started_at", "encounter_id", "pk")
    )
    return [note for note in candidates if _billable_note(note) and billing_practitioner_id(note) in billers]


def _diagnosis_ref(condition: Condition) -> DiagnosisRef:
    sites = condition.body_site_codes
    return DiagnosisRef(condition.code, sites[0] if len(sites) == 1 else "")


def visit_diagnoses(encounters: list[Encounter]) -> list[DiagnosisRef]:
    """ICD-10-CM diagnoses of a visit: the problems of the plans the visit carries out, else the patient's
    active conditions (active, recurrence, relapse; not refuted), at most 12, structural problems first."""
    plan_ids = {e.activity.plan_id for e in encounters if e.activity_id is not None and e.activity}
    conditions: list[Condition] = []
    if plan_ids:
        for plan in CarePlan.objects.filter(pk__in=plan_ids).order_by("pk").prefetch_related("problems"):
            conditions += [c for c in plan.problems.order_by("pk") if c not in conditions]
    if not conditions and encounters:
        conditions = list(
            Condition.objects.filter(
                patient_id=encounters[0].patient_id, clinical_status__in=ACTIVE_CLINICAL_STATUSES
            )
            .exclude(verification_status__in=EXCLUDED_VERIFICATION)
            # Structural problems first ("structural" > "soft-tissue"): the subluxation a CMT line needs is
            # then the principal diagnosis.
            .order_by("-category", "pk")
        )
    refs: list[DiagnosisRef] = []
    for condition in conditions:
        if condition.code not in {ref.code for ref in refs}:
            refs.append(_diagnosis_ref(condition))
    return refs[:MAX_VISIT_DIAGNOSES]


def _refusal(exc: BillingError) -> ValidationError:
    errors: dict[str, list[str]] = {}
    for field, messages in exc.as_dict().items():
        errors.setdefault(field or "__all__", []).extend(messages)
    return ValidationError(errors)


def may_bill(user: User, patient: Patient) -> bool:
    """Whether `user` may post charges (and insurance) for `patient`: a clinician of the care team."""
    return user.organization_id == patient.organization_id and can_see_charting(user, patient)


def _require_biller(actor: User, patient: Patient) -> None:
    if not may_bill(actor, patient):
        raise ValidationError({"__all__": "Only a clinician on the patient's care team may post charges."})


def billed_refusal(encounter_ids: Iterable[int]) -> str | None:
    """Why a visit cannot be posted again once one of its charges is on a claim; None when none is."""
    billed = Charge.objects.filter(encounter_id__in=set(encounter_ids), status=ChargeStatus.BILLED)
    codes = sorted(set(billed.values_list("code", flat=True)))
    if not codes:
        return None
    return f"This visit's charges ({', '.join(codes)}) are on a claim already; void them to re-post."


def missing_fee_refusals(settings_row: BillingSettings, codes: Iterable[str]) -> list[str]:
    """A message for each code the clinic's fee schedule has no price for."""
    return [
        f"The fee schedule has no price for {code}: add it in billing settings."
        for code in dict.fromkeys(codes)
        if unit_price(settings_row, code) is None
    ]


def code_encounter_visit(encounter: Encounter) -> tuple[list[Note], CodedDocumentedVisit]:
    """Code the visit `encounter` belongs to, writing nothing (BillingError when the rules refuse it)."""
    notes = visit_notes(encounter)
    if not notes:
        raise BillingError([FieldError("notes", "This visit has no signed, co-signed note to bill.")])
    settings_row = billing_settings_for(encounter.organization)
    encounters = list({note.encounter_id: note.encounter for note in notes}.values())
    coded = code_documented_visit(
        [DocumentedNote(note.pk, note.discipline, note.data) for note in notes],
        payer_rules_for(settings_row),
        visit_diagnoses(encounters),
    )
    return notes, coded


@transaction.atomic
def charges_post(*, actor: User, encounter: Encounter) -> list[Charge]:
    """(Re)create the charges of the visit `encounter` belongs to from its signed notes.

    Every note billed with this one (visit_notes) is coded again under the clinic's rules: the visit's
    earlier billable and not-billable charges are replaced, its voided ones kept. Refused, with nothing
    written: a note not signed (or not co-signed yet), a charge of the visit already billed on a claim, a
    bundling edit (97140 with 98940 on the same region ...), a code with no fee, no diagnosis on record.
    Answers the charges of the visit, billable first.
    """
    encounter = Encounter.objects.select_related("organization", "patient", "activity").get(pk=encounter.pk)
    # Lock the patient's row: postings of the visits of one patient apply one after the other, so two
    # clinicians posting the same day's visit at once never leave both sets of charges behind.
    Patient.objects.select_for_update().filter(pk=encounter.patient_id).first()
    _require_biller(actor, encounter.patient)
    own = list(encounter.notes.all())
    if not any(note.status == NoteStatus.FINAL for note in own):
        raise ValidationError({"__all__": "This visit has no signed note yet: charges follow the signature."})
    if not any(_billable_note(note) for note in own):
        raise ValidationError(
            {"__all__": "This visit's note waits for the supervisor's co-signature: charges follow it."}
        )
    try:
        notes, coded = code_encounter_visit(encounter)
    except BillingError as exc:
        raise _refusal(exc) from None
    encounter_ids = sorted({note.encounter_id for note in notes})
    on_claim = billed_refusal(encounter_ids)
    if on_claim:
        raise ValidationError({"__all__": on_claim})
    existing = list(Charge.objects.filter(encounter_id__in=encounter_ids))
    settings_row = billing_settings_for(encounter.organization)
    missing = missing_fee_refusals(settings_row, (item.line.code for item in coded.charges))
    if missing:
        raise ValidationError({"fees": missing})
    prices: dict[str, Decimal] = {
        item.line.code: price
        for item in coded.charges
        if (price := unit_price(settings_row, item.line.code)) is not None
    }
    by_note = {note.pk: note for note in notes}
    replaced = [charge for charge in existing if charge.status in REPLACEABLE_STATUSES]
    Charge.objects.filter(pk__in=[charge.pk for charge in replaced]).delete()
    created: list[Charge] = []
    diagnoses = coded.coded.diagnoses
    for item in coded.charges:
        note = by_note[item.note]
        line = item.line
        created.append(
            Charge.objects.create(
                organization=encounter.organization,
                patient=encounter.patient,
                encounter_id=note.encounter_id,
                note=note,
                service_on=service_day(note.encounter),
                code=line.code,
                modifiers=list(line.modifiers),
                units=line.units,
                minutes=line.minutes,
                regions=list(line.regions),
                diagnosis_codes=[diagnoses[pointer - 1] for pointer in line.diagnosis_pointers],
                unit_price=prices[line.code],
                fee=prices[line.code] * line.units,
                status=ChargeStatus.BILLABLE if line.units > 0 else ChargeStatus.NOT_BILLABLE,
                rule=coded.coded.timed.rule,
                created_by=actor,
            )
        )
    summary = ", ".join(f"{c.code_with_modifiers}×{c.units}" for c in created)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="Encounter",
        object_id=encounter.pk,
        patient_id=encounter.patient_id,
        detail=(
            f"charges posted for encounters {', '.join(map(str, encounter_ids))} "
            f"under {coded.coded.timed.rule}: "
            f"{summary}; replaced {len(replaced)}"
            + (f"; warnings: {' | '.join(coded.warnings)}" if coded.warnings else "")
        ),
    )
    return sorted(created, key=lambda c: (c.status != ChargeStatus.BILLABLE, c.pk))


@transaction.atomic
def charge_void(*, actor: User, charge: Charge, reason: str) -> Charge:
    """Mark a charge entered in error, with the reason; it then never reaches a claim or a superbill."""
    charge = Charge.objects.select_for_update(of=("self",)).select_related("patient").get(pk=charge.pk)
    _require_biller(actor, charge.patient)
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not text:
        raise ValidationError({"reason": "Say why the charge is void."})
    if len(text) > MAX_VOID_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_VOID_REASON} characters."})
    if charge.status == ChargeStatus.ENTERED_IN_ERROR:
        raise ValidationError({"__all__": "This charge is void already."})
    previous = charge.status
    charge.status, charge.void_reason = ChargeStatus.ENTERED_IN_ERROR, text
    charge.save(update_fields=["status", "void_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="Charge",
        object_id=charge.pk,
        patient_id=charge.patient_id,
        detail=f"charge {charge.code_with_modifiers} voided (was {previous}): {text}",
    )
    return charge


@transaction.atomic
def charges_mark_billed(*, actor: User | None, charges: QuerySet[Charge] | list[Charge], batch: str) -> int:
    """Billable charges sent on a claim file become billed (audited per patient); answers how many."""
    ids = [charge.pk for charge in charges]
    locked = list(Charge.objects.select_for_update().filter(pk__in=ids, status=ChargeStatus.BILLABLE))
    Charge.objects.filter(pk__in=[charge.pk for charge in locked]).update(
        status=ChargeStatus.BILLED, updated_at=timezone.now()
    )
    patients: dict[int, list[str]] = {}
    for charge in locked:
        patients.setdefault(charge.patient_id, []).append(str(charge.pk))
    for patient_id, charge_ids in patients.items():
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="Charge",
            object_id=charge_ids[0],
            patient_id=patient_id,
            detail=f"charges {', '.join(charge_ids)} billed in claim file {batch}",
        )
    return len(locked)


def interchange_number_next(organization: Organization) -> int:
    """The next interchange control number of the clinic's claim files (a receiver refuses a repeat)."""
    with transaction.atomic():
        settings_row = billing_settings_for(organization)
        settings_row = BillingSettings.objects.select_for_update().get(pk=settings_row.pk)
        settings_row.last_interchange_number += 1
        settings_row.save(update_fields=["last_interchange_number", "updated_at"])
        return settings_row.last_interchange_number


# Coverage -------------------------------------------------------------------------------------------------


def _coverage_text(data: Mapping[str, Any], key: str, label: str, max_length: int, errors: dict) -> str:
    value = data.get(key, "")
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text and key != "group_number":
        errors[key] = f"{label} is required."
    elif len(text) > max_length:
        errors[key] = f"{label} is at most {max_length} characters."
    elif X12_RESERVED.intersection(text):
        errors[key] = f"{label} may not contain {' '.join(sorted(X12_RESERVED))} (claim file separators)."
    return text


@transaction.atomic
def coverage_set(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> Coverage:
    """Record the patient's insurance (they are its subscriber); the previous active coverage is cancelled."""
    _require_biller(actor, patient)
    errors: dict[str, str] = {}
    fields = {
        "payer_name": _coverage_text(data, "payer_name", "Payer name", 60, errors),
        "payer_id": _coverage_text(data, "payer_id", "Payer ID", 80, errors),
        "member_id": _coverage_text(data, "member_id", "Member ID", 80, errors),
        "group_number": _coverage_text(data, "group_number", "Group number", 50, errors),
    }
    indicator = data.get("claim_filing_indicator", "CI")
    if indicator not in CLAIM_FILING_INDICATORS:
        errors["claim_filing_indicator"] = "Choose an 837P claim filing indicator (CI, MB, MC ...)."
    if errors:
        raise ValidationError(errors)
    Coverage.objects.select_for_update().filter(patient=patient, status=CoverageStatus.ACTIVE).update(
        status=CoverageStatus.CANCELLED, updated_at=timezone.now()
    )
    coverage = Coverage.objects.create(
        patient=patient, claim_filing_indicator=indicator, created_by=actor, **fields
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="Coverage",
        object_id=coverage.pk,
        patient_id=patient.pk,
        detail=f"coverage {coverage.payer_name} ({coverage.claim_filing_indicator})",
    )
    return coverage
