"""The waitlist pages: add a patient, a cancelled visit's slot offered first, accept / decline / remove."""

from __future__ import annotations

import datetime

import pytest

from tandem.audit.models import AuditEvent
from tandem.scheduling import services
from tandem.scheduling.models import Appointment, AppointmentStatus, WaitlistEntry, WaitlistStatus

pytestmark = pytest.mark.django_db


def _room(location, name: str):
    return location.rooms.get(name=name)


@pytest.fixture
def freed_slot(dana, alice, other_patient, patient, clinic_hours, next_monday):
    """Robert waits for any chiropractic visit; Linda's 10:00 adjustment with alice is then cancelled."""
    entry = services.waitlist_add(
        actor=dana,
        patient=patient,
        data={"location": clinic_hours.pk, "discipline": "chiropractic", "minutes": 30},
    )
    linda = services.appointment_book(
        actor=dana,
        patient=other_patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": _room(clinic_hours, "Adjusting 1").pk,
            "starts_at": datetime.datetime.combine(next_monday, datetime.time(10)).isoformat(),
            "minutes": 30,
        },
    )
    services.appointment_cancel(actor=dana, appointment=linda, reason="Patient called in sick")
    entry.refresh_from_db()
    return entry


def test_it_adds_a_patient_to_the_waitlist_from_the_form(
    client_for, dana, patient, clinic_hours, next_monday
):
    response = client_for(dana).post(
        f"/patients/{patient.pk}/waitlist/new",
        {
            "location": clinic_hours.pk,
            "discipline": "massage-therapy",
            "minutes": "45",
            "earliest_on": next_monday.isoformat(),
            "latest_on": (next_monday + datetime.timedelta(days=14)).isoformat(),
            "note": "Mornings are best",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/waitlist/"
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.discipline, entry.minutes, entry.note) == ("massage-therapy", 45, "Mornings are best")
    assert entry.status == WaitlistStatus.WAITING


def test_it_refuses_dates_in_the_wrong_order_beside_the_field_and_saves_nothing(
    client_for, dana, patient, clinic_hours, next_monday
):
    response = client_for(dana).post(
        f"/patients/{patient.pk}/waitlist/new",
        {
            "location": clinic_hours.pk,
            "discipline": "chiropractic",
            "minutes": "30",
            "earliest_on": (next_monday + datetime.timedelta(days=7)).isoformat(),
            "latest_on": next_monday.isoformat(),
        },
    )
    assert response.status_code == 422
    assert "The last day comes after the first." in response.content.decode()
    assert 'value="30"' in response.content.decode()  # what was typed stays
    assert not WaitlistEntry.objects.exists()


def test_a_cancelled_slot_is_offered_first_on_the_waitlist_page(client_for, dana, freed_slot, patient):
    assert freed_slot.status == WaitlistStatus.OFFERED
    page = client_for(dana).get("/waitlist/").content.decode()
    offered = page.split('id="waitlist-offered"')[1].split("</ul>")[0]
    assert "Robert Hale" in offered and "Accept" in offered and "Decline" in offered
    assert page.index("Slots on offer") < page.index("Waiting (")
    assert AuditEvent.objects.filter(action="R", object_type="WaitlistEntry", patient_id=patient.pk).exists()


def test_accepting_the_offer_books_the_slot(client_for, dana, freed_slot, patient, alice):
    response = client_for(dana).post(f"/waitlist/{freed_slot.pk}/accept")
    assert response.status_code == 302
    freed_slot.refresh_from_db()
    assert freed_slot.status == WaitlistStatus.BOOKED
    booked = Appointment.objects.get(patient=patient, status=AppointmentStatus.BOOKED)
    assert booked.practitioner == alice.practitioner
    assert booked.starts_at == freed_slot.offer_starts_at


def test_declining_puts_the_patient_back_to_waiting_and_remembers_the_slot(client_for, dana, freed_slot):
    client_for(dana).post(f"/waitlist/{freed_slot.pk}/decline")
    freed_slot.refresh_from_db()
    assert freed_slot.status == WaitlistStatus.WAITING
    assert len(freed_slot.declined_slots) == 1
    assert not Appointment.objects.filter(patient=freed_slot.patient, status="booked").exists()


def test_accepting_twice_says_there_is_no_offer_and_books_once(client_for, dana, freed_slot):
    client = client_for(dana)
    client.post(f"/waitlist/{freed_slot.pk}/accept")
    response = client.post(f"/waitlist/{freed_slot.pk}/accept", follow=True)
    assert "This entry has no slot on offer." in response.content.decode()
    assert Appointment.objects.filter(patient=freed_slot.patient, status="booked").count() == 1


def test_removing_takes_the_patient_off_the_list(client_for, dana, freed_slot):
    client_for(dana).post(f"/waitlist/{freed_slot.pk}/decline")
    client_for(dana).post(f"/waitlist/{freed_slot.pk}/remove")
    freed_slot.refresh_from_db()
    assert freed_slot.status == WaitlistStatus.REMOVED
    assert "Robert Hale" not in client_for(dana).get("/waitlist/").content.decode()


@pytest.mark.parametrize("verb", ["accept", "decline", "remove"])
def test_outsiders_get_404_and_change_nothing(client_for, outsider, freed_slot, verb):
    response = client_for(outsider).post(f"/waitlist/{freed_slot.pk}/{verb}")
    assert response.status_code == 404
    freed_slot.refresh_from_db()
    assert freed_slot.status == WaitlistStatus.OFFERED


def test_maya_does_not_see_linda_on_the_waitlist_nor_reach_her_entry(
    client_for, dana, maya, other_patient, clinic_hours
):
    entry = services.waitlist_add(
        actor=dana,
        patient=other_patient,
        data={"location": clinic_hours.pk, "discipline": "physical-therapy", "minutes": 30},
    )
    client = client_for(maya)
    assert "Linda Park" not in client.get("/waitlist/").content.decode()
    assert client.post(f"/waitlist/{entry.pk}/remove").status_code == 404
    assert client.get(f"/patients/{other_patient.pk}/waitlist/new").status_code == 404
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def test_the_waitlist_needs_a_signed_in_user(client):
    response = client.get("/waitlist/")
    assert response.status_code == 302 and "/login/" in response["Location"]
