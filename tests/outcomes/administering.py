"""Fixtures of administered measures (imported by the tests of administration, not a conftest: other helpers
share this folder): Robert Hale's active low-back plan (alice leads), and finished visits of it."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from tandem.careplans import services as careplans
from tandem.careplans.models import Activity, CarePlan, CarePlanStatus
from tandem.charting.models import Encounter
from tandem.patients.models import Patient

ODI_ANSWERS = [3, 2, 2, 1, 3, 2, 1, 2, 1, 2]  # 19 / 50 x 100 = 38 %: severe disability (21-40)


@pytest.fixture
def robert_plan(alice, patient: Patient) -> CarePlan:
    """Started four weeks ago; made active directly (activation has its own tests in careplans)."""
    plan = careplans.careplan_create(
        actor=alice,
        patient=patient,
        data={
            "title": "Low back pain, concurrent care",
            "period_start_on": timezone.localdate() - datetime.timedelta(weeks=4),
        },
    )
    CarePlan.objects.filter(pk=plan.pk).update(status=CarePlanStatus.ACTIVE)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def finished_visit(ben, dana, robert_plan, clinic_hours, next_monday) -> Callable[[int], Encounter]:
    """finished_visit(slot): a physical therapy visit of Robert's plan, today, checked in and finished."""
    from tests.conftest import room_named

    from tandem.charting import services as charting
    from tandem.scheduling import services as scheduling
    from tandem.scheduling.models import Appointment

    activity = careplans.activity_add(
        actor=ben,
        plan=robert_plan,
        data={
            "kind": "therapeutic-exercise",
            "techniques": ["pt-therapeutic-exercise"],
            "body_sites": ["lumbar"],
            "visits_per_week": 2,
            "weeks": 6,
            "visit_minutes": 30,
        },
    )
    Activity.objects.filter(pk=activity.pk).update(status="in-progress")

    def visit(slot: int) -> Encounter:
        appointment = scheduling.appointment_book(
            actor=dana,
            patient=robert_plan.patient,
            data={
                "practitioner": ben.practitioner.pk,
                "room": room_named(clinic_hours, "Gym floor").pk,
                "starts_at": datetime.datetime.combine(next_monday, datetime.time(9 + slot, 0)).isoformat(),
                "minutes": 30,
                "activity": activity.pk,
            },
        )
        starts = scheduling.at(timezone.localdate(), datetime.time(0, 0)) + datetime.timedelta(
            minutes=40 * slot
        )
        Appointment.objects.filter(pk=appointment.pk).update(
            starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30)
        )
        appointment.refresh_from_db()
        scheduling.appointment_set_status(actor=dana, appointment=appointment, to="arrived")
        encounter = charting.encounter_start(actor=ben, appointment=appointment)
        return charting.encounter_finish(actor=ben, encounter=encounter)

    return visit
