"""The appointments API: book, read, list, move, cancel, status; 404 without access, 422 naming the field."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from tandem.audit.models import AuditEvent
from tandem.scheduling import services
from tandem.scheduling.models import Appointment, WaitlistEntry

pytestmark = pytest.mark.django_db

API = "/api/v1"


def room_named(location, name: str):
    return location.rooms.get(name=name)


def post(client, url: str, payload: dict[str, Any], headers: dict[str, str]):
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def visit_body(person, who, location, day: datetime.date, hour: int, room: str, **extra: Any) -> dict:
    return {
        "patient": person.pk,
        "practitioner": who.practitioner.pk,
        "room": room_named(location, room).pk,
        "starts_at": f"{day.isoformat()}T{hour:02d}:00",
        "minutes": 30,
        **extra,
    }


@pytest.fixture
def robert_at_nine(dana, alice, patient, clinic_hours, next_monday) -> Appointment:
    return services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            k: v
            for k, v in visit_body(patient, alice, clinic_hours, next_monday, 9, "Adjusting 1").items()
            if k != "patient"
        },
    )


@pytest.fixture
def linda_at_nine(dana, ben, other_patient, clinic_hours, next_monday) -> Appointment:
    return services.appointment_book(
        actor=dana,
        patient=other_patient,
        data={
            k: v
            for k, v in visit_body(other_patient, ben, clinic_hours, next_monday, 9, "Gym floor").items()
            if k != "patient"
        },
    )


def test_it_books_a_visit_and_answers_it_with_the_clinic_offset(
    client, token_for, dana, alice, patient, clinic_hours, next_monday
):
    body = visit_body(patient, alice, clinic_hours, next_monday, 10, "Adjusting 1", note="Bring MRI CD")
    response = post(client, f"{API}/appointments", body, token_for(dana))
    assert response.status_code == 201, response.json()
    answer = response.json()
    expected = services.at(next_monday, datetime.time(10))
    assert datetime.datetime.fromisoformat(answer["starts_at"]) == expected
    assert answer["starts_at"].startswith(f"{next_monday.isoformat()}T10:00:00")  # clinic wall clock
    assert answer["starts_at"][-6] in "+-"  # with its UTC offset
    assert answer["patient"] == {"id": patient.pk, "name": "Robert Hale"}
    assert (answer["discipline"], answer["minutes"], answer["status"]) == ("chiropractic", 30, "booked")
    assert answer["room"]["name"] == "Adjusting 1" and answer["note"] == "Bring MRI CD"
    assert Appointment.objects.get().pk == answer["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2026-02-30T10:00"}, "starts_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"minutes": 3}, "minutes"),
        ({"room": 99999999}, "room"),
        ({"practitioner": None}, "practitioner"),
        ({"minutes": "many"}, "minutes"),
        ({"patient": None}, "patient"),
    ],
)
def test_bad_input_answers_422_naming_the_field_and_books_nothing(
    client, token_for, dana, alice, patient, clinic_hours, next_monday, change, field
):
    body = {**visit_body(patient, alice, clinic_hours, next_monday, 10, "Adjusting 1"), **change}
    response = post(client, f"{API}/appointments", body, token_for(dana))
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["detail"] == "The request is not valid."
    assert field in [e["field"] for e in answer["errors"]]
    assert all(e["message"] for e in answer["errors"])
    assert not Appointment.objects.exists()


def test_a_clash_answers_422_with_the_plain_message(
    client, token_for, dana, alice, other_patient, clinic_hours, next_monday, robert_at_nine
):
    body = visit_body(other_patient, alice, clinic_hours, next_monday, 9, "Adjusting 2")
    response = post(client, f"{API}/appointments", body, token_for(dana))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "starts_at", "message": f"{alice.practitioner.display_name} is already booked 09:00–09:30."}
    ]
    assert Appointment.objects.count() == 1


def test_maya_cannot_book_read_or_change_lindas_visits(
    client, token_for, maya, other_patient, clinic_hours, next_monday, linda_at_nine
):
    headers = token_for(maya)
    body = visit_body(other_patient, maya, clinic_hours, next_monday, 14, "Massage 1")
    assert post(client, f"{API}/appointments", body, headers).status_code == 404
    url = f"{API}/appointments/{linda_at_nine.pk}"
    assert client.get(url, **headers).status_code == 404
    assert post(client, f"{url}/cancel", {"reason": "x"}, headers).status_code == 404
    assert post(client, f"{url}/move", {"starts_at": f"{next_monday}T15:00"}, headers).status_code == 404
    assert post(client, f"{url}/status", {"status": "noshow"}, headers).status_code == 404
    listed = client.get(f"{API}/appointments?patient={other_patient.pk}", **headers)
    assert listed.status_code == 404
    linda_at_nine.refresh_from_db()
    assert linda_at_nine.status == "booked" and Appointment.objects.count() == 1


def test_an_outsider_gets_404_and_anonymous_401(client, token_for, outsider, robert_at_nine):
    url = f"{API}/appointments/{robert_at_nine.pk}"
    assert client.get(url, **token_for(outsider)).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(f"{API}/appointments", **token_for(outsider)).json() == {"count": 0, "items": []}


def test_reading_a_visit_is_audited(client, token_for, dana, robert_at_nine):
    response = client.get(f"{API}/appointments/{robert_at_nine.pk}", **token_for(dana))
    assert response.status_code == 200 and response.json()["patient"]["name"] == "Robert Hale"
    assert AuditEvent.objects.filter(
        actor_id=dana.pk, action="R", object_type="Appointment", object_id=str(robert_at_nine.pk)
    ).exists()


def test_the_list_shows_every_visit_but_names_only_patients_the_caller_may_see(
    client, token_for, maya, dana, patient, robert_at_nine, linda_at_nine, next_monday
):
    query = f"date_from={next_monday}&date_to={next_monday}"
    as_maya = client.get(f"{API}/appointments?{query}", **token_for(maya)).json()
    assert as_maya["count"] == 2
    names = {item["id"]: item["patient"] for item in as_maya["items"]}
    assert names[robert_at_nine.pk] == {"id": patient.pk, "name": "Robert Hale"}
    assert names[linda_at_nine.pk] == {"id": None, "name": "Busy"}
    assert "Linda" not in json.dumps(as_maya)
    as_dana = client.get(f"{API}/appointments?{query}", **token_for(dana)).json()
    assert {item["patient"]["name"] for item in as_dana["items"]} == {"Robert Hale", "Linda Park"}
    read = AuditEvent.objects.filter(actor_id=maya.pk, action="R", object_type="Appointment")
    assert list(read.values_list("patient_id", flat=True)) == [patient.pk]


def test_the_list_filters_and_pages(
    client, token_for, dana, alice, patient, robert_at_nine, linda_at_nine, next_monday
):
    headers = token_for(dana)
    by_alice = client.get(f"{API}/appointments?practitioner={alice.practitioner.pk}", **headers).json()
    assert [i["id"] for i in by_alice["items"]] == [robert_at_nine.pk]
    robert = client.get(f"{API}/appointments?patient={patient.pk}", **headers).json()
    assert [i["id"] for i in robert["items"]] == [robert_at_nine.pk]
    page = client.get(f"{API}/appointments?limit=1&offset=1", **headers).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    later = next_monday + datetime.timedelta(days=1)
    assert client.get(f"{API}/appointments?date_from={later}", **headers).json()["count"] == 0
    services.appointment_cancel(actor=dana, appointment=linda_at_nine, reason="Sick")
    cancelled = client.get(f"{API}/appointments?status=cancelled", **headers).json()
    assert [i["id"] for i in cancelled["items"]] == [linda_at_nine.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("date_from=2026-02-30", "date_from"),
        ("date_from=2026-12-10&date_to=2026-12-01", "date_to"),
        ("limit=0", "limit"),
    ],
)
def test_a_bad_list_query_answers_422(client, token_for, dana, query, field):
    response = client.get(f"{API}/appointments?{query}", **token_for(dana))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_it_moves_a_visit(client, token_for, dana, robert_at_nine, next_monday):
    url = f"{API}/appointments/{robert_at_nine.pk}/move"
    response = post(client, url, {"starts_at": f"{next_monday}T11:00"}, token_for(dana))
    assert response.status_code == 200, response.json()
    assert response.json()["starts_at"].startswith(f"{next_monday}T11:00")
    robert_at_nine.refresh_from_db()
    assert services.hhmm(robert_at_nine.starts_at) == "11:00"


def test_a_bad_move_answers_422_and_leaves_the_visit(client, token_for, dana, robert_at_nine, next_monday):
    url = f"{API}/appointments/{robert_at_nine.pk}/move"
    for body, field in (
        ({"starts_at": "2026-02-30T10:00"}, "starts_at"),
        ({}, "starts_at"),
        ({"starts_at": f"{next_monday}T12:15"}, "starts_at"),
    ):
        response = post(client, url, body, token_for(dana))
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
    robert_at_nine.refresh_from_db()
    assert services.hhmm(robert_at_nine.starts_at) == "09:00"


def test_cancelling_offers_the_slot_to_the_waitlist(
    client, token_for, dana, other_patient, clinic_hours, robert_at_nine
):
    entry = services.waitlist_add(
        actor=dana,
        patient=other_patient,
        data={"location": clinic_hours.pk, "discipline": "chiropractic", "minutes": 30},
    )
    url = f"{API}/appointments/{robert_at_nine.pk}/cancel"
    assert post(client, url, {"reason": ""}, token_for(dana)).status_code == 422
    response = post(client, url, {"reason": "Flu"}, token_for(dana))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "Flu")
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offer_starts_at == robert_at_nine.starts_at
    assert WaitlistEntry.objects.filter(status="offered").count() == 1


def test_status_moves_through_the_api(client, token_for, dana, robert_at_nine):
    url = f"{API}/appointments/{robert_at_nine.pk}/status"
    refused = post(client, url, {"status": "fulfilled"}, token_for(dana))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "status", "message": "You cannot set to fulfilled an appointment that is booked."}
    ]
    assert post(client, url, {"status": ""}, token_for(dana)).status_code == 422
    done = post(client, url, {"status": "entered-in-error", "reason": "Wrong patient"}, token_for(dana))
    assert done.status_code == 200 and done.json()["status"] == "entered-in-error"


def test_a_practitioner_sees_their_own_visit_without_the_patients_name(
    client, token_for, dana, maya, other_patient, clinic_hours, next_monday
):
    """maya is booked to see Linda (not on her team yet): her own appointment, the patient shown as Busy."""
    visit = services.appointment_book(
        actor=dana,
        patient=other_patient,
        data={
            k: v
            for k, v in visit_body(other_patient, maya, clinic_hours, next_monday, 15, "Massage 1").items()
            if k != "patient"
        },
    )
    response = client.get(f"{API}/appointments/{visit.pk}", **token_for(maya))
    assert response.status_code == 200
    assert response.json()["patient"] == {"id": None, "name": "Busy"}
