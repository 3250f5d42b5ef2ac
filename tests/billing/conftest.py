"""Signed visits to bill, modelled on tests/charting/conftest.py: appointments booked through the scheduling
service and checked in today, notes written and signed through the charting services.

Grace Tran has no medication (so the safety engine lets every technique through), a lumbar and a thoracic
problem and an address; alice leads her care team, ben and maya are on it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from tests.charting.conftest import visits_checked_in

from tandem.accounts.models import User
from tandem.careplans.models import Activity
from tandem.charting import services as charting
from tandem.charting.models import Encounter, Note
from tandem.patients.models import Patient
from tandem.patients.services import care_team_add, condition_create
from tandem.scheduling.models import Appointment

SOAP = {
    "subjective": "Low back stiff in the mornings; pain 5/10.",
    "objective": "Restricted lumbar flexion; hypertonic paraspinals.",
    "assessment": "Improving against the goal of ODI ≤ 30.",
    "plan": "Continue twice weekly.",
}
HOURS = (8, 9, 10, 11, 13, 14, 15, 16, 17)
ROOMS = {"chiropractic": "Adjusting 1", "physical-therapy": "Gym floor", "massage-therapy": "Massage 1"}


def pt_data(*rows: tuple[str, int, list[str]]) -> dict[str, Any]:
    """A PT note's fields: (technique, minutes, body sites) per row."""
    return {
        "techniques": [{"technique": t, "minutes": m, "body_sites": sites} for t, m, sites in rows],
        "exercises": [{"name": "Bird dog", "sets": 3, "repetitions": 10}],
    }


def chiro_data(*rows: tuple[str, list[str]]) -> dict[str, Any]:
    """A chiropractic note's fields: (region, segments) per adjustment, diversified HVLA."""
    return {
        "adjustments": [
            {"region": region, "segments": segments, "technique": "chiro-hvla"} for region, segments in rows
        ],
        "response": "Tolerated well; flexion improved.",
    }


def massage_data(sites: list[str], *rows: tuple[str, int]) -> dict[str, Any]:
    """A massage note's fields: body sites, (technique, minutes) per row."""
    return {
        "techniques": [{"technique": t, "minutes": m} for t, m in rows],
        "body_sites": sites,
        "pressure": "moderate",
        "nprs_before": 5,
        "nprs_after": 3,
        "response": "Tension eased.",
    }


@pytest.fixture
def grace(alice, ben, maya, new_patient) -> Patient:
    """Grace Tran, 45, low back pain and thoracic dysfunction, no medication; alice leads, ben and maya on
    the team."""
    person = new_patient(
        alice,
        "Grace",
        "Tran",
        birth_date=datetime.date(1981, 6, 14),
        sex="female",
        address_line="2200 NE Broadway",
        city="Portland",
        state="OR",
        postal_code="97232",
    )
    care_team_add(actor=alice, patient=person, practitioner=ben.practitioner)
    care_team_add(actor=alice, patient=person, practitioner=maya.practitioner)
    condition_create(
        actor=alice,
        patient=person,
        data={"code": "M99.03", "body_site": "lumbar", "category": "structural", "evidence": "X-ray"},
    )
    condition_create(
        actor=alice,
        patient=person,
        data={"code": "M99.02", "body_site": "thoracic", "category": "structural", "evidence": "X-ray"},
    )
    condition_create(actor=alice, patient=person, data={"code": "M62.830", "category": "soft-tissue"})
    return person


@pytest.fixture
def checked_in(dana, clinic_hours, next_monday) -> Callable[..., Appointment]:
    """checked_in(patient, practitioner_user, activity=None): tests/charting's checked-in visit, in the room
    of the practitioner's discipline."""
    book = visits_checked_in(dana, clinic_hours, next_monday)

    def make(patient: Patient, practitioner: User, activity: Activity | None = None) -> Appointment:
        return book(patient, practitioner, ROOMS[practitioner.practitioner.discipline], activity)

    return make


@pytest.fixture
def signed_visit(alice, checked_in) -> Callable[..., Note]:
    """signed_visit(patient, clinician, data, days_ago=0, cosign=True, activity=None): the clinician's note
    of a checked-in visit, signed (and co-signed by alice when it is maya's). `days_ago` moves the visit back
    to an earlier date of service before the note is written."""

    def make(
        patient: Patient,
        clinician: User,
        data: dict[str, Any],
        *,
        days_ago: int = 0,
        cosign: bool = True,
        activity: Activity | None = None,
    ) -> Note:
        appointment = checked_in(patient, clinician, activity)
        encounter = charting.encounter_start(actor=clinician, appointment=appointment)
        if days_ago:
            Encounter.objects.filter(pk=encounter.pk).update(
                started_at=encounter.started_at - datetime.timedelta(days=days_ago)
            )
            encounter.refresh_from_db()
        note = charting.note_start(actor=clinician, encounter=encounter)
        note = charting.note_save_draft(actor=clinician, note=note, changes={"data": data, **SOAP})
        note = charting.note_sign(actor=clinician, note=note)
        if note.needs_cosign and cosign:
            note = charting.note_cosign(actor=alice, note=note)
        return note

    return make


def encounter_of(note: Note) -> Encounter:
    return Encounter.objects.select_related("organization", "patient").get(pk=note.encounter_id)
