"""The waitlist (services.py): a cancelled visit's slot goes to the first waiting patient it suits."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tandem.audit.models import AuditEvent
from tandem.scheduling import services
from tandem.scheduling.models import Appointment, WaitlistEntry, WaitlistStatus

pytestmark = pytest.mark.django_db


def room_named(location, name: str):
    return location.rooms.get(name=name)


@pytest.fixture
def third_patient(alice, new_patient):
    return new_patient(alice, "Sam", "Ortiz", birth_date=datetime.date(1990, 1, 5))


@pytest.fixture
def wait(dana, clinic_hours, next_monday):
    """wait(patient, discipline, **data): a waitlist entry covering next week, added by dana."""

    def add(person, discipline: str = "chiropractic", **data: Any) -> WaitlistEntry:
        return services.waitlist_add(
            actor=dana,
            patient=person,
            data={
                "location": clinic_hours.pk,
                "discipline": discipline,
                "minutes": 30,
                "earliest_on": next_monday.isoformat(),
                "latest_on": (next_monday + datetime.timedelta(days=6)).isoformat(),
                **data,
            },
        )

    return add


@pytest.fixture
def linda_at_ten(dana, alice, other_patient, clinic_hours, next_monday) -> Appointment:
    """Linda's 10:00–10:30 adjustment with alice in Adjusting 1 next Monday."""
    return services.appointment_book(
        actor=dana,
        patient=other_patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": room_named(clinic_hours, "Adjusting 1").pk,
            "starts_at": services.at(next_monday, datetime.time(10)).isoformat(),
            "minutes": 30,
        },
    )


def cancel(dana, appointment: Appointment) -> None:
    services.appointment_cancel(actor=dana, appointment=appointment, reason="Patient called in sick")


def fresh(entry: WaitlistEntry) -> WaitlistEntry:
    entry.refresh_from_db()
    return entry


def test_cancelling_offers_the_slot_to_the_first_waiting_patient_it_suits(
    dana, wait, patient, third_patient, linda_at_ten, next_monday
):
    first, second = wait(patient), wait(third_patient)
    cancel(dana, linda_at_ten)
    first, second = fresh(first), fresh(second)
    assert first.status == WaitlistStatus.OFFERED and second.status == WaitlistStatus.WAITING
    assert first.offer_starts_at == services.at(next_monday, datetime.time(10))
    assert (first.offer_practitioner, first.offer_room) == (linda_at_ten.practitioner, linda_at_ten.room)
    assert AuditEvent.objects.filter(
        object_type="WaitlistEntry", object_id=str(first.pk), detail__startswith="offered"
    ).exists()


def test_it_skips_entries_whose_discipline_length_dates_or_windows_do_not_fit(
    dana, wait, patient, third_patient, linda_at_ten, next_monday
):
    from tandem.scheduling.models import PatientAvailability

    massage = wait(patient, "massage-therapy")
    too_long = wait(patient, minutes=45)
    later = wait(
        patient,
        earliest_on=(next_monday + datetime.timedelta(days=7)).isoformat(),
        latest_on=(next_monday + datetime.timedelta(days=13)).isoformat(),
    )
    evenings = wait(third_patient)
    PatientAvailability.objects.create(
        patient=third_patient, weekday=0, starts_at=datetime.time(16), ends_at=datetime.time(18)
    )
    cancel(dana, linda_at_ten)
    assert [fresh(e).status for e in (massage, too_long, later, evenings)] == ["waiting"] * 4
    assert not WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED).exists()


def test_it_skips_a_patient_who_is_busy_then(
    dana, wait, patient, third_patient, ben, linda_at_ten, clinic_hours, next_monday
):
    busy = wait(patient)
    free = wait(third_patient)
    services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": ben.practitioner.pk,
            "room": room_named(clinic_hours, "Gym floor").pk,
            "starts_at": services.at(next_monday, datetime.time(10)).isoformat(),
            "minutes": 30,
        },
    )
    cancel(dana, linda_at_ten)
    assert (fresh(busy).status, fresh(free).status) == ("waiting", "offered")


def test_an_entry_asking_for_another_practitioner_is_not_offered_the_slot(
    dana, wait, patient, third_patient, linda_at_ten, organization
):
    from tandem.accounts.models import Role
    from tandem.core.personas import PersonaSpec, persona_user

    spec = PersonaSpec("carl", "Carl", "Ng", Role.CLINICIAN, "chiropractic", "DC", "CHI-777777")
    carl = persona_user(organization, spec)
    wants_carl = wait(patient, practitioner=carl.practitioner.pk)
    wants_alice = wait(third_patient, practitioner=linda_at_ten.practitioner_id)
    cancel(dana, linda_at_ten)
    assert (fresh(wants_carl).status, fresh(wants_alice).status) == ("waiting", "offered")


