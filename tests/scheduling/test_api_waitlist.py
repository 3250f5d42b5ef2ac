"""The waitlist API: add, list, accept, decline, remove; 404 without access, 422 naming the field."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from tandem.scheduling import services
from tandem.scheduling.models import Appointment, WaitlistEntry

pytestmark = pytest.mark.django_db

API = "/api/v1"


def post(client, url: str, payload: dict[str, Any], headers: dict[str, str]):
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def offered(dana, alice, patient, other_patient, clinic_hours, next_monday) -> WaitlistEntry:
    """Robert waits for chiropractic; Linda's 10:00 with alice is cancelled, so the slot is offered to him."""
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
            "room": clinic_hours.rooms.get(name="Adjusting 1").pk,
            "starts_at": f"{next_monday}T10:00",
            "minutes": 30,
        },
    )
    services.appointment_cancel(actor=dana, appointment=linda, reason="Sick")
    entry.refresh_from_db()
    assert entry.status == "offered"
    return entry


def test_it_adds_a_patient_and_lists_the_entry(client, token_for, dana, patient, clinic_hours, next_monday):
    body = {
        "patient": patient.pk,
        "location": clinic_hours.pk,
        "discipline": "massage-therapy",
        "minutes": 45,
        "earliest_on": next_monday.isoformat(),
        "latest_on": (next_monday + datetime.timedelta(days=14)).isoformat(),
        "note": "Mornings",
    }
    response = post(client, f"{API}/waitlist", body, token_for(dana))
    assert response.status_code == 201, response.json()
    entry = response.json()
    assert entry["patient"] == {"id": patient.pk, "name": "Robert Hale"}
    assert (entry["discipline"], entry["minutes"], entry["status"], entry["offer"]) == (
        "massage-therapy",
        45,
        "waiting",
        None,
    )
    listed = client.get(f"{API}/waitlist", **token_for(dana)).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == entry["id"]
    assert client.get(f"{API}/waitlist?status=removed", **token_for(dana)).json()["count"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"discipline": "reiki"}, "discipline"),
        ({"earliest_on": "2026-02-30"}, "earliest_on"),
        ({"location": None}, "location"),
        ({"minutes": 1000}, "minutes"),
        ({"patient": None}, "patient"),
    ],
)
def test_a_bad_entry_answers_422_naming_the_field(
    client, token_for, dana, patient, clinic_hours, change, field
):
    body = {"patient": patient.pk, "location": clinic_hours.pk, "discipline": "chiropractic", "minutes": 30}
    response = post(client, f"{API}/waitlist", {**body, **change}, token_for(dana))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not WaitlistEntry.objects.exists()


def test_a_bad_list_query_answers_422(client, token_for, dana):
    response = client.get(f"{API}/waitlist?status=maybe", **token_for(dana))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "status"


def test_the_list_shows_only_patients_the_caller_may_schedule(
    client, token_for, dana, maya, patient, other_patient, clinic_hours
):
    for person in (patient, other_patient):
        services.waitlist_add(
            actor=dana,
            patient=person,
            data={"location": clinic_hours.pk, "discipline": "chiropractic", "minutes": 30},
        )
    as_maya = client.get(f"{API}/waitlist", **token_for(maya)).json()
    assert [i["patient"]["name"] for i in as_maya["items"]] == ["Robert Hale"] and as_maya["count"] == 1
    as_dana = client.get(f"{API}/waitlist?location={clinic_hours.pk}", **token_for(dana)).json()
    assert as_dana["count"] == 2


def test_the_offer_is_shown_and_accepting_books_it(client, token_for, dana, offered, next_monday):
    [item] = client.get(f"{API}/waitlist?status=offered", **token_for(dana)).json()["items"]
    assert item["offer"]["starts_at"].startswith(f"{next_monday}T10:00:00")
    assert item["offer"]["room"]["name"] == "Adjusting 1"
    response = post(client, f"{API}/waitlist/{offered.pk}/accept", {}, token_for(dana))
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["entry"]["status"] == "booked"
    assert answer["appointment"]["id"] == answer["entry"]["appointment_id"]
    assert Appointment.objects.get(pk=answer["appointment"]["id"]).status == "booked"
    again = post(client, f"{API}/waitlist/{offered.pk}/accept", {}, token_for(dana))
    assert again.status_code == 422
    assert again.json()["errors"] == [{"field": "status", "message": "This entry has no slot on offer."}]


def test_declining_puts_the_entry_back_and_removing_ends_it(client, token_for, dana, offered):
    response = post(client, f"{API}/waitlist/{offered.pk}/decline", {}, token_for(dana))
    assert response.status_code == 200
    assert (response.json()["entry"]["status"], response.json()["passed_on"]) == ("waiting", False)
    removed = post(client, f"{API}/waitlist/{offered.pk}/remove", {}, token_for(dana))
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    assert post(client, f"{API}/waitlist/{offered.pk}/remove", {}, token_for(dana)).status_code == 422


def test_maya_gets_404_for_lindas_entries(client, token_for, dana, maya, other_patient, clinic_hours):
    entry = services.waitlist_add(
        actor=dana,
        patient=other_patient,
        data={"location": clinic_hours.pk, "discipline": "chiropractic", "minutes": 30},
    )
    headers = token_for(maya)
    for action in ("accept", "decline", "remove"):
        assert post(client, f"{API}/waitlist/{entry.pk}/{action}", {}, headers).status_code == 404
    body = {"patient": other_patient.pk, "location": clinic_hours.pk, "discipline": "massage-therapy"}
    assert post(client, f"{API}/waitlist", body, headers).status_code == 404
    entry.refresh_from_db()
    assert entry.status == "waiting" and WaitlistEntry.objects.count() == 1
