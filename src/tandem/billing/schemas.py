"""API shapes for the billing calculators (nothing is stored)."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema
from pydantic import StrictInt


class UnitsIn(Schema):
    rule: Literal["cms", "ama"]
    # Minutes per timed code, e.g. {"97110": 33, "97140": 7}. Codes and values are checked by the billing
    # rules, so an unknown or untimed code answers 422 naming "timed_minutes.<code>".
    timed_minutes: dict[str, StrictInt] = Field(..., max_length=30)


class UnitsOut(Schema):
    rule: str
    total_minutes: int
    total_units: int
    units: dict[str, int]


class PayerIn(Schema):
    timed_rule: Literal["cms", "ama"] = "cms"
    # "59", or "XS" for a payer that wants the X-subset modifiers (see tandem.billing.coding.PayerRules).
    distinct_modifier: Literal["59", "XS"] = "59"
    waived_rules: list[str] = Field([], max_length=10)


class ServiceIn(Schema):
    code: str = Field(..., max_length=10)
    minutes: StrictInt | None = None  # timed codes
    units: StrictInt | None = None  # untimed codes (default 1)
    regions: list[str] = Field([], max_length=30)


class DiagnosisIn(Schema):
    code: str = Field(..., max_length=10)
    body_site: str = Field("", max_length=40)


class CodeIn(Schema):
    payer: PayerIn | None = None  # the defaults: CMS rule, modifier 59
    services: list[ServiceIn] = Field(..., max_length=30)
    diagnoses: list[DiagnosisIn] = Field(..., max_length=30)


class CodedLineOut(Schema):
    code: str
    units: int
    minutes: int | None
    regions: list[str]
    modifiers: list[str]
    diagnosis_pointers: list[int]
    edits: list[str]
    billable: bool


class CodeOut(Schema):
    timed_rule: str
    total_timed_minutes: int
    total_timed_units: int
    lines: list[CodedLineOut]
    diagnoses: list[str]
    warnings: list[str]


class ChargeOut(Schema):
    """A stored charge (FHIR ChargeItem) of a visit."""

    id: int
    patient: int
    encounter: int
    note: int
    service_on: str
    code: str
    modifiers: list[str]
    units: int
    minutes: int | None
    regions: list[str]
    diagnosis_codes: list[str]
    unit_price: str
    fee: str
    status: str
    rule: str
    void_reason: str


class VoidIn(Schema):
    # Optional here so that the access check answers first (404); the service asks for a reason (422).
    reason: str = Field("", max_length=500)
