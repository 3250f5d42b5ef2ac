"""`tandem demo`: the demo clinic is complete, deterministic, valid, and safe to load again."""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tandem.accounts.models import Location, Practitioner, Role, Room, User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.audit.services import audit_verify
from tandem.careplans.models import Activity, CarePlan, Goal, PlanVersion, SequenceRule
from tandem.core.vocabularies import AXIAL_CODES, LIMB_CODES
from tandem.demo import data, generator
from tandem.demo.specs import age_on
from tandem.patients import icd10
from tandem.patients.drug_classes import risk_flags_for
from tandem.patients.models import (
    AllergyIntolerance,
    CareTeamMember,
    Condition,
    MedicationStatement,
    Patient,
)
from tandem.referrals.models import ExternalProvider, Referral, ReferralEvent, ReferralLetter
from tandem.safety.models import IntakeScreening, SafetyOverride
from tandem.scheduling.models import Appointment

MODELS = (
    Patient,
    Condition,
    MedicationStatement,
    AllergyIntolerance,
    CareTeamMember,
    User,
    Practitioner,
    Location,
    Room,
    AuditEvent,
    ExternalProvider,
    Referral,
    ReferralEvent,
    ReferralLetter,
    CarePlan,
    Goal,
    Activity,
    SequenceRule,
    PlanVersion,
    IntakeScreening,
    SafetyOverride,
)
# What the bulk import writes without the per-row services (so without audit entries).
BULK_TYPES = ("Patient", "Condition", "MedicationStatement", "AllergyIntolerance", "CareTeamMember", "User")


