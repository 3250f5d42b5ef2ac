"""API shapes of billing: the calculators (nothing stored), charges, claim files."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt


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


class ClaimFileIn(Schema):
    """A claim file to make: the dates of service from `from` to `to` (YYYY-MM-DD, at most a year)."""

    # Text, checked by tandem.billing.periods, so an unparseable date gets the same message as in the browser.
    first_day: str = Field(..., alias="from", max_length=40)
    last_day: str = Field(..., alias="to", max_length=40)
    test: StrictBool = False  # ISA15 = T
    mark_billed: StrictBool = False  # mark the charges billed when pyx12 accepts the file


class ClaimFileOut(Schema):
    """A claim file as made: its metadata, pyx12's verdict and the visits left out, not its text (…/x12)."""

    id: int
    interchange_number: int
    first_day: str = Field(..., alias="from")
    last_day: str = Field(..., alias="to")
    test: bool
    valid: bool
    errors: list[str]
    skipped: list[str]
    claim_count: int
    line_count: int
    total_charge: str
    marked_billed: bool
    created_at: str
    created_by: str | None
    filename: str
