"""The demo clinic's key patients: named, fixed whatever the seed or the number of patients. Pure module.

Docs, screenshots and tests rely on them, so they always take MRNs D0000001-D0000005. Their dates are
relative to the day the demo is loaded (Robert Hale is 58 on that day), except Robert's MRI of 2026-03-02.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from tandem.demo.specs import (
    AllergySpec,
    ConditionSpec,
    MedicationSpec,
    MembershipSpec,
    PatientSpec,
    code_text,
    mrn,
    years_before,
)


@dataclass(frozen=True)
class KeyPatient:
    """A key patient's name and what makes the patient worth showing."""

    given_name: str
    family_name: str
    why: str


KEY_PATIENTS: tuple[KeyPatient, ...] = (
    KeyPatient(
        "Robert", "Hale", "58; MRI-confirmed lumbar disc degeneration; on warfarin; alice leads, ben, maya"
    ),
    KeyPatient("Linda", "Park", "left rotator-cuff strain; ben only (alice and maya are not on her team)"),
    KeyPatient("María", "González", "Spanish-speaking; plantar fasciitis; latex allergy; ben leads, maya"),
    KeyPatient("Thomas", "Nguyen", "whiplash three weeks ago; alice leads, maya; ben's membership ended"),
    KeyPatient(
        "Grace", "Whitaker", "77; lumbar stenosis, knee OA; apixaban, alendronate; all three disciplines"
    ),
)
KEY_PATIENT_CODES = (
    "M51.362",
    "M62.830",
    "S46.012A",
    "M72.2",
    "M54.50",
    "S13.4XXA",
    "G44.209",
    "M48.062",
    "M17.12",
)


def _condition(
    code: str, category: str, site: str, side: str, onset: datetime.date, evidence: str = ""
) -> ConditionSpec:
    return ConditionSpec(code, code_text(code), category, site, side, "active", onset, evidence)


def key_patient(index: int, today: datetime.date) -> PatientSpec:
    """Key patient number `index` (1-5) as of `today`."""
    builders = (_robert_hale, _linda_park, _maria_gonzalez, _thomas_nguyen, _grace_whitaker)
    if not 1 <= index <= len(builders):
        raise ValueError(f"There is no key patient {index}; key patients are 1-{len(builders)}.")
    return builders[index - 1](today)


def _ago(today: datetime.date, days: int) -> datetime.date:
    return today - datetime.timedelta(days=days)


# fmt: off
ROBERT_HALE_MRI = "MRI 2026-03-02: advanced L4-L5 disc degeneration"


def _robert_hale(today: datetime.date) -> PatientSpec:
    """58, MRI-confirmed lumbar disc degeneration, on warfarin; alice leads, ben and maya are on the team."""
    onset = min(datetime.date(2026, 1, 12), today)
    return PatientSpec(
        index=1, mrn=mrn(1), given_name="Robert", family_name="Hale", preferred_name="Bob", sex="male",
        birth_date=years_before(today, 58) - datetime.timedelta(days=40),
        phone="503-555-0142", email="robert.hale@example.com",
        address_line="2314 SE Hawthorne Blvd", city="Portland", state="OR", postal_code="97214",
        preferred_language="en",
        emergency_contact_name="Karen Hale", emergency_contact_relationship="spouse",
        emergency_contact_phone="503-555-0143",
        conditions=(
            _condition("M51.362", "structural", "lumbar", "", onset, ROBERT_HALE_MRI),
            _condition("M62.830", "soft-tissue", "lumbar", "", onset),
        ),
        medications=(
            MedicationSpec("Warfarin", "5 mg by mouth once daily (INR 2-3)", "active", _ago(today, 1100)),
            MedicationSpec("Atorvastatin", "20 mg by mouth once daily", "active", _ago(today, 1800)),
        ),
        allergies=(),
        care_team=(
            MembershipSpec("alice", "lead", min(datetime.date(2026, 3, 5), today)),
            MembershipSpec("ben", "member", min(datetime.date(2026, 3, 12), today)),
            MembershipSpec("maya", "member", min(datetime.date(2026, 3, 19), today)),
        ),
    )


def _linda_park(today: datetime.date) -> PatientSpec:
    """46, left rotator-cuff strain; ben alone treats her, so alice and maya must not see her."""
    return PatientSpec(
        index=2, mrn=mrn(2), given_name="Linda", family_name="Park", sex="female",
        birth_date=years_before(today, 46) - datetime.timedelta(days=81),
        phone="503-555-0157", email="linda.park@example.org",
        address_line="815 NE Fremont St", city="Portland", state="OR", postal_code="97212",
        preferred_language="en",
        emergency_contact_name="Daniel Park", emergency_contact_relationship="spouse",
        emergency_contact_phone="503-555-0158",
        conditions=(_condition("S46.012A", "soft-tissue", "shoulder", "left", _ago(today, 75)),),
        medications=(),
        allergies=(AllergySpec("Penicillin", "medication", "low", "Rash"),),
        care_team=(MembershipSpec("ben", "lead", _ago(today, 60)),),
    )


