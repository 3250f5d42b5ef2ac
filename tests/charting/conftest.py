"""Visits to document: plans with approved activities, checked-in appointments, and the notes' fields.

Nora Quinn (no medication, alice leads, maya on the team, ben not) gets the acceptance story's massage plan:
three techniques. Robert Hale (warfarin) gets light Swedish massage approved with alice's override, for the
safety tests. Linda Park is ben's patient alone.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tandem.accounts.models import User
from tandem.careplans import services as careplans
from tandem.careplans.models import Activity
from tandem.charting import services as charting
from tandem.charting.models import Encounter, Note
from tandem.patients.models import Patient
from tandem.patients.services import care_team_add
from tandem.scheduling import services as scheduling
from tandem.scheduling.models import Appointment

THREE_TECHNIQUES = {
    "kind": "medical-massage",
    "techniques": ["massage-swedish", "massage-myofascial-release", "massage-trigger-point"],
    "body_sites": ["thoracic", "shoulder-left"],
    "massage_pressure": "moderate",
    "visits_per_week": 1,
    "weeks": 6,
    "visit_minutes": 60,
}
LIGHT_SWEDISH = {
    "kind": "medical-massage",
    "techniques": ["massage-swedish"],
    "body_sites": ["thoracic"],
    "massage_pressure": "light",
    "visits_per_week": 1,
    "weeks": 6,
    "visit_minutes": 45,
}
SOAP = {
    "subjective": "Neck and left shoulder tight after long desk days; pain 6/10 this morning.",
    "objective": "Hypertonic upper trapezius and levator scapulae, left more than right.",
    "assessment": "Tension down after treatment; on track for the goal of pain ≤ 3 by week 6.",
    "plan": "Continue weekly; add pectoral release next visit.",
}
# Booking hours on next Monday (the clinic's lunch break is 12–13).
HOURS = (8, 9, 10, 11, 13, 14, 15, 16, 17)


@pytest.fixture
def soap() -> dict[str, str]:
    return dict(SOAP)


@pytest.fixture
def refused() -> Callable[..., dict[str, list[str]]]:
    """refused(service, **kwargs): the field messages of the ValidationError the call must raise."""

    def call(service: Callable[..., Any], **kwargs: Any) -> dict[str, list[str]]:
        with pytest.raises(ValidationError) as caught:
            service(**kwargs)
        return caught.value.message_dict

    return call


@pytest.fixture
def nora(alice, maya, new_patient) -> Patient:
    """Nora Quinn, 41, neck and shoulder pain, no medication: alice leads, maya is on the team, ben is not."""
    person = new_patient(alice, "Nora", "Quinn", birth_date=datetime.date(1985, 2, 1), sex="female")
    care_team_add(actor=alice, patient=person, practitioner=maya.practitioner)
    return person


def _approved_massage(alice: User, maya: User, person: Patient, title: str, order: dict, reason: str = ""):
    plan = careplans.careplan_create(actor=alice, patient=person, data={"title": title})
    activity = careplans.activity_add(
        actor=alice,
        plan=plan,
        data={**order, "preferred_practitioner": maya.practitioner.pk},
        override_reason=reason,
    )
    careplans.activity_approve(actor=alice, activity=activity)
    careplans.careplan_activate(actor=alice, plan=plan)
    return activity


@pytest.fixture
def nora_massage(alice, maya, nora) -> Activity:
    """Nora's approved massage: Swedish, myofascial release and trigger point therapy, thoracic and left
    shoulder, moderate pressure; alice supervises the plan."""
    return _approved_massage(alice, maya, nora, "Neck and shoulder pain", THREE_TECHNIQUES)


@pytest.fixture
def robert_massage(alice, maya, patient) -> Activity:
    """Robert takes warfarin: light Swedish on the thoracic spine, approved with alice's override."""
    return _approved_massage(
        alice,
        maya,
        patient,
        "Low back pain — concurrent",
        LIGHT_SWEDISH,
        reason="INR stable; light Swedish only, no pressure over the lumbar spine.",
    )


