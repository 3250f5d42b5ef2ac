"""API shapes for patients and their chart."""

from __future__ import annotations

import datetime

from ninja import Field, Schema


class PatientIn(Schema):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = ""
    birth_date: datetime.date
    sex: str
    phone: str = ""
    email: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    preferred_language: str = "en"
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""
    mrn: str = ""


class PatientPatch(Schema):
    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    preferred_name: str | None = None
    birth_date: datetime.date | None = None
    sex: str | None = None
    phone: str | None = None
    email: str | None = None
    address_line: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    preferred_language: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None
    active: bool | None = None


class PatientOut(Schema):
    id: int
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str
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
    active: bool


class ConditionIn(Schema):
    code: str
    text: str = ""
    body_site: str = ""
    laterality: str = ""
    category: str
    clinical_status: str = "active"
    verification_status: str = "confirmed"
    onset_on: datetime.date | None = None
    evidence: str = ""
    note: str = ""


class ConditionPatch(Schema):
    code: str | None = None
    text: str | None = None
    body_site: str | None = None
    laterality: str | None = None
    category: str | None = None
    clinical_status: str | None = None
    verification_status: str | None = None
    onset_on: datetime.date | None = None
    evidence: str | None = None
    note: str | None = None


class ConditionOut(Schema):
    id: int
    patient_id: int
    code: str
    text: str
    body_site: str
    laterality: str
    body_site_codes: list[str]
    category: str
    clinical_status: str
    verification_status: str
    onset_on: datetime.date | None
    evidence: str
    note: str


class MedicationIn(Schema):
    medication: str = Field(min_length=1, max_length=200)
    dosage: str = ""
    status: str = "active"
    started_on: datetime.date | None = None
    note: str = ""


class MedicationPatch(Schema):
    medication: str | None = Field(None, min_length=1, max_length=200)
    dosage: str | None = None
    status: str | None = None
    started_on: datetime.date | None = None
    note: str | None = None


class MedicationOut(Schema):
    id: int
    patient_id: int
    medication: str
    dosage: str
    status: str
    started_on: datetime.date | None
    note: str
    risk_flags: list[str]


class AllergyIn(Schema):
    substance: str = Field(min_length=1, max_length=200)
    category: str
    criticality: str = "low"
    clinical_status: str = "active"
    reaction: str = ""


class AllergyPatch(Schema):
    substance: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = None
    criticality: str | None = None
    clinical_status: str | None = None
    reaction: str | None = None


class AllergyOut(Schema):
    id: int
    patient_id: int
    substance: str
    category: str
    criticality: str
    clinical_status: str
    reaction: str


class CareTeamIn(Schema):
    practitioner: int
    role: str = "member"
    started_on: datetime.date | None = None


class CareTeamEnd(Schema):
    ended_on: datetime.date | None = None


class CareTeamOut(Schema):
    id: int
    patient_id: int
    practitioner: int = Field(alias="practitioner_id")
    practitioner_name: str
    discipline: str
    role: str
    started_on: datetime.date
    ended_on: datetime.date | None

    @staticmethod
    def resolve_practitioner_name(obj: object) -> str:
        return obj.practitioner.display_name  # type: ignore[attr-defined]

    @staticmethod
    def resolve_discipline(obj: object) -> str:
        return obj.practitioner.discipline  # type: ignore[attr-defined]


class BreakGlassIn(Schema):
    reason: str


class BreakGlassOut(Schema):
    id: int
    patient_id: int
    reason: str
    started_at: datetime.datetime
    expires_at: datetime.datetime


class Icd10Out(Schema):
    code: str
    description: str
