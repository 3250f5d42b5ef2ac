"""`tandem optimise_schedule`: batch optimisation from the command line, proposals or (--confirm) bookings."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from tests.scheduling.test_booking_views import concurrent_plan

from tandem.scheduling.models import Appointment, PlanBooking, PlanBookingStatus

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("optimise_schedule", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def plan(alice, ben, maya, patient, clinic_hours):
    return concurrent_plan(alice, ben, maya, patient)


def test_it_proposes_every_active_plan_and_books_nothing_without_confirm(plan, next_monday):
    out = _run(
        "--location",
        "Riverside Main",
        "--weeks",
        "6",
        "--method",
        "greedy",
        "--starts-on",
        str(next_monday),
        "--as",
        "dana",
    )
    assert "Optimising the active plans at Riverside Main over 6 weeks (greedy" in out
    assert f"{plan.patient.mrn}   24 of  24 visits" in out
    assert "1 plans, 24 of 24 visits placed (100%)" in out
    assert "Nothing is booked yet" in out
    assert PlanBooking.objects.get(plan=plan).status == PlanBookingStatus.PROPOSED
    assert not Appointment.objects.filter(status="booked").exists()


def test_confirm_books_the_proposals(plan, next_monday):
    out = _run(
        "--location",
        "Riverside Main",
        "--method",
        "greedy",
        "--starts-on",
        str(next_monday),
        "--confirm",
        "--as",
        "dana",
    )
    assert "as dana" in out and "Booked 1 proposals." in out
    assert Appointment.objects.filter(patient=plan.patient, status="booked").count() == 24


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--location", "Nowhere"), "No location named 'Nowhere'"),
        (("--location", "Riverside Main", "--as", "nobody"), "No active user named 'nobody'"),
        (("--location", "Riverside Main"), "Several clinics have a location named 'Riverside Main'"),
        (("--location", "Riverside Main", "--as", "dana", "--weeks", "99"), "Optimise 1 to 26 weeks"),
        (
            ("--location", "Riverside Main", "--as", "dana", "--time-limit", "0"),
            "--time-limit must be positive",
        ),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(plan, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert not PlanBooking.objects.exists()
