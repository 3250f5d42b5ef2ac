"""API shapes for the safety engine, screenings and overrides."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema


class ActivityIn(Schema):
    technique: str
    body_sites: list[str] = []
    # light | moderate | firm | deep, or "" (not stated: every pressure-dependent rule applies). Checked by
    # the engine so an unknown value answers 422 naming it.
    pressure: str = ""


class CheckIn(Schema):
    patient: int
    activities: list[ActivityIn] = Field(..., min_length=1, max_length=50)


class FindingOut(Schema):
    severity: str
    rule: str
    technique: str
    body_site: str
    message: str
    source: str


class CheckOut(Schema):
    findings: list[FindingOut]


class FactorIn(Schema):
    factor: str
    body_site: str = ""


class ScreeningIn(Schema):
    # Every field has a default: an empty screening ("no red flags, no factors") is a valid answer.
    red_flags: list[str] = []
    factors: list[FactorIn] = []
    notes: str = Field("", max_length=5000)


class ScreeningOut(Schema):
    id: int
    patient: int = Field(..., alias="patient_id")
    screened_at: datetime.datetime
    screened_by: str = Field(..., alias="screened_by.username")
    red_flags: list[str]
    factors: list[dict[str, str]]
    notes: str
    urgent_referral_recommended: bool


class OverrideOut(Schema):
    id: int
    patient: int = Field(..., alias="patient_id")
    rule: str
    technique: str
    body_site: str
    severity: str
    message: str
    source: str
    reason: str
    subject: str
    overridden_by: str = Field(..., alias="overridden_by.username")
    overridden_at: datetime.datetime


class RulesOut(Schema):
    technique_groups: dict[str, list[str]]
    site_groups: dict[str, list[str]]
    rules: list[dict[str, Any]]
    patient_factors: list[dict[str, Any]]
    red_flags: list[dict[str, str]]
