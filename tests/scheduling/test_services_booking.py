"""Booking a whole plan (booking.py): propose, confirm (all or nothing), discard, re-plan, batch mode."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from tests.careplans.conftest import adjustment, exercise, massage

from tandem.audit.models import AuditEvent
from tandem.careplans import services as careplans
from tandem.core import clock
from tandem.patients import services as patients
from tandem.scheduling import services
from tandem.scheduling.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    PlanBooking,
    PlanBookingStatus,
)

pytestmark = pytest.mark.django_db

pytest.importorskip("tandem.scheduling.planning", reason="the optimizer (planning.py) has not landed yet")

from tandem.scheduling import booking  # noqa: E402  (needs planning.py)


def occupying() -> int:
    return Appointment.objects.filter(status__in=OCCUPYING_STATUSES).count()


def per_activity_week(rows, series_start: datetime.date) -> Counter[tuple[int, int]]:
    return Counter(
        (a.activity_id, (services.local(a.starts_at).date() - series_start).days // 7) for a in rows
    )


@pytest.fixture
def robert_plan(alice, patient):
    """Adjustment 2x/week (20 min) and exercise 2x/week (30 min), 3 weeks; the adjustment right before the
    exercise on the same day."""
    plan = careplans.careplan_create(
        actor=alice,
        patient=patient,
        data={"title": "Low back pain, 2026", "problems": [patient.conditions.get().pk]},
    )
    adjust = careplans.activity_add(actor=alice, plan=plan, data=adjustment(weeks=3))
    moves = careplans.activity_add(actor=alice, plan=plan, data=exercise(weeks=3))
    careplans.sequence_rule_add(
        actor=alice,
        plan=plan,
        data={"first_activity": adjust.pk, "second_activity": moves.pk, "relation": "immediately-before"},
    )
    return careplans.careplan_activate(actor=alice, plan=plan)


def propose(actor, plan, location, day, method: str = "greedy"):
    return booking.plan_booking_propose(
        actor=actor, plan=plan, location=location, starts_on=day, method=method, time_limit=3.0
    )


def test_a_proposal_places_every_visit_without_booking_any(dana, robert_plan, clinic_hours, next_monday):
    proposal = propose(dana, robert_plan, clinic_hours, next_monday)
    rows = list(proposal.appointments.all())
    assert proposal.status == PlanBookingStatus.PROPOSED and proposal.requested == 12
    assert len(rows) + len(proposal.unplaced) == 12
    assert len(rows) == 12, proposal.unplaced
    assert {a.status for a in rows} == {AppointmentStatus.PROPOSED}
    assert occupying() == 0
    assert set(per_activity_week(rows, proposal.series_start_on).values()) == {2}
    for visit in rows:
        blocks = services.working_blocks(
            visit.practitioner,
            clinic_hours,
            services.local(visit.starts_at).date(),
            services.local(visit.starts_at).date(),
        )
        assert any(b.starts_at <= visit.starts_at and visit.ends_at <= b.ends_at for b in blocks)
    assert proposal.rules_total == 6 and 0 <= proposal.rules_met <= 6
    assert AuditEvent.objects.filter(
        object_type="PlanBooking", object_id=str(proposal.pk), action="C"
    ).exists()


def test_cp_sat_meets_the_same_day_sequence(dana, robert_plan, clinic_hours, next_monday):
    proposal = propose(dana, robert_plan, clinic_hours, next_monday, method="cp-sat")
    assert proposal.method == "cp-sat" and proposal.appointments.count() == 12
    assert proposal.rules_met == proposal.rules_total == 6


def test_confirming_books_every_visit_and_audits_each(dana, robert_plan, clinic_hours, next_monday):
    proposal = propose(dana, robert_plan, clinic_hours, next_monday)
    confirmed = booking.plan_booking_confirm(actor=dana, booking=proposal)
    assert confirmed.status == PlanBookingStatus.CONFIRMED and confirmed.decided_by == dana
    assert set(proposal.appointments.values_list("status", flat=True)) == {"booked"}
    assert occupying() == 12
    assert (
        AuditEvent.objects.filter(
            object_type="Appointment", action="C", detail__contains=f"plan booking {proposal.pk}"
        ).count()
        == 12
    )
    with pytest.raises(ValidationError) as again:
        booking.plan_booking_confirm(actor=dana, booking=proposal)
    assert again.value.message_dict == {"status": ["This proposal is already confirmed."]}


@pytest.mark.parametrize("seconds", [50, 0])
def test_a_proposal_made_during_a_minute_starts_after_that_moment_and_confirms(
    dana, robert_plan, clinic_hours, next_monday, seconds
):
    # At 10:00:50 the first free slot is 10:15, not 10:00: that one has already begun (it did, by the
    # seconds, and confirming then refused it as past). At 10:00:00 sharp, 10:00 itself is still bookable.
    moment = services.at(next_monday, datetime.time(10, 0, seconds))
    with clock.replaying(moment):
        proposal = propose(dana, robert_plan, clinic_hours, next_monday)
        first = min(proposal.appointments.values_list("starts_at", flat=True))
        assert first >= moment and (first == moment) == (seconds == 0)
        confirmed = booking.plan_booking_confirm(actor=dana, booking=proposal)
        assert confirmed.status == PlanBookingStatus.CONFIRMED


def test_confirm_books_nothing_when_a_slot_was_taken_meanwhile(
    dana, robert_plan, other_patient, clinic_hours, next_monday
):
    proposal = propose(dana, robert_plan, clinic_hours, next_monday)
    first = proposal.appointments.order_by("starts_at").first()
    rooms = [
        r
        for r in clinic_hours.rooms.all()
        if r.pk != first.room_id and set(r.equipment) & set(first.room.equipment)
    ]
    services.appointment_book(
        actor=dana,
        patient=other_patient,
        data={
            "practitioner": first.practitioner_id,
            "room": rooms[0].pk,
            "starts_at": first.starts_at,
            "minutes": first.minutes,
        },
    )
    with pytest.raises(ValidationError) as taken:
        booking.plan_booking_confirm(actor=dana, booking=proposal)
    messages = taken.value.message_dict["booking"]
    assert (
        messages[0].startswith("Taken since the proposal: ")
        and messages[-1] == "Nothing was booked: propose again."
    )
    assert occupying() == 1
    proposal.refresh_from_db()
    assert proposal.status == PlanBookingStatus.PROPOSED
    assert set(proposal.appointments.values_list("status", flat=True)) == {"proposed"}


def test_discarding_removes_the_proposed_visits(dana, robert_plan, clinic_hours, next_monday):
    proposal = propose(dana, robert_plan, clinic_hours, next_monday)
    booking.plan_booking_discard(actor=dana, booking=proposal)
    proposal.refresh_from_db()
    assert proposal.status == PlanBookingStatus.DISCARDED and not proposal.appointments.exists()
    with pytest.raises(ValidationError):
        booking.plan_booking_discard(actor=dana, booking=proposal)
    assert AuditEvent.objects.filter(object_id=str(proposal.pk), detail__startswith="discarded").exists()


def test_a_new_proposal_discards_the_open_one(dana, robert_plan, clinic_hours, next_monday):
    old = propose(dana, robert_plan, clinic_hours, next_monday)
    new = propose(dana, robert_plan, clinic_hours, next_monday)
    old.refresh_from_db()
    assert old.status == PlanBookingStatus.DISCARDED and not old.appointments.exists()
    assert new.appointments.count() == 12


def test_re_planning_after_a_cancellation_proposes_only_the_missing_visit(
    dana, robert_plan, clinic_hours, next_monday
):
    first = propose(dana, robert_plan, clinic_hours, next_monday)
    booking.plan_booking_confirm(actor=dana, booking=first)
    week_two = next_monday + datetime.timedelta(days=7)
    gone = (
        Appointment.objects.filter(booking=first, starts_at__gte=services.at(week_two, datetime.time()))
        .order_by("starts_at")
        .first()
    )
    services.appointment_cancel(actor=dana, appointment=gone, reason="Patient away")
    again = propose(dana, robert_plan, clinic_hours, next_monday)
    assert again.requested == 1 and again.series_start_on == first.series_start_on
    [replacement] = again.appointments.all()
    assert replacement.activity_id == gone.activity_id
    week = (services.local(replacement.starts_at).date() - first.series_start_on).days // 7
    assert week == (services.local(gone.starts_at).date() - first.series_start_on).days // 7


def test_a_plan_whose_only_massage_awaits_approval_has_nothing_to_book(
    dana, alice, patient, clinic_hours, next_monday
):
    plan = careplans.careplan_create(actor=alice, patient=patient, data={"title": "Massage only"})
    careplans.activity_add(actor=alice, plan=plan, data=massage(), override_reason="Light only.")
    with pytest.raises(ValidationError) as refused:
        propose(dana, plan, clinic_hours, next_monday)
    assert refused.value.message_dict == {
        "plan": ["The plan has no activities to book (its massage waits for the supervisor's approval)."]
    }
    assert not PlanBooking.objects.exists()


def test_a_pending_massage_is_left_out_of_the_proposal(dana, alice, robert_plan, clinic_hours, next_monday):
    careplans.activity_add(
        actor=alice, plan=robert_plan, data=massage(weeks=3), override_reason="Light only."
    )
    proposal = propose(dana, robert_plan, clinic_hours, next_monday)
    assert proposal.requested == 12
    assert not proposal.appointments.filter(discipline="massage-therapy").exists()


def test_a_contraindicated_activity_stops_the_proposal(
    dana, alice, maya, new_patient, clinic_hours, next_monday
):
    jo = new_patient(alice, "Jo", "March")
    patients.care_team_add(actor=alice, patient=jo, practitioner=maya.practitioner)
    plan = careplans.careplan_create(actor=alice, patient=jo, data={"title": "Back"})
    deep = massage(techniques=["massage-deep-tissue"], body_sites=["lumbar"], massage_pressure="deep")
    order = careplans.activity_add(actor=alice, plan=plan, data=deep)
    careplans.activity_approve(actor=alice, activity=order)
    patients.medication_create(actor=alice, patient=jo, data={"medication": "Warfarin 5 mg"})
    with pytest.raises(ValidationError) as refused:
        propose(dana, plan, clinic_hours, next_monday)
    assert "Contraindicated" in " ".join(refused.value.message_dict["safety"])
    assert not PlanBooking.objects.exists() and not Appointment.objects.exists()


def test_a_closed_plan_or_a_foreign_location_is_refused(
    dana, robert_plan, clinic_hours, next_monday, outsider
):
    from tandem.accounts.models import Location

    foreign = Location.objects.exclude(organization=clinic_hours.organization).first()
    with pytest.raises(ValidationError) as refused:
        propose(dana, robert_plan, foreign, next_monday)
    assert refused.value.message_dict == {"location": ["Choose a location of this clinic."]}
    with pytest.raises(ValidationError) as method:
        propose(dana, robert_plan, clinic_hours, next_monday, method="astrology")
    assert "method" in method.value.message_dict


def test_batch_optimisation_proposes_for_every_active_plan_at_the_location(
    dana, alice, ben, robert_plan, other_patient, clinic_hours, next_monday
):
    linda_plan = careplans.careplan_create(actor=ben, patient=other_patient, data={"title": "Knee"})
    careplans.activity_add(
        actor=ben,
        plan=linda_plan,
        data=exercise(body_sites=["knee-left"], weeks=2, preferred_practitioner=ben.practitioner.pk),
    )
    careplans.careplan_activate(actor=ben, plan=linda_plan)
    robert_plan.activities.filter(discipline="chiropractic").update(preferred_practitioner=alice.practitioner)
    result = booking.location_optimise(
        actor=dana, location=clinic_hours, starts_on=next_monday, weeks=3, method="greedy", time_limit=3.0
    )
    by_plan = {b.plan_id: b for b in result.bookings}
    assert set(by_plan) == {robert_plan.pk, linda_plan.pk}
    assert result.requested == 12 + 4
    assert by_plan[linda_plan.pk].appointments.count() == 4
    assert occupying() == 0
    # The two patients' visits never share ben or a room at the same time.
    rows = list(Appointment.objects.filter(status="proposed"))
    for a in rows:
        for b in rows:
            if a.pk < b.pk and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                assert a.practitioner_id != b.practitioner_id and a.room_id != b.room_id


def test_confirm_books_nothing_when_time_off_was_added_meanwhile(
    alice, dana, robert_plan, clinic_hours, next_monday
):
    proposal = propose(dana, robert_plan, clinic_hours, next_monday)
    first = proposal.appointments.filter(practitioner=alice.practitioner).order_by("starts_at").first()
    services.time_off_add(
        actor=alice, practitioner=alice.practitioner, starts_at=first.starts_at, ends_at=first.ends_at
    )
    with pytest.raises(ValidationError) as refused:
        booking.plan_booking_confirm(actor=dana, booking=proposal)
    assert refused.value.message_dict["booking"][0].startswith(
        "No longer within working hours or now time off"
    )
    assert occupying() == 0


def test_confirm_is_refused_when_an_activity_was_removed_meanwhile(
    alice, dana, robert_plan, clinic_hours, next_monday
):
    proposal = propose(dana, robert_plan, clinic_hours, next_monday)
    careplans.activity_remove(actor=alice, activity=robert_plan.activities.get(discipline="chiropractic"))
    with pytest.raises(ValidationError) as refused:
        booking.plan_booking_confirm(actor=dana, booking=proposal)
    assert "changed since the proposal" in refused.value.message_dict["booking"][0]
    assert occupying() == 0


def test_visits_nobody_here_can_give_are_unplaced_with_the_reason_on_their_own_plan_only(
    alice, ben, dana, admin, maya, robert_plan, other_patient, clinic_hours, next_monday
):
    order = careplans.activity_add(
        actor=alice, plan=robert_plan, data=massage(weeks=1), override_reason="Light."
    )
    careplans.activity_approve(actor=alice, activity=order)
    for weekday in range(6):  # maya stops working at Riverside Main
        services.working_hours_set(
            actor=admin, practitioner=maya.practitioner, location=clinic_hours, weekday=weekday, data={}
        )
    linda_plan = careplans.careplan_create(actor=ben, patient=other_patient, data={"title": "Knee"})
    careplans.activity_add(
        actor=ben,
        plan=linda_plan,
        data=exercise(body_sites=["knee-left"], weeks=1, preferred_practitioner=ben.practitioner.pk),
    )
    careplans.careplan_activate(actor=ben, plan=linda_plan)
    robert_plan.activities.filter(discipline="chiropractic").update(preferred_practitioner=alice.practitioner)
    result = booking.location_optimise(
        actor=dana, location=clinic_hours, starts_on=next_monday, weeks=3, method="greedy", time_limit=3.0
    )
    by_plan = {b.plan_id: b for b in result.bookings}
    assert by_plan[robert_plan.pk].unplaced == [
        {
            "activity": order.pk,
            "week": 1,
            "reason": "Nobody practising massage therapy works at Riverside Main.",
        }
    ]
    assert by_plan[robert_plan.pk].requested == 13
    assert by_plan[linda_plan.pk].unplaced == [] and by_plan[linda_plan.pk].requested == 2


@pytest.mark.parametrize(
    ("reason", "week", "offset", "expected"),
    [
        ("No massage therapist works in week 3", 2, 0, "No massage therapist works in week 3"),
        ("No massage therapist works in week 3", 2, -2, "No massage therapist works in week 5"),
        ("Week 1 is already over", 0, -1, "Week 2 is already over"),
        ("Every chiropractor is booked in week 12", 11, 10, "Every chiropractor is booked in week 2"),
        ("Week 13 is outside the planning horizon", 0, -1, "Week 13 is outside the planning horizon"),
    ],
)
def test_unplaced_reasons_count_weeks_from_the_series_start(reason, week, offset, expected):
    from tandem.scheduling.booking import _renumber_week

    assert _renumber_week(reason, week, offset) == expected
