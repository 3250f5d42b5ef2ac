"""`tandem demo`: the schedule step (working hours, availability windows, booked plans)."""

from __future__ import annotations

import datetime
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.utils import timezone

from tandem.accounts.models import Practitioner
from tandem.careplans.models import CarePlan, CarePlanStatus
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    PatientAvailability,
    PlanBooking,
    PlanBookingStatus,
    WorkingHours,
)
from tandem.scheduling.services import at, local


def demo(patients: int, seed: int = 42) -> str:
    out = StringIO()
    call_command("demo", patients=patients, seed=seed, without_history=True, verbosity=1, stdout=out)
    return out.getvalue()


def test_it_books_every_active_plan_but_robert_hales_within_hours_and_windows(db):
    output = demo(patients=30)

    assert "booked appointments" in output
    practitioners = Practitioner.objects.filter(user__is_active=True)
    assert practitioners.exists()
    assert not practitioners.exclude(pk__in=WorkingHours.objects.values("practitioner_id")).exists()

    robert_plan = CarePlan.objects.get(patient__mrn="D0000001", status=CarePlanStatus.ACTIVE)
    assert not PlanBooking.objects.filter(plan=robert_plan).exists()
    assert not Appointment.objects.filter(patient=robert_plan.patient).exists()

    active = CarePlan.objects.filter(status=CarePlanStatus.ACTIVE).exclude(pk=robert_plan.pk)
    confirmed = PlanBooking.objects.filter(status=PlanBookingStatus.CONFIRMED)
    assert set(confirmed.values_list("plan_id", flat=True)) <= set(active.values_list("pk", flat=True))
    assert confirmed.count() >= active.count() - 1, "nearly every other active plan is booked"
    booked = Appointment.objects.filter(status=AppointmentStatus.BOOKED).select_related("patient")
    assert booked.count() >= 6 * confirmed.count()
    assert not booked.filter(booking__isnull=True).exists()

    hours = {(h.practitioner_id, h.weekday): h for h in WorkingHours.objects.all()}
    windows: dict[int, list[PatientAvailability]] = {}
    for window in PatientAvailability.objects.all():
        windows.setdefault(window.patient_id, []).append(window)
    assert windows, "some patients can only come at certain times"
    for visit in booked:
        starts, ends = local(visit.starts_at), local(visit.ends_at)
        day = hours[(visit.practitioner_id, starts.weekday())]
        assert day.starts_at <= starts.time() and ends.time() <= day.ends_at, visit
        if day.break_starts_at:
            assert ends.time() <= day.break_starts_at or starts.time() >= day.break_ends_at, visit
        if visit.patient_id in windows:
            assert any(
                w.weekday == starts.weekday() and w.starts_at <= starts.time() and ends.time() <= w.ends_at
                for w in windows[visit.patient_id]
            ), visit


def test_it_books_nothing_twice_when_run_again(db):
    demo(patients=12)
    counts = (Appointment.objects.count(), PlanBooking.objects.count(), WorkingHours.objects.count())

    demo(patients=12)

    assert (Appointment.objects.count(), PlanBooking.objects.count(), WorkingHours.objects.count()) == counts


def test_run_again_mid_morning_it_has_nothing_to_do(db):
    # Plans starting today were once proposed from the minute, seconds dropped: at 10:00:50 the 10:00 slot
    # was proposed, confirming refused it as past, and every later run retried the plans and counted the
    # refusal as a change. The clock here runs on from 10:00:50 today in the clinic's time zone.
    real_now = timezone.now
    offset = at(timezone.localdate(), datetime.time(10, 0, 50)) - real_now()
    with mock.patch("django.utils.timezone.now", lambda: real_now() + offset):
        first = demo(patients=20)
        again = demo(patients=20)
    assert "refused" not in first and "booked appointments" in first
    assert "Nothing to do" in again
