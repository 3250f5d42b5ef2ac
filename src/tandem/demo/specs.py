"""What the demo generator produces: plain, frozen descriptions of patients and clinicians. Pure module."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from tandem.patients import icd10

# Given how many items a stage is about to write and what they are ("patients", "care scenarios"), answer a
# function to call with the number written after each batch.
ProgressStart = Callable[[int, str], Callable[[int], object]]

MRN_PREFIX = "D"
MAX_PATIENTS = 9_999_999  # "D" + 7 digits


@dataclass(frozen=True)
class ConditionSpec:
    code: str
    text: str
    category: str
    body_site: str
    laterality: str
    clinical_status: str
    onset_on: datetime.date
    evidence: str = ""
    verification_status: str = "confirmed"


@dataclass(frozen=True)
class MedicationSpec:
    medication: str
    dosage: str
    status: str
    started_on: datetime.date


@dataclass(frozen=True)
class AllergySpec:
    substance: str
    category: str
    criticality: str
    reaction: str


@dataclass(frozen=True)
class MembershipSpec:
    username: str
    role: str  # "lead" or "member"
    started_on: datetime.date
    ended_on: datetime.date | None = None


@dataclass(frozen=True)
class PatientSpec:
    index: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: datetime.date
    sex: str
    phone: str
    email: str
    address_line: str
    city: str
    state: str
    postal_code: str
    preferred_language: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    conditions: tuple[ConditionSpec, ...]
    medications: tuple[MedicationSpec, ...]
    allergies: tuple[AllergySpec, ...]
    care_team: tuple[MembershipSpec, ...]
    preferred_name: str = ""

    @property
    def lead_username(self) -> str:
        """The open lead's username; the lead records the patient's problems, medications and allergies."""
        return next(m.username for m in self.care_team if m.role == "lead" and m.ended_on is None)


@dataclass(frozen=True)
class Clinician:
    """A clinician beyond the personas: `dc2`, `pt3`, `lmt2` ... numbered after the persona (number 1)."""

    username: str
    first_name: str
    last_name: str
    discipline: str
    credentials: str
    license_number: str
    joins_at: int  # the lowest patient index whose care team this clinician can be on
    location: int  # 0: Riverside Main, 1: Eastside
    npi: str = ""  # a made-up National Provider Identifier with a valid check digit


def mrn(index: int) -> str:
    """The demo MRN of patient `index` (1-based): D0000001, D0000002 ..."""
    return f"{MRN_PREFIX}{index:07d}"


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` earlier (later if negative); 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Age in whole years on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@cache
def code_text(code: str) -> str:
    """The official ICD-10-CM description of a billable code (raises icd10.UnknownCode otherwise)."""
    return icd10.lookup(code).description[:255]
