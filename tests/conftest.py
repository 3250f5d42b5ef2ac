"""Personas as fixtures (STYLE.md): alice (DC, lead), ben (PT), maya (LMT, supervised), dana (front desk),
admin (clinic admin) and an outsider clinician from another clinic; and patients on and off their teams."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from tandem.accounts.models import Organization, Role, User
from tandem.accounts.services import token_create
from tandem.core.personas import PERSONAS, PersonaSpec, clinic, persona_user
from tandem.patients import services
from tandem.patients.models import CareTeamRole, Patient


@pytest.fixture
def organization(db) -> Organization:
    return clinic()[0]


@pytest.fixture
def personas(organization) -> dict[str, User]:
    users = {spec.username: persona_user(organization, spec) for spec in PERSONAS}
    other_clinic, _ = clinic("Elsewhere Physio")
    users["outsider"] = persona_user(
        other_clinic,
        PersonaSpec("olga", "Olga", "Petrova", Role.CLINICIAN, "physical-therapy", "DPT", "PT-555555"),
    )
    return users


@pytest.fixture
def alice(personas) -> User:
    return personas["alice"]


@pytest.fixture
def ben(personas) -> User:
    return personas["ben"]


@pytest.fixture
def maya(personas) -> User:
    return personas["maya"]


@pytest.fixture
def dana(personas) -> User:
    return personas["dana"]


@pytest.fixture
def admin(personas) -> User:
    return personas["admin"]


@pytest.fixture
def outsider(personas) -> User:
    return personas["outsider"]


def make_patient(actor: User, given: str = "Robert", family: str = "Hale", **extra: object) -> Patient:
    data = {
        "given_name": given,
        "family_name": family,
        "birth_date": datetime.date(1968, 4, 12),
        "sex": "male",
    }
    data.update(extra)
    return services.patient_create(actor=actor, data=data)


@pytest.fixture
def new_patient(db):
    """Register a patient as the given actor: new_patient(actor, given, family, **fields)."""
    return make_patient


@pytest.fixture
def patient(alice, ben, maya) -> Patient:
    """Robert Hale, 58, MRI-confirmed lumbar disc degeneration; alice leads, ben and maya are on the team."""
    robert = make_patient(alice, phone="503-555-0142")
    services.care_team_add(
        actor=alice, patient=robert, practitioner=ben.practitioner, role=CareTeamRole.MEMBER
    )
    services.care_team_add(
        actor=alice, patient=robert, practitioner=maya.practitioner, role=CareTeamRole.MEMBER
    )
    services.condition_create(
        actor=alice,
        patient=robert,
        data={
            "code": "M51.362",
            "body_site": "lumbar",
            "category": "structural",
            "evidence": "MRI 2026-03-02: advanced L4-L5 disc degeneration",
        },
    )
    services.medication_create(
        actor=alice, patient=robert, data={"medication": "Warfarin 5 mg", "dosage": "daily"}
    )
    return robert


@pytest.fixture
def other_patient(ben) -> Patient:
    """Linda Park: on ben's team only; alice and maya are not on it."""
    return make_patient(ben, "Linda", "Park", birth_date=datetime.date(1979, 9, 3), sex="female")