def test_declining_passes_the_slot_to_the_next_in_line(dana, wait, patient, third_patient, linda_at_ten):
    first, second = wait(patient), wait(third_patient)
    cancel(dana, linda_at_ten)
    passed_to = services.waitlist_decline(actor=dana, entry=fresh(first))
    assert passed_to is not None and passed_to.pk == second.pk
    first, second = fresh(first), fresh(second)
    assert first.status == "waiting" and first.offer_starts_at is None
    assert [datetime.datetime.fromisoformat(s) for s in first.declined_slots] == [linda_at_ten.starts_at]
    assert second.status == "offered" and second.offer_starts_at == linda_at_ten.starts_at
    # Declining again: nobody else waits, and the first patient already declined this slot.
    assert services.waitlist_decline(actor=dana, entry=second) is None
    assert not WaitlistEntry.objects.filter(status="offered").exists()


def test_a_declined_slot_is_not_offered_again_whatever_zone_the_time_comes_in(
    dana, wait, patient, linda_at_ten
):
    entry = wait(patient)
    cancel(dana, linda_at_ten)
    services.waitlist_decline(actor=dana, entry=fresh(entry))
    offered = services.waitlist_offer_slot(
        actor=dana,
        location=linda_at_ten.location,
        practitioner=linda_at_ten.practitioner,
        room=linda_at_ten.room,
        starts_at=services.local(linda_at_ten.starts_at),
        ends_at=services.local(linda_at_ten.ends_at),
    )
    assert offered is None and fresh(entry).status == "waiting"


def test_accepting_books_the_offered_slot(dana, wait, patient, linda_at_ten):
    entry = wait(patient)
    cancel(dana, linda_at_ten)
    visit = services.waitlist_accept(actor=dana, entry=fresh(entry))
    assert (visit.patient, visit.starts_at, visit.status) == (patient, linda_at_ten.starts_at, "booked")
    assert visit.note == "From the waitlist"
    entry = fresh(entry)
    assert entry.status == "booked" and entry.appointment == visit
    with pytest.raises(ValidationError) as again:
        services.waitlist_accept(actor=dana, entry=entry)
    assert again.value.message_dict == {"status": ["This entry has no slot on offer."]}


def test_accepting_a_slot_taken_meanwhile_is_refused_and_keeps_the_offer(
    dana, wait, patient, third_patient, alice, linda_at_ten, clinic_hours
):
    entry = wait(patient)
    cancel(dana, linda_at_ten)
    services.appointment_book(
        actor=dana,
        patient=third_patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": room_named(clinic_hours, "Adjusting 2").pk,
            "starts_at": linda_at_ten.starts_at.isoformat(),
            "minutes": 30,
        },
    )
    with pytest.raises(ValidationError) as taken:
        services.waitlist_accept(actor=dana, entry=fresh(entry))
    assert "already booked" in taken.value.message_dict["starts_at"][0]
    assert fresh(entry).status == "offered"
    assert not Appointment.objects.filter(patient=patient).exists()


def test_removing_takes_an_entry_off_the_list_once(dana, wait, patient):
    entry = wait(patient)
    assert services.waitlist_remove(actor=dana, entry=entry).status == "removed"
    with pytest.raises(ValidationError) as again:
        services.waitlist_remove(actor=dana, entry=entry)
    assert again.value.message_dict == {"status": ["This entry is already removed."]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"discipline": "astrology"}, "discipline"),
        ({"minutes": 500}, "minutes"),
        ({"earliest_on": "2026-02-30"}, "earliest_on"),
        ({"latest_on": "2001-01-01", "earliest_on": "2000-01-01"}, "latest_on"),
        ({"location": 999999}, "location"),
    ],
)
def test_it_refuses_a_bad_entry_naming_the_field(wait, patient, data, field):
    with pytest.raises(ValidationError) as refused:
        wait(patient, **data)
    assert field in refused.value.message_dict
    assert not WaitlistEntry.objects.exists()


def test_a_clinician_off_the_team_cannot_add_the_patient(maya, other_patient, clinic_hours):
    with pytest.raises(ValidationError):
        services.waitlist_add(
            actor=maya,
            patient=other_patient,
            data={"location": clinic_hours.pk, "discipline": "massage-therapy", "minutes": 30},
        )
    assert not WaitlistEntry.objects.exists()
