"""Booking, moving and changing the status of single appointments (services.py): rules and messages."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from tests.careplans.conftest import adjustment, massage

from tandem.audit.models import AuditEvent
from tandem.careplans import services as careplans
from tandem.patients import services as patients
from tandem.scheduling import services
from tandem.scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.django_db


def room_named(location, name: str):
    return location.rooms.get(name=name)


def moment(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return services.at(day, datetime.time(hour, minute))


@pytest.fixture
def book(dana, clinic_hours, next_monday):
    """book(patient, practitioner_user, room name, hour, minute=0, minutes=30, **data) as dana."""

    def make(person, who, room: str, hour: int, minute: int = 0, minutes: int = 30, **data: Any):
        return services.appointment_book(
            actor=data.pop("actor", dana),
            patient=person,
            data={
                "practitioner": who.practitioner.pk,
                "room": room_named(clinic_hours, room).pk,
                "starts_at": moment(data.pop("day", next_monday), hour, minute).isoformat(),
                "minutes": minutes,
                **data,
            },
        )

    return make


def refused(call, *args: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.message_dict


def test_it_books_a_visit_inside_working_hours_and_audits_it(book, patient, alice, dana):
    visit = book(patient, alice, "Adjusting 1", 9)
    assert visit.status == AppointmentStatus.BOOKED and visit.discipline == "chiropractic"
    assert (visit.minutes, services.hhmm(visit.starts_at)) == (30, "09:00")
    assert visit.location.name == "Riverside Main"
    event = AuditEvent.objects.get(object_type="Appointment", object_id=str(visit.pk), action="C")
    assert event.actor_id == dana.pk and event.patient_id == patient.pk


@pytest.mark.parametrize(
    ("hour", "minute", "minutes"),
    [(7, 30, 30), (17, 45, 30), (11, 45, 30), (12, 15, 30), (19, 0, 30)],
    ids=["before-opening", "past-closing", "into-lunch", "in-lunch", "evening"],
)
def test_it_refuses_a_visit_outside_hours_or_in_the_break(book, patient, alice, hour, minute, minutes):
    errors = refused(book, patient, alice, "Adjusting 1", hour, minute, minutes)
    assert "does not work at Riverside Main then" in errors["starts_at"][0]
    assert not Appointment.objects.exists()


def test_it_refuses_a_sunday_when_nobody_works(book, patient, alice, next_monday):
    errors = refused(book, patient, alice, "Adjusting 1", 10, day=next_monday + datetime.timedelta(days=6))
    assert "does not work" in errors["starts_at"][0]
    assert not Appointment.objects.exists()


def test_it_refuses_a_visit_in_time_off(book, patient, alice, next_monday):
    services.time_off_add(
        actor=alice,
        practitioner=alice.practitioner,
        starts_at=moment(next_monday, 10).isoformat(),
        ends_at=moment(next_monday, 11).isoformat(),
        reason="Dentist",
    )
    errors = refused(book, patient, alice, "Adjusting 1", 10, 30)
    assert "see the working hours and time off" in errors["starts_at"][0]
    assert book(patient, alice, "Adjusting 1", 11).pk  # right after the time off is fine
    assert Appointment.objects.count() == 1


def test_it_refuses_a_room_without_the_disciplines_equipment(book, patient, alice):
    errors = refused(book, patient, alice, "Massage 1", 9)
    assert errors["room"] == ["Massage 1 has no adjusting table, which a chiropractic visit needs."]
    assert not Appointment.objects.exists()


def test_it_refuses_a_room_of_another_location(book, patient, alice, organization, dana, next_monday):
    from tandem.accounts.models import Location

    room = room_named(Location.objects.get(organization=organization, name="Eastside"), "Adjusting 1")
    errors = refused(
        services.appointment_book,
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": room.pk,
            "starts_at": moment(next_monday, 9).isoformat(),
            "minutes": 30,
        },
    )
    # alice does not work at Eastside at all
    assert "does not work at Eastside" in errors["starts_at"][0]
    assert not Appointment.objects.exists()


def test_it_refuses_a_practitioner_already_booked(book, patient, other_patient, alice):
    book(patient, alice, "Adjusting 1", 9)
    errors = refused(book, other_patient, alice, "Adjusting 2", 9, 15)
    assert errors["starts_at"] == [f"{alice.practitioner.display_name} is already booked 09:00–09:30."]
    assert Appointment.objects.count() == 1


def test_it_refuses_a_room_already_in_use(book, patient, other_patient, alice, ben):
    book(patient, alice, "Adjusting 1", 9)
    # ben (PT) needs the gym floor; give Adjusting 1 the gym-floor equipment to isolate the room clash
    room = room_named(alice.practitioner.locations.get(), "Adjusting 1")
    room.equipment = [*room.equipment, "gym-floor"]
    room.save()
    errors = refused(book, other_patient, ben, "Adjusting 1", 9, 15)
    assert errors["starts_at"] == ["Adjusting 1 is already in use 09:00–09:30."]
    assert Appointment.objects.count() == 1


def test_it_refuses_a_patient_already_booked(book, patient, alice, ben):
    book(patient, alice, "Adjusting 1", 9)
    errors = refused(book, patient, ben, "Gym floor", 9, 15)
    assert errors["starts_at"] == ["The patient already has an appointment 09:00–09:30."]
    assert Appointment.objects.count() == 1


def test_back_to_back_visits_do_not_overlap(book, patient, alice, ben):
    book(patient, alice, "Adjusting 1", 9)
    assert book(patient, ben, "Gym floor", 9, 30).pk
    assert Appointment.objects.count() == 2


def test_a_cancelled_visit_frees_its_slot(book, patient, other_patient, alice, dana):
    first = book(patient, alice, "Adjusting 1", 9)
    services.appointment_cancel(actor=dana, appointment=first, reason="Patient called in sick")
    assert book(other_patient, alice, "Adjusting 1", 9).status == AppointmentStatus.BOOKED


def test_it_refuses_bad_input_naming_the_field(dana, patient, alice, clinic_hours):
    errors = refused(
        services.appointment_book,
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": room_named(clinic_hours, "Adjusting 1").pk,
            "starts_at": "2026-02-30T10:00",
            "minutes": 5,
        },
    )
    assert set(errors) == {"starts_at", "minutes"}
    assert not Appointment.objects.exists()


def test_it_refuses_a_time_in_the_past(book, patient, alice):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    errors = refused(book, patient, alice, "Adjusting 1", 9, day=yesterday)
    assert errors["starts_at"] == ["That time has passed: book a time from now on."]


def test_a_clinician_off_the_team_cannot_book(book, other_patient, alice, maya):
    errors = refused(book, other_patient, alice, "Adjusting 1", 9, actor=maya)
    assert errors == {"patient": ["No such patient."]}
    assert not Appointment.objects.exists()


# --- Activities: approval and the safety recheck ----------------------------------------------------------


@pytest.fixture
def plan(alice, patient):
    return careplans.careplan_create(actor=alice, patient=patient, data={"title": "Low back pain, 2026"})


def test_a_massage_awaiting_approval_cannot_be_booked(book, plan, patient, maya, alice):
    order = careplans.activity_add(actor=alice, plan=plan, data=massage(), override_reason="Light only.")
    assert order.approval == "pending"
    errors = refused(book, patient, maya, "Massage 1", 9, minutes=45, activity=order.pk)
    assert "has not approved this massage yet" in errors["activity"][0]
    assert not Appointment.objects.exists()
    careplans.activity_approve(actor=alice, activity=order)
    assert book(patient, maya, "Massage 1", 9, minutes=45, activity=order.pk).activity == order


def test_the_activitys_length_is_the_default(book, plan, patient, alice, dana, clinic_hours, next_monday):
    visit = careplans.activity_add(actor=alice, plan=plan, data=adjustment(visit_minutes=20))
    booked = services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": room_named(clinic_hours, "Adjusting 1").pk,
            "starts_at": moment(next_monday, 9).isoformat(),
            "activity": visit.pk,
        },
    )
    assert booked.minutes == 20 and booked.activity == visit


def test_an_activity_of_another_discipline_is_refused(book, plan, patient, ben, alice):
    visit = careplans.activity_add(actor=alice, plan=plan, data=adjustment())
    errors = refused(book, patient, ben, "Gym floor", 9, activity=visit.pk)
    assert "choose a practitioner of that discipline" in errors["practitioner"][0]


def test_an_activity_contraindicated_since_it_was_planned_is_refused_at_booking(
    book, alice, maya, new_patient
):
    """Invariant 5: the record changed after planning (warfarin started), so booking re-runs the gate."""
    jo = new_patient(alice, "Jo", "March")
    patients.care_team_add(actor=alice, patient=jo, practitioner=maya.practitioner)
    plan = careplans.careplan_create(actor=alice, patient=jo, data={"title": "Neck pain"})
    deep = massage(techniques=["massage-deep-tissue"], body_sites=["lumbar"], massage_pressure="deep")
    order = careplans.activity_add(actor=alice, plan=plan, data=deep)
    careplans.activity_approve(actor=alice, activity=order)
    patients.medication_create(actor=alice, patient=jo, data={"medication": "Warfarin 5 mg"})
    errors = refused(book, jo, maya, "Massage 1", 9, minutes=45, activity=order.pk)
    assert "Contraindicated" in " ".join(errors["safety"])
    assert not Appointment.objects.exists()


# --- Moving ----------------------------------------------------------------------------------------------


def test_it_moves_a_visit_and_audits_before_and_after(book, patient, alice, dana, next_monday):
    visit = book(patient, alice, "Adjusting 1", 9)
    moved = services.appointment_move(
        actor=dana, appointment=visit, data={"starts_at": moment(next_monday, 14).isoformat()}
    )
    assert services.hhmm(moved.starts_at) == "14:00" and moved.minutes == 30
    event = AuditEvent.objects.filter(object_type="Appointment", object_id=str(visit.pk), action="U").get()
    assert "moved from" in event.detail


def test_it_refuses_a_move_onto_a_taken_slot_and_leaves_the_visit(
    book, patient, other_patient, alice, dana, next_monday
):
    visit = book(patient, alice, "Adjusting 1", 9)
    book(other_patient, alice, "Adjusting 2", 14)
    errors = refused(
        services.appointment_move,
        actor=dana,
        appointment=visit,
        data={"starts_at": moment(next_monday, 14, 15).isoformat()},
    )
    assert errors["starts_at"] == [f"{alice.practitioner.display_name} is already booked 14:00–14:30."]
    visit.refresh_from_db()
    assert services.hhmm(visit.starts_at) == "09:00"


def test_a_move_may_overlap_the_visits_own_old_time(book, patient, alice, dana, next_monday):
    visit = book(patient, alice, "Adjusting 1", 9)
    moved = services.appointment_move(
        actor=dana, appointment=visit, data={"starts_at": moment(next_monday, 9, 15).isoformat()}
    )
    assert services.hhmm(moved.starts_at) == "09:15"


def test_it_refuses_moving_to_a_practitioner_of_another_discipline(book, patient, alice, ben, dana):
    visit = book(patient, alice, "Adjusting 1", 9)
    errors = refused(
        services.appointment_move, actor=dana, appointment=visit, data={"practitioner": ben.practitioner.pk}
    )
    assert errors["practitioner"] == ["Move a visit to a practitioner of the same discipline."]


def test_it_refuses_moving_a_cancelled_visit(book, patient, alice, dana, next_monday):
    visit = book(patient, alice, "Adjusting 1", 9)
    services.appointment_cancel(actor=dana, appointment=visit, reason="Car broke down")
    errors = refused(
        services.appointment_move,
        actor=dana,
        appointment=visit,
        data={"starts_at": moment(next_monday, 10).isoformat()},
    )
    assert "Only a booked appointment can be moved" in errors["status"][0]


# --- Status ----------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_records_who(book, patient, alice, dana):
    visit = book(patient, alice, "Adjusting 1", 9)
    assert "reason" in refused(services.appointment_cancel, actor=dana, appointment=visit, reason="  ")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED
    cancelled = services.appointment_cancel(actor=dana, appointment=visit, reason="Sick")
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == ("cancelled", "Sick", dana)
    assert AuditEvent.objects.filter(object_id=str(visit.pk), detail__contains="booked -> cancelled").exists()


def test_it_refuses_cancelling_twice(book, patient, alice, dana):
    visit = book(patient, alice, "Adjusting 1", 9)
    services.appointment_cancel(actor=dana, appointment=visit, reason="Sick")
    errors = refused(services.appointment_cancel, actor=dana, appointment=visit, reason="Again")
    assert errors["status"] == ["You cannot cancel an appointment that is cancelled."]


def _today_slot() -> tuple[datetime.date, int] | None:
    """A whole hour later today inside the clinic's hours (08–12, 13–18 Mon–Sat), if any is left."""
    now = services.local(timezone.now())
    if now.weekday() == 6:
        return None
    for hour in range(max(8, now.hour + 1), 18):
        if hour != 12:
            return now.date(), hour
    return None


