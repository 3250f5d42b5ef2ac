"""Billing calculators under /api/v1/billing/: timed units and a whole visit's coding. They store nothing and
read no patient record, so any signed-in user or API token may use them (the API's default authentication).

The rules are the pure core in tandem.billing.coding; its BillingError becomes a 422 with field messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router

from tandem.billing.coding import (
    BillingError,
    DiagnosisRef,
    PayerRules,
    ServiceLine,
    code_visit,
    timed_units,
)
from tandem.billing.schemas import CodeIn, CodeOut, UnitsIn, UnitsOut

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