def demo(patients: int = 40, seed: int = 42) -> str:
    out = StringIO()
    call_command("demo", patients=patients, seed=seed, without_history=True, verbosity=0, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def snapshot() -> dict[str, tuple[object, ...]]:
    """What identifies each demo patient: name, birth date, sex and problem codes, by MRN."""
    return {
        p.mrn: (
            p.given_name,
            p.family_name,
            p.birth_date,
            p.sex,
            tuple(sorted(c.code for c in p.conditions.all())),
        )
        for p in Patient.objects.prefetch_related("conditions")
    }


def care_snapshot() -> tuple[tuple[object, ...], ...]:
    """What identifies the care-coordination scenarios: each referral and plan by patient, in order."""
    referrals = tuple(
        Referral.objects.order_by("patient__mrn", "pk").values_list(
            "patient__mrn", "kind", "status", "priority", "techniques", "body_sites", "reason"
        )
    )
    plans = tuple(
        CarePlan.objects.order_by("patient__mrn", "pk").values_list("patient__mrn", "title", "status")
    )
    return referrals + plans


class _Rollback(Exception):
    pass


def loaded_then_forgotten(patients: int, seed: int = 42) -> tuple[dict, tuple]:
    """Load the demo clinic in a savepoint, take its snapshots, and roll it all back.

    (Screenings and safety overrides are append-only in the database, so a clinic cannot be deleted.)
    """
    taken: list = []
    try:
        with transaction.atomic():
            demo(patients=patients, seed=seed)
            taken += [snapshot(), care_snapshot()]
            raise _Rollback
    except _Rollback:
        pass
    assert Patient.objects.count() == 0
    return taken[0], taken[1]


def open_team(patient: Patient) -> dict[str, str]:
    members = patient.care_team.filter(ended_on__isnull=True).select_related("practitioner__user")
    return {m.practitioner.user.username: m.role for m in members}


def test_it_builds_the_personas_and_key_patients(db):
    output = demo(patients=30)

    for username, role in [
        ("alice", Role.CLINICIAN),
        ("ben", Role.CLINICIAN),
        ("maya", Role.CLINICIAN),
        ("dana", Role.FRONT_DESK),
        ("admin", Role.CLINIC_ADMIN),
    ]:
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.organization.name == "Riverside Spine & Wellness"
        assert user.check_password("tandem-demo")
        assert username in output
    assert User.objects.get(username="alice").practitioner.locations.count() == 2
    assert User.objects.get(username="pt2").practitioner.display_name == "Priya Shah, DPT"
    assert Room.objects.filter(location__organization__name="Riverside Spine & Wellness").count() == 9

    robert = Patient.objects.get(mrn="D0000001")
    assert robert.full_name == "Robert Hale"
    assert age_on(robert.birth_date, timezone.localdate()) == 58
    disc = robert.conditions.get(code="M51.362")
    assert (disc.body_site, disc.laterality, disc.category) == ("lumbar", "", "structural")
    assert disc.evidence == "MRI 2026-03-02: advanced L4-L5 disc degeneration"
    assert ["anticoagulant"] in [m.risk_flags for m in robert.medications.all()]
    assert open_team(robert) == {"alice": "lead", "ben": "member", "maya": "member"}

    linda = Patient.objects.get(mrn="D0000002")
    assert linda.full_name == "Linda Park"
    assert open_team(linda) == {"ben": "lead"}
    thomas = Patient.objects.get(mrn="D0000004")
    assert "ben" not in open_team(thomas)
    assert thomas.care_team.filter(practitioner__user__username="ben", ended_on__isnull=False).exists()


def test_it_generates_the_same_patients_from_the_same_seed(db):
    first, first_care = loaded_then_forgotten(40, seed=7)
    again, again_care = loaded_then_forgotten(40, seed=7)
    other, other_care = loaded_then_forgotten(40, seed=8)

    assert again == first
    assert again_care == first_care and len(first_care) > 30
    assert other_care != first_care
    assert len(first) == 40
    keys = [f"D000000{i}" for i in range(1, 6)]
    assert [other[mrn] for mrn in keys] == [first[mrn] for mrn in keys]  # key patients ignore the seed
    generated = [mrn for mrn in first if mrn not in keys]
    assert sum(other[mrn] != first[mrn] for mrn in generated) > 30


def test_it_changes_nothing_when_run_twice(db):
    demo(patients=40)
    before = counts()
    output = demo(patients=40)
    smaller = demo(patients=12)

    assert counts() == before
    assert "Nothing to do" in output and "nothing was changed" in output
    assert "Nothing to do" in smaller


def test_it_adds_only_the_missing_patients_for_a_larger_n(db):
    in_one_step, care_in_one_step = loaded_then_forgotten(45)
    demo(patients=30)
    existing = {p.mrn: (p.pk, p.updated_at) for p in Patient.objects.all()}
    output = demo(patients=45)

    grown = {p.mrn: (p.pk, p.updated_at) for p in Patient.objects.all()}
    assert len(grown) == 45
    assert {mrn: grown[mrn] for mrn in existing} == existing
    assert sorted(set(grown) - set(existing)) == [f"D{i:07d}" for i in range(31, 46)]
    assert "15 patients" in output

    assert snapshot() == in_one_step  # patient i does not depend on N
    assert care_snapshot() == care_in_one_step  # nor do the scenarios of patient i


def test_it_writes_one_audit_entry_per_run_that_changes_something(db):
    demo(patients=20)
    demo(patients=20)
    demo(patients=25)

    entries = AuditEvent.objects.filter(object_type="DemoClinic").order_by("sequence")
    assert [e.actor_label for e in entries] == ["admin", "admin"]
    assert "patients D0000001-D0000020" in entries[0].detail
    assert "patients D0000021-D0000025" in entries[1].detail
    assert "referrals: " in entries[0].detail and "care plans: " in entries[0].detail
    # Nothing per bulk row. The only entries of those types are the booking service's: a visit booked with a
    # practitioner not yet on the patient's care team adds them to it (audited, as any booking does). Whether
    # that happens depends on the hour the demo runs (who still has room today), so it may be none.
    for event in AuditEvent.objects.filter(object_type__in=BULK_TYPES):
        assert (event.object_type, event.action, event.actor_label) == (
            "CareTeamMember",
            AuditAction.CREATE,
            "dana",
        )
        member = CareTeamMember.objects.get(pk=event.object_id)
        assert Appointment.objects.filter(patient=member.patient, practitioner=member.practitioner).exists()
        assert member.patient_id == event.patient_id
    # The care scenarios went through the services: each step is in the trail, with its patient.
    referral_entries = AuditEvent.objects.filter(object_type="Referral")
    assert referral_entries.count() >= Referral.objects.count() * 2
    assert not referral_entries.filter(patient_id__isnull=True).exists()
    assert audit_verify()[1] is None


def test_it_uses_only_billable_icd10_codes(db):
    demo(patients=60)

    codes = set(Condition.objects.values_list("code", flat=True))
    assert len(codes) > 15
    for code in codes:
        assert icd10.lookup(code).code == code
    assert codes <= set(generator.code_descriptions())


def test_it_records_sides_only_on_limbs_and_evidence_on_structural_problems(db):
    demo(patients=60)

    today = timezone.localdate()
    for condition in Condition.objects.all():
        if condition.body_site in LIMB_CODES:
            assert condition.laterality in {"left", "right", "bilateral"}, condition
        else:
            assert condition.body_site in AXIAL_CODES | {""} and condition.laterality == "", condition
        assert condition.onset_on <= today
        if condition.category == "structural":
            assert condition.evidence, condition
        condition.full_clean(exclude=["patient", "recorded_by"])
    for model in (Patient, MedicationStatement, AllergyIntolerance, CareTeamMember):
        for row in model.objects.all():
            row.full_clean(exclude=["organization", "patient", "recorded_by", "added_by", "practitioner"])


def test_it_gives_every_patient_exactly_one_open_lead_who_is_a_dc_or_pt(db):
    demo(patients=60)

    leads = Patient.objects.annotate(
        open_leads=Count("care_team", filter=Q(care_team__role="lead", care_team__ended_on__isnull=True))
    )
    assert Counter(leads.values_list("open_leads", flat=True)) == Counter({1: 60})
    lead_disciplines = set(
        CareTeamMember.objects.filter(role="lead", ended_on__isnull=True).values_list(
            "practitioner__discipline", flat=True
        )
    )
    assert lead_disciplines <= {"chiropractic", "physical-therapy"}
    assert CareTeamMember.objects.filter(ended_on__isnull=False).exists()


def test_it_refuses_to_extend_a_clinic_loaded_with_another_seed(db):
    demo(patients=20, seed=1)
    before = counts()

    with pytest.raises(CommandError, match="not generated with seed 2"):
        demo(patients=30, seed=2)
    assert counts() == before


def test_it_stops_before_writing_anything_if_a_code_is_not_billable(db, monkeypatch):
    bad = data.ProblemTemplate("M54.5", "soft-tissue", ("lumbar",), "", 1, ("x",))  # a category, not billable
    monkeypatch.setattr(data, "PROBLEMS", (*data.PROBLEMS, bad))
    generator.code_descriptions.cache_clear()
    try:
        with pytest.raises(CommandError, match="M54.5 is a category"):
            demo(patients=10)
    finally:
        generator.code_descriptions.cache_clear()
    assert User.objects.count() == 0 and Patient.objects.count() == 0


def test_it_hires_a_colleague_per_150_patients_without_changing_earlier_patients():
    staff = {n: {c.username for c in generator.staff_for(n)} for n in (40, 150, 151, 100_000)}
    assert staff[40] == staff[150] == {"dc2", "pt2", "lmt2"}
    assert staff[151] == staff[150] | {"dc3", "pt3", "lmt3"}
    assert len(staff[100_000]) == 3 * (generator.CLINICIANS_PER_DISCIPLINE - 1)
    licenses = [c.license_number for c in generator.staff_for(100_000)]
    assert len(set(licenses)) == len(licenses)
    # Patient 100 never draws a colleague hired later.
    today = datetime.date(2026, 11, 23)
    usernames = {
        m.username for i in range(6, 151) for m in generator.generate_patient(42, i, today).care_team
    }
    assert usernames <= {"alice", "ben", "maya"} | staff[150]


def test_it_gives_a_realistic_mix_of_teams_and_medications():
    today = datetime.date(2026, 11, 23)
    patients = [generator.generate_patient(42, i, today) for i in range(6, 3006)]

    leads = Counter(p.lead_username for p in patients)
    assert 0.25 < leads["alice"] / len(patients) < 0.42
    flags = {"anticoagulant", "antiplatelet"}
    thinned = sum(any(flags & set(risk_flags_for(m.medication)) for m in p.medications) for p in patients)
    assert 0.10 <= thinned / len(patients) <= 0.15
    discipline = {c.username: c.discipline for c in generator.staff_for(3005)}
    discipline.update({persona: d for d, persona in data.STAFF_PERSONA.items()})
    shapes = Counter(
        frozenset(discipline[m.username] for m in p.care_team if m.ended_on is None) for p in patients
    )
    assert len(shapes) == 6  # DC or PT alone, DC+LMT, DC+PT, PT+LMT and all three
    ages = [age_on(p.birth_date, today) for p in patients]
    assert min(ages) >= 18 and max(ages) <= 85
    assert {p.preferred_language for p in patients} == {"en", "es", "vi", "zh", "ru"}