def visits_checked_in(
    dana: User, clinic_hours: Any, next_monday: datetime.date
) -> Callable[..., Appointment]:
    """checked_in(patient, practitioner_user, room_name, activity=None): an appointment booked through the
    scheduling service and checked in today.

    Booking refuses past times and check-in happens on the day of the visit only, so the visit is booked on
    next Monday and then moved to this morning (before opening, so it meets no other booking) to check in.
    """
    slots = itertools.count()

    def make(
        patient: Patient, practitioner: User, room: str, activity: Activity | None = None
    ) -> Appointment:
        slot = next(slots)
        appointment = scheduling.appointment_book(
            actor=dana,
            patient=patient,
            data={
                "practitioner": practitioner.practitioner.pk,
                "room": clinic_hours.rooms.get(name=room).pk,
                "starts_at": scheduling.at(next_monday, datetime.time(HOURS[slot], 0)).isoformat(),
                "minutes": 45,
                **({"activity": activity.pk} if activity else {}),
            },
        )
        # In UTC: minutes after local midnight, not wall-clock minutes (which skip an hour the day the clocks
        # go forward, making a visit that ends before it starts).
        midnight = scheduling.at(timezone.localdate(), datetime.time(0, 0)).astimezone(datetime.UTC)
        starts = midnight + datetime.timedelta(minutes=50 * slot)
        Appointment.objects.filter(pk=appointment.pk).update(
            starts_at=starts, ends_at=starts + datetime.timedelta(minutes=45)
        )
        appointment.refresh_from_db()
        return scheduling.appointment_set_status(actor=dana, appointment=appointment, to="arrived")

    return make


@pytest.fixture
def checked_in(dana, clinic_hours, next_monday) -> Callable[..., Appointment]:
    return visits_checked_in(dana, clinic_hours, next_monday)


@pytest.fixture
def massage_fields() -> dict[str, Any]:
    """What maya documents: three techniques with their minutes, trigger points, pain before and after."""
    return {
        "techniques": [
            {"technique": "massage-swedish", "minutes": 20},
            {"technique": "massage-myofascial-release", "minutes": "15"},
            {"technique": "massage-trigger-point", "minutes": 10},
        ],
        "body_sites": ["thoracic", "shoulder-left"],
        "pressure": "moderate",
        "trigger_points": [
            {"site": "shoulder-left", "muscle": "Upper trapezius", "status": "released"},
            {"site": "thoracic", "muscle": "Rhomboid major", "status": "found"},
        ],
        "muscle_tension": "High in the left upper trapezius, eased after release.",
        "nprs_before": 6,
        "nprs_after": "3",
        "response": "Tolerated well; range of neck rotation improved.",
        "home_care": "Heat 10 minutes twice a day; doorway pectoral stretch.",
    }


TRIGGER_MARKS = [
    {"site": "shoulder-left", "kind": "trigger-point", "view": "back", "note": "Upper trapezius"},
    {"site": "thoracic", "kind": "trigger-point", "view": "back"},
    {"site": "cervical", "kind": "pain", "view": "back"},
]


@pytest.fixture
def trigger_marks() -> list[dict[str, str]]:
    return [dict(mark) for mark in TRIGGER_MARKS]


@pytest.fixture
def documented(maya, checked_in, massage_fields, trigger_marks) -> Callable[..., Note]:
    """documented(patient, activity): maya's complete, unsigned massage note of a checked-in visit."""

    def make(patient: Patient, activity: Activity, fields: dict[str, Any] | None = None) -> Note:
        appointment = checked_in(patient, maya, "Massage 1", activity)
        encounter = charting.encounter_start(actor=maya, appointment=appointment)
        note = charting.note_start(actor=maya, encounter=encounter)
        return charting.note_save_draft(
            actor=maya,
            note=note,
            changes={"data": fields or massage_fields, "body_marks": trigger_marks, **SOAP},
        )

    return make


@pytest.fixture
def signed_massage_note(maya, nora, nora_massage, documented) -> Note:
    """Nora's massage note, signed by maya and waiting for alice's co-signature."""
    return charting.note_sign(actor=maya, note=documented(nora, nora_massage))


def encounter_of(note: Note) -> Encounter:
    return Encounter.objects.get(pk=note.encounter_id)