def test_check_in_seen_and_undo_follow_the_allowed_moves(book, patient, alice, dana):
    slot = _today_slot()
    if slot is None:
        pytest.skip("no clinic hour left today to check a patient in")
    day, hour = slot
    visit = book(patient, alice, "Adjusting 1", hour, day=day)
    arrived = services.appointment_set_status(actor=dana, appointment=visit, to="arrived")
    assert arrived.status == "arrived" and arrived.arrived_at is not None
    undone = services.appointment_set_status(actor=dana, appointment=arrived, to="booked")
    assert undone.status == "booked"
    services.appointment_set_status(actor=dana, appointment=undone, to="arrived")
    seen = services.appointment_set_status(actor=alice, appointment=undone, to="fulfilled")
    assert seen.status == "fulfilled"
    errors = refused(services.appointment_set_status, actor=dana, appointment=seen, to="booked")
    assert "fulfilled" in errors["status"][0]


def test_it_refuses_checking_in_on_another_day(book, patient, alice, dana):
    visit = book(patient, alice, "Adjusting 1", 9)
    errors = refused(services.appointment_set_status, actor=dana, appointment=visit, to="arrived")
    assert errors["status"] == ["Check patients in on the day of the visit."]
    visit.refresh_from_db()
    assert visit.status == "booked" and visit.arrived_at is None


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("noshow", "A visit that has not started yet cannot be a no-show."),
        ("fulfilled", "You cannot set to fulfilled an appointment that is booked."),
        ("proposed", "You cannot set to proposed an appointment that is booked."),
        ("teleported", "Unknown status 'teleported'."),
    ],
)
def test_it_refuses_illegal_status_moves(book, patient, alice, dana, to, message):
    visit = book(patient, alice, "Adjusting 1", 9)
    errors = refused(services.appointment_set_status, actor=dana, appointment=visit, to=to)
    assert errors["status"] == [message]
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_entered_in_error_needs_a_reason_and_frees_the_slot(book, patient, other_patient, alice, dana):
    visit = book(patient, alice, "Adjusting 1", 9)
    errors = refused(services.appointment_set_status, actor=dana, appointment=visit, to="entered-in-error")
    assert "reason" in errors
    services.appointment_set_status(
        actor=dana, appointment=visit, to="entered-in-error", reason="Booked for the wrong patient"
    )
    assert book(other_patient, alice, "Adjusting 1", 9).status == "booked"