def _maria_gonzalez(today: datetime.date) -> PatientSpec:
    """41, prefers Spanish; plantar fasciitis and low back pain; latex allergy; ben leads, maya massages."""
    return PatientSpec(
        index=3, mrn=mrn(3), given_name="María", family_name="González", sex="female",
        birth_date=years_before(today, 41) - datetime.timedelta(days=200),
        phone="971-555-0121", email="maria.gonzalez@example.com",
        address_line="6120 SE Foster Rd", city="Portland", state="OR", postal_code="97206",
        preferred_language="es",
        emergency_contact_name="José González", emergency_contact_relationship="spouse",
        emergency_contact_phone="971-555-0122",
        conditions=(
            _condition("M72.2", "soft-tissue", "ankle-foot", "right", _ago(today, 300)),
            _condition("M54.50", "soft-tissue", "lumbar", "", _ago(today, 900)),
        ),
        medications=(
            MedicationSpec("Naproxen", "500 mg by mouth twice daily as needed", "active", _ago(today, 120)),
        ),
        allergies=(AllergySpec("Latex", "environment", "high", "Hives and wheezing"),),
        care_team=(
            MembershipSpec("ben", "lead", _ago(today, 110)),
            MembershipSpec("maya", "member", _ago(today, 95)),
        ),
    )


def _thomas_nguyen(today: datetime.date) -> PatientSpec:
    """34, whiplash three weeks ago, headaches; alice leads, maya; ben's membership ended four days ago."""
    return PatientSpec(
        index=4, mrn=mrn(4), given_name="Thomas", family_name="Nguyen", preferred_name="Tom", sex="male",
        birth_date=years_before(today, 34) - datetime.timedelta(days=150),
        phone="503-555-0188", email="tom.nguyen@example.net",
        address_line="4410 N Williams Ave Apt 12", city="Portland", state="OR", postal_code="97227",
        preferred_language="en",
        emergency_contact_name="Linh Nguyen", emergency_contact_relationship="mother",
        emergency_contact_phone="503-555-0189",
        conditions=(
            _condition("S13.4XXA", "soft-tissue", "cervical", "", _ago(today, 21)),
            _condition("G44.209", "soft-tissue", "head", "", _ago(today, 19)),
        ),
        medications=(
            MedicationSpec("Cyclobenzaprine", "10 mg at bedtime as needed", "active", _ago(today, 20)),
            MedicationSpec("Ibuprofen", "400 mg by mouth every 6 hours as needed", "active", _ago(today, 21)),
        ),
        allergies=(),
        care_team=(
            MembershipSpec("alice", "lead", _ago(today, 18)),
            MembershipSpec("maya", "member", _ago(today, 14)),
            MembershipSpec("ben", "member", _ago(today, 18), _ago(today, 4)),
        ),
    )


def _grace_whitaker(today: datetime.date) -> PatientSpec:
    """77, lumbar stenosis, left knee OA; apixaban, alendronate; NSAID allergy; all three disciplines."""
    stenosis = f"MRI {_ago(today, 400).isoformat()}: severe central canal stenosis at L3-L4 and L4-L5"
    knee = (
        f"X-ray {_ago(today, 700).isoformat()}: medial joint-space narrowing and osteophytes, left knee "
        "(Kellgren-Lawrence grade 3)"
    )
    return PatientSpec(
        index=5, mrn=mrn(5), given_name="Grace", family_name="Whitaker", sex="female",
        birth_date=years_before(today, 77) - datetime.timedelta(days=30),
        phone="503-555-0176", email="",
        address_line="1930 SE Woodstock Blvd", city="Portland", state="OR", postal_code="97206",
        preferred_language="en",
        emergency_contact_name="Susan Whitaker", emergency_contact_relationship="daughter",
        emergency_contact_phone="360-555-0177",
        conditions=(
            _condition("M48.062", "structural", "lumbar", "", _ago(today, 3 * 365), stenosis),
            _condition("M17.12", "structural", "knee", "left", _ago(today, 6 * 365), knee),
        ),
        medications=(
            MedicationSpec("Apixaban", "5 mg by mouth twice daily", "active", _ago(today, 2 * 365)),
            MedicationSpec("Alendronate", "70 mg by mouth once weekly", "active", _ago(today, 4 * 365)),
            MedicationSpec("Lisinopril", "10 mg by mouth once daily", "active", _ago(today, 9 * 365)),
        ),
        allergies=(
            AllergySpec("NSAIDs (ibuprofen, naproxen)", "medication", "high", "Angioedema"),
            AllergySpec("Arnica", "medication", "low", "Contact dermatitis"),
        ),
        care_team=(
            MembershipSpec("alice", "lead", _ago(today, 420)),
            MembershipSpec("ben", "member", _ago(today, 410)),
            MembershipSpec("maya", "member", _ago(today, 300)),
        ),
    )
