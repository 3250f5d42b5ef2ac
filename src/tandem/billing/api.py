"""Billing under /api/v1/.

- Calculators (/billing/units, /billing/code): timed units and a whole visit's coding. They store nothing and
  read no patient record, so any signed-in user or API token may use them (the API's default authentication).
- A visit's charges (/encounters/{id}/charges, /charges/{id}/void): read, post from the signed notes, void;
  for clinicians who may see the patient's clinical record (charting's access rule), 404 for anyone else.
- A patient's superbill of a period (/patients/{id}/superbill.pdf?from=&to=): the same rule.
- The clinic's claim files (/billing/claim-files): make one (837P, checked with pyx12), list, read, download
  the text; for the clinicians who may export claims (tandem.billing.access), 404 for anyone else.

The rules are the pure core in tandem.billing.coding; its BillingError becomes a 422 with field messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from tandem.audit.services import audit_read, audit_read_many
from tandem.billing.access import access_claim_file, access_patient_for_billing, can_export_claims
from tandem.billing.claim_files import (
    claim_file_list_for_organization,
    claim_file_make,
    claim_file_read,
    period_or_refusal,
)
from tandem.billing.coding import (
    BillingError,
    DiagnosisRef,
    PayerRules,
    ServiceLine,
    code_visit,
    timed_units,
)
from tandem.billing.downloads import claim_file_response, superbill_response
from tandem.billing.exports import ExportError, superbill_for
from tandem.billing.models import Charge, ClaimFile
from tandem.billing.schemas import (
    ChargeOut,
    ClaimFileIn,
    ClaimFileOut,
    CodeIn,
    CodeOut,
    UnitsIn,
    UnitsOut,
    VoidIn,
)
from tandem.billing.selectors import charge_list_for_encounter
from tandem.billing.services import charge_void, charges_post
from tandem.billing.superbill import render_superbill_pdf
from tandem.charting.access import access_encounter
from tandem.core.http import request_user
from tandem.core.ids import parse_id
from tandem.patients.access import refuse_access

router = Router(tags=["billing"])


def _invalid(exc: BillingError, renames: dict[str, str] | None = None) -> ValidationError:
    errors: dict[str, list[str]] = {}
    for field, messages in exc.as_dict().items():
        for old, new in (renames or {}).items():
            if field == old or field.startswith(f"{old}."):
                field = new + field[len(old) :]
        errors.setdefault(field or "body", []).extend(messages)
    return ValidationError(errors)


@router.post("/billing/units", response=UnitsOut)
def billing_units(request: HttpRequest, payload: UnitsIn) -> dict[str, Any]:
    """Units of timed codes under the CMS 8-minute rule (pooled) or the AMA mid-point rule (per code)."""
    try:
        answer = timed_units(payload.rule, payload.timed_minutes)
    except BillingError as exc:
        raise _invalid(exc, {"minutes": "timed_minutes"}) from None
    return {
        "rule": answer.rule,
        "total_minutes": answer.total_minutes,
        "total_units": answer.total_units,
        "units": answer.units,
    }


@router.post("/billing/code", response=CodeOut)
def billing_code(request: HttpRequest, payload: CodeIn) -> dict[str, Any]:
    """Code a visit: units, bundling modifiers (59 / X) and diagnosis pointers per service line."""
    payer = PayerRules()
    if payload.payer is not None:
        payer = PayerRules(
            timed_rule=payload.payer.timed_rule,
            distinct_modifier=payload.payer.distinct_modifier,
            waived_rules=frozenset(payload.payer.waived_rules),
        )
    services = [ServiceLine(s.code, s.minutes, s.units, tuple(s.regions)) for s in payload.services]
    diagnoses = [DiagnosisRef(d.code, d.body_site) for d in payload.diagnoses]
    try:
        visit = code_visit(services, payer, diagnoses)
    except BillingError as exc:
        raise _invalid(exc) from None
    return {
        "timed_rule": visit.timed.rule,
        "total_timed_minutes": visit.timed.total_minutes,
        "total_timed_units": visit.timed.total_units,
        "lines": [
            {
                "code": line.code,
                "units": line.units,
                "minutes": line.minutes,
                "regions": list(line.regions),
                "modifiers": list(line.modifiers),
                "diagnosis_pointers": list(line.diagnosis_pointers),
                "edits": list(line.edits),
                "billable": line.billable,
            }
            for line in visit.lines
        ],
        "diagnoses": list(visit.diagnoses),
        "warnings": list(visit.warnings),
    }


# A visit's charges ---------------------------------------------------------------------------------------


def _charge_out(charge: Charge) -> dict[str, Any]:
    return {
        "id": charge.pk,
        "patient": charge.patient_id,
        "encounter": charge.encounter_id,
        "note": charge.note_id,
        "service_on": charge.service_on.isoformat(),
        "code": charge.code,
        "modifiers": list(charge.modifiers),
        "units": charge.units,
        "minutes": charge.minutes,
        "regions": list(charge.regions),
        "diagnosis_codes": list(charge.diagnosis_codes),
        "unit_price": str(charge.unit_price),
        "fee": str(charge.fee),
        "status": charge.status,
        "rule": charge.rule,
        "void_reason": charge.void_reason,
    }


@router.get("/encounters/{encounter_id}/charges", response=list[ChargeOut])
def encounter_charges(request: HttpRequest, encounter_id: int) -> list[dict[str, Any]]:
    """The visit's charges (voided ones included, with their reason)."""
    user = request_user(request)
    encounter = access_encounter(user, encounter_id)
    patient_id = encounter.patient_id
    audit_read(actor=user, object_type="Charge", object_id="*", patient_id=patient_id, detail="visit charges")
    return [_charge_out(c) for c in charge_list_for_encounter(encounter, include_void=True)]