@pytest.fixture
def client_for():
    def login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def token_for():
    def make(user: User) -> dict[str, str]:
        _, secret = token_create(user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    # Argon2 is deliberately slow; the suite creates many users. Production hashing has its own test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Permission walk (tests/core/test_permission_walk.py): each app fills the URL parameters of its routes here,
# as {"robert": {param: id}, "linda": {param: id}}. Robert Hale has alice (lead), ben and maya on his team;
# Linda Park has ben only. Keep one fixture per app so apps do not edit each other's lines.


@pytest.fixture
def walk_ids_safety(alice, ben, patient, other_patient) -> dict[str, dict[str, int]]:
    from tandem.safety.services import screening_record

    robert = screening_record(actor=alice, patient=patient, data={"red_flags": ["night-pain"]})
    linda = screening_record(actor=ben, patient=other_patient, data={"factors": [{"factor": "pregnancy"}]})
    return {"robert": {"screening_id": robert.pk}, "linda": {"screening_id": linda.pk}}


@pytest.fixture
def walk_ids_referrals(alice, ben, maya, patient, other_patient) -> dict[str, dict[str, int]]:
    """Robert: alice's massage order to maya, sent. Linda: ben's referral out to a family physician, sent,
    which maya (not on Linda's team, not its addressee) must not reach."""
    from tandem.referrals import services as referrals

    contact = referrals.contact_create(
        actor=alice, data={"name": "Dr Hannah Cole", "specialty": "Family physician"}
    )
    order = referrals.referral_create(
        actor=alice,
        patient=patient,
        data={
            "kind": "massage-order",
            "reason": "Paraspinal guarding",
            "recipient_practitioner": maya.practitioner.pk,
            "techniques": ["massage-swedish"],
            "body_sites": ["lumbar"],
            "pressure_limit": "light",
            "session_count": 6,
            "sessions_per_week": 1,
        },
        override_reason="INR stable; light pressure only.",
    )
    referrals.referral_send(actor=alice, referral=order)
    out = referrals.referral_create(
        actor=ben,
        patient=other_patient,
        data={"kind": "external-out", "reason": "Night pain", "recipient_contact": contact.pk},
    )
    referrals.referral_send(actor=ben, referral=out)
    return {
        "robert": {"referral_id": order.pk, "contact_id": contact.pk},
        "linda": {"referral_id": out.pk, "contact_id": contact.pk},
    }


@pytest.fixture
def walk_ids_careplans(alice, ben, patient, other_patient) -> dict[str, dict[str, int]]:
    from tandem.careplans import services as careplans

    def plan_for(lead: User, person: Patient) -> dict[str, int]:
        plan = careplans.careplan_create(actor=lead, patient=person, data={"title": "Low back pain, 2026"})
        goal = careplans.goal_add(
            actor=lead, plan=plan, data={"description": "Less pain", "measure": "nprs", "baseline_value": 7}
        )
        moves = {
            "kind": "therapeutic-exercise",
            "techniques": ["pt-therapeutic-exercise"],
            "body_sites": ["lumbar"],
            "visits_per_week": 2,
            "weeks": 6,
            "visit_minutes": 30,
        }
        first = careplans.activity_add(actor=lead, plan=plan, data=moves)
        second = careplans.activity_add(actor=lead, plan=plan, data={**moves, "body_sites": ["thoracic"]})
        rule = careplans.sequence_rule_add(
            actor=lead,
            plan=plan,
            data={"first_activity": first.pk, "second_activity": second.pk, "relation": "same-day"},
        )
        return {
            "plan_id": plan.pk,
            "goal_id": goal.pk,
            "activity_id": first.pk,
            "rule_id": rule.pk,
            "number": 1,
        }

    return {"robert": plan_for(alice, patient), "linda": plan_for(ben, other_patient)}


# --- Scheduling -------------------------------------------------------------------------------------------


@pytest.fixture
def next_monday() -> datetime.date:
    """A Monday at least a day ahead: visits booked on it are in the future whatever time the suite runs."""
    from django.utils import timezone

    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


@pytest.fixture
def riverside(organization):
    from tandem.accounts.models import Location

    return Location.objects.get(organization=organization, name="Riverside Main")


@pytest.fixture
def clinic_hours(alice, ben, maya, admin, riverside):
    """alice, ben and maya work at Riverside Main Monday to Saturday 08:00–18:00, lunch 12:00–13:00."""
    from tandem.scheduling.services import working_hours_set

    hours = {"starts_at": "08:00", "ends_at": "18:00", "break_starts_at": "12:00", "break_ends_at": "13:00"}
    for person in (alice, ben, maya):
        person.practitioner.locations.add(riverside)
        for weekday in range(6):
            working_hours_set(
                actor=admin, practitioner=person.practitioner, location=riverside, weekday=weekday, data=hours
            )
    return riverside


def room_named(location, name: str):
    return location.rooms.get(name=name)


@pytest.fixture
def walk_ids_scheduling(
    alice, ben, dana, patient, other_patient, clinic_hours, next_monday, walk_ids_careplans
):
    from tandem.scheduling import services as scheduling
    from tandem.scheduling.models import CalendarFeed, PlanBooking

    riverside = clinic_hours

    def book(person: Patient, practitioner: User, room: str, hour: int) -> int:
        starts = datetime.datetime.combine(next_monday, datetime.time(hour, 0))
        return scheduling.appointment_book(
            actor=dana,
            patient=person,
            data={
                "practitioner": practitioner.practitioner.pk,
                "room": room_named(riverside, room).pk,
                "starts_at": starts.isoformat(),
                "minutes": 30,
            },
        ).pk

    def entry(person: Patient, practitioner: User) -> int:
        return scheduling.waitlist_add(
            actor=dana,
            patient=person,
            data={
                "location": riverside.pk,
                "discipline": practitioner.practitioner.discipline,
                "minutes": 30,
            },
        ).pk

    away = scheduling.time_off_add(
        actor=alice,
        practitioner=alice.practitioner,
        starts_at=datetime.datetime.combine(next_monday + datetime.timedelta(days=14), datetime.time(8)),
        ends_at=datetime.datetime.combine(next_monday + datetime.timedelta(days=14), datetime.time(18)),
        reason="Course",
    )
    feed = CalendarFeed.objects.create(owner=alice, practitioner=alice.practitioner, digest="0" * 64)

    def proposal(plan_id: int) -> int:
        return PlanBooking.objects.create(
            plan_id=plan_id,
            location=riverside,
            series_start_on=next_monday,
            starts_on=next_monday,
            weeks=6,
            method="greedy",
            solver_status="greedy",
            requested=0,
            created_by=alice,
        ).pk

    shared = {
        "practitioner_id": alice.practitioner.pk,
        "location_id": riverside.pk,
        "room_id": room_named(riverside, "Adjusting 1").pk,
        "time_off_id": away.pk,
        "feed_id": feed.pk,
        "token": 1,
    }
    return {
        "robert": {
            **shared,
            "appointment_id": book(patient, alice, "Adjusting 1", 9),
            "entry_id": entry(patient, alice),
            "booking_id": proposal(walk_ids_careplans["robert"]["plan_id"]),
        },
        "linda": {
            **shared,
            "appointment_id": book(other_patient, ben, "Gym floor", 9),
            "entry_id": entry(other_patient, ben),
            "booking_id": proposal(walk_ids_careplans["linda"]["plan_id"]),
        },
    }


@pytest.fixture
def walk_ids_charting(
    ben, dana, patient, other_patient, clinic_hours, next_monday
) -> dict[str, dict[str, int]]:
    """Ben's signed physical therapy note of a visit today, with a signed addendum, for Robert (alice, ben,
    maya on the team) and for Linda (ben only)."""
    from django.utils import timezone

    from tandem.billing.models import Charge, ClaimFile
    from tandem.charting import services as charting
    from tandem.scheduling import services as scheduling
    from tandem.scheduling.models import Appointment

    def note_for(person: Patient, hour: int, slot: int) -> dict[str, int]:
        appointment = scheduling.appointment_book(
            actor=dana,
            patient=person,
            data={
                "practitioner": ben.practitioner.pk,
                "room": room_named(clinic_hours, "Gym floor").pk,
                "starts_at": datetime.datetime.combine(next_monday, datetime.time(hour, 0)).isoformat(),
                "minutes": 30,
            },
        )
        # Check-in happens on the day of the visit: move it to the small hours of today first.
        starts = scheduling.at(timezone.localdate(), datetime.time(0, 0)) + datetime.timedelta(
            minutes=50 * slot
        )
        Appointment.objects.filter(pk=appointment.pk).update(
            starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30)
        )
        appointment.refresh_from_db()
        scheduling.appointment_set_status(actor=dana, appointment=appointment, to="arrived")
        encounter = charting.encounter_start(actor=ben, appointment=appointment)
        note = charting.note_start(actor=ben, encounter=encounter)
        soap = {key: "Walked." for key in ("subjective", "objective", "assessment", "plan")}
        data = {"techniques": [{"technique": "pt-therapeutic-exercise", "minutes": 15}]}
        note = charting.note_save_draft(actor=ben, note=note, changes={"data": data, **soap})
        note = charting.note_sign(actor=ben, note=note)
        addendum = charting.addendum_add(actor=ben, note=note, text="Home program reviewed by phone.")
        charting.addendum_sign(actor=ben, addendum=addendum)
        charge = Charge.objects.create(
            organization=person.organization,
            patient=person,
            encounter=encounter,
            note=note,
            service_on=timezone.localdate(),
            code="97110",
            units=1,
            minutes=15,
            regions=["lumbar"],
            diagnosis_codes=["M54.50"],
            unit_price=Decimal("52.00"),
            fee=Decimal("52.00"),
            rule="cms",
            created_by=ben,
        )
        return {
            "encounter_id": encounter.pk,
            "note_id": note.pk,
            "addendum_id": addendum.pk,
            "charge_id": charge.pk,
        }

    robert, linda = note_for(patient, 10, 0), note_for(other_patient, 11, 1)
    # The clinic's claim file of today's charges (a clinic's record, not one patient's).
    claim_file = ClaimFile.objects.create(
        organization=patient.organization,
        interchange_number=1,
        first_service_on=timezone.localdate(),
        last_service_on=timezone.localdate(),
        text="ISA*00*",
        valid=False,
        errors=["walk"],
        claim_count=2,
        line_count=2,
        total_charge=Decimal("104.00"),
    )
    claim_file.charges.set(Charge.objects.filter(pk__in=[robert["charge_id"], linda["charge_id"]]))
    return {
        "robert": {**robert, "claim_file_id": claim_file.pk},
        "linda": {**linda, "claim_file_id": claim_file.pk},
    }
