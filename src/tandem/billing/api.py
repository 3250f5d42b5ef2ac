"""Billing under /api/v1/.

- Calculators (/billing/units, /billing/code): timed units and a whole visit's coding. They store nothing and
  read no patient record, so any signed-in user or API token may use them (the API's default authentication).
- A visit's charges (/encounters/{id}/charges, /charges/{id}/void): read, post from the signed notes, void;
  for clinicians who may see the patient's clinical record (charting's access rule), 404 for anyone else.

The rules are the pure core in tandem.billing.coding; its BillingError becomes a 422 with field messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from tandem.audit.services import audit_read
from tandem.billing.coding import (
    BillingError,
    DiagnosisRef,
    PayerRules,
    ServiceLine,
    code_visit,
    timed_units,
)
from tandem.billing.models import Charge
from tandem.billing.schemas import ChargeOut, CodeIn, CodeOut, UnitsIn, UnitsOut, VoidIn
from tandem.billing.selectors import charge_list_for_encounter
from tandem.billing.services import charge_void, charges_post
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