@router.post("/encounters/{encounter_id}/charges", response={201: list[ChargeOut]})
def encounter_charges_post(request: HttpRequest, encounter_id: int) -> Status:
    """(Re)post the visit's charges from its signed notes; a bundling edit answers 422 and writes nothing."""
    user = request_user(request)
    encounter = access_encounter(user, encounter_id)
    charges = charges_post(actor=user, encounter=encounter)
    return Status(201, [_charge_out(c) for c in charges])


@router.post("/charges/{charge_id}/void", response=ChargeOut)
def charge_void_endpoint(request: HttpRequest, charge_id: int, payload: VoidIn) -> dict[str, Any]:
    """Void a charge entered in error, with the reason."""
    user = request_user(request)
    try:
        charge = Charge.objects.get(pk=parse_id(charge_id))
    except (Charge.DoesNotExist, ValueError, OverflowError):
        raise refuse_access(user, "Charge", charge_id, None, "No such charge.") from None
    access_encounter(user, charge.encounter_id)
    return _charge_out(charge_void(actor=user, charge=charge, reason=payload.reason))


# A patient's superbill of a period ------------------------------------------------------------------------


@router.get("/patients/{patient_id}/superbill.pdf", response={200: None})
def patient_superbill(
    request: HttpRequest,
    patient_id: int,
    first_day: str = Query("", alias="from", max_length=40),
    last_day: str = Query("", alias="to", max_length=40),
) -> HttpResponse:
    """The patient's superbill (PDF) of the visits from `from` to `to`; 422 for a bad period or nothing to
    bill."""
    user = request_user(request)
    patient = access_patient_for_billing(user, patient_id)
    period = period_or_refusal(first_day, last_day)
    try:
        superbill = superbill_for(patient, first_day=period.first_day, last_day=period.last_day)
    except ExportError as exc:
        raise ValidationError({"__all__": list(exc.problems)}) from None
    audit_read(
        actor=user,
        object_type="Charge",
        object_id="*",
        patient_id=patient.pk,
        detail=f"superbill {period.first_day} to {period.last_day}",
    )
    return superbill_response(render_superbill_pdf(superbill), patient.mrn, period)


# The clinic's claim files ---------------------------------------------------------------------------------


def _claim_file_out(claim_file: ClaimFile) -> dict[str, Any]:
    return {
        "id": claim_file.pk,
        "interchange_number": claim_file.interchange_number,
        "from": claim_file.first_service_on.isoformat(),
        "to": claim_file.last_service_on.isoformat(),
        "test": not claim_file.production,
        "valid": claim_file.valid,
        "errors": list(claim_file.errors),
        "skipped": list(claim_file.skipped),
        "claim_count": claim_file.claim_count,
        "line_count": claim_file.line_count,
        "total_charge": str(claim_file.total_charge),
        "marked_billed": claim_file.marked_billed,
        "created_at": claim_file.created_at.isoformat(),
        "created_by": claim_file.created_by.username if claim_file.created_by else None,
        "filename": claim_file.filename,
    }


def _require_exporter(request: HttpRequest) -> Any:
    user = request_user(request)
    if not can_export_claims(user):
        raise refuse_access(user, "ClaimFile", "*", None, "Not found.")
    return user


@router.post("/billing/claim-files", response={201: ClaimFileOut}, by_alias=True)
def claim_file_create(request: HttpRequest, payload: ClaimFileIn) -> Status:
    """Make the clinic's 837P of the billable charges from `from` to `to`, checked with pyx12: 201 with the
    verdict (`valid`, `errors`) and the visits left out; a file pyx12 refuses marks nothing billed. 422 with
    nothing written for a bad period, incomplete billing settings or no claim to send."""
    user = _require_exporter(request)
    claim_file = claim_file_make(
        actor=user,
        organization=user.organization,
        first_day=payload.first_day,
        last_day=payload.last_day,
        production=not payload.test,
        mark_billed=payload.mark_billed,
    )
    return Status(201, _claim_file_out(claim_file))


@router.get("/billing/claim-files", response=list[ClaimFileOut], by_alias=True)
def claim_file_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The clinic's claim files, newest first (at most 200)."""
    user = _require_exporter(request)
    files = list(claim_file_list_for_organization(user.organization)[:200])
    named = sorted({patient_id for f in files for patient_id in f.patient_ids})
    if named:  # the visits left out name their patients
        audit_read_many(
            actor=user, object_type="ClaimFile", object_id="*", patient_ids=named, detail="claim file list"
        )
    return [_claim_file_out(f) for f in files]


@router.get("/billing/claim-files/{claim_file_id}", response=ClaimFileOut, by_alias=True)
def claim_file_get(request: HttpRequest, claim_file_id: int) -> dict[str, Any]:
    """One claim file's metadata, pyx12's verdict and the visits left out."""
    user = request_user(request)
    claim_file = access_claim_file(user, claim_file_id)
    claim_file_read(actor=user, claim_file=claim_file, detail="claim file details")
    return _claim_file_out(claim_file)


@router.get("/billing/claim-files/{claim_file_id}/x12", response={200: None})
def claim_file_x12(request: HttpRequest, claim_file_id: int) -> HttpResponse:
    """The claim file's X12 text as it was made (application/edi-x12)."""
    user = request_user(request)
    claim_file = access_claim_file(user, claim_file_id)
    claim_file_read(actor=user, claim_file=claim_file, detail="claim file downloaded")
    return claim_file_response(claim_file)
