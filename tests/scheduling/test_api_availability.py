"""The availability API: free slots, working hours, time off and the patient's windows."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from tandem.audit.models import AuditEvent
from tandem.scheduling import services
from tandem.scheduling.models import PatientAvailability, TimeOff, WorkingHours

pytestmark = pytest.mark.django_db

API = "/api/v1"


def send(client, method: str, url: str, payload: dict[str, Any], headers: dict[str, str]):
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json", **headers)


def hhmm_list(moments: list[str]) -> list[str]:
    return [moment[11:16] for moment in moments]


def test_free_slots_are_the_working_blocks_minus_visits_on_a_15_minute_grid(
    client, token_for, dana, alice, patient, clinic_hours, next_monday
):
    services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": clinic_hours.rooms.get(name="Adjusting 1").pk,
            "starts_at": f"{next_monday}T09:00",
            "minutes": 30,
        },
    )
    services.time_off_add(
        actor=alice,
        practitioner=alice.practitioner,
        starts_at=f"{next_monday}T14:00",
        ends_at=f"{next_monday}T18:00",
    )
    response = client.get(
        f"{API}/scheduling/availability?location={clinic_hours.pk}&practitioner={alice.practitioner.pk}"
        f"&date_from={next_monday}&minutes=45",
        **token_for(dana),
    )
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["minutes"], answer["date_to"]) == (45, next_monday.isoformat())
    [mine] = answer["practitioners"]
    assert mine["practitioner"]["id"] == alice.practitioner.pk and mine["discipline"] == "chiropractic"
    assert [(b["starts_at"][11:16], b["ends_at"][11:16]) for b in mine["blocks"]] == [
        ("08:00", "12:00"),
        ("13:00", "14:00"),
    ]
    assert hhmm_list(mine["free"]) == [
        "08:00",
        "08:15",  # 08:15–09:00 ends as the visit starts
        "09:30",
        "09:45",
        "10:00",
        "10:15",
        "10:30",
        "10:45",
        "11:00",
        "11:15",  # 11:15–12:00, then lunch
        "13:00",
        "13:15",  # 13:15–14:00, then time off
    ]
    offset = mine["free"][0][-6:]
    assert offset[0] in "+-" and datetime.datetime.fromisoformat(mine["free"][0]) == services.at(
        next_monday, datetime.time(8)
    )


def test_availability_filters_by_discipline(client, token_for, maya, clinic_hours, next_monday):
    response = client.get(
        f"{API}/scheduling/availability?location={clinic_hours.pk}&discipline=massage-therapy"
        f"&date_from={next_monday}&date_to={next_monday + datetime.timedelta(days=6)}",
        **token_for(maya),
    )
    assert response.status_code == 200
    [only] = response.json()["practitioners"]
    assert only["practitioner"]["id"] == maya.practitioner.pk
    # Monday to Saturday, two blocks a day (30 minutes: 08:00..11:30 and 13:00..17:30); no Sunday.
    assert len(only["blocks"]) == 12 and len(only["free"]) == 6 * (15 + 19)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-02-30", "date_from"),
        ("date_from={monday}&date_to={far}", "date_to"),
        ("date_from={monday}&date_to={before}", "date_to"),
        ("date_from={monday}&minutes=5", "minutes"),
        ("date_from={monday}&discipline=reiki", "discipline"),
        ("", "date_from"),
    ],
)
def test_a_bad_availability_query_answers_422(
    client, token_for, dana, clinic_hours, next_monday, query, field
):
    filled = query.format(
        monday=next_monday,
        far=next_monday + datetime.timedelta(days=31),
        before=next_monday - datetime.timedelta(days=1),
    )
    response = client.get(
        f"{API}/scheduling/availability?location={clinic_hours.pk}&{filled}", **token_for(dana)
    )
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_another_clinics_location_is_404(client, token_for, outsider, clinic_hours, next_monday):
    response = client.get(
        f"{API}/scheduling/availability?location={clinic_hours.pk}&date_from={next_monday}",
        **token_for(outsider),
    )
    assert response.status_code == 404


# --- Working hours --------------------------------------------------------------------------------------


def test_working_hours_read_and_replace_the_week(client, token_for, alice, clinic_hours):
    url = f"{API}/practitioners/{alice.practitioner.pk}/working-hours"
    before = client.get(url, **token_for(alice)).json()
    assert [b["weekday"] for b in before["blocks"]] == [0, 1, 2, 3, 4, 5]
    assert before["blocks"][0] == {
        "weekday": 0,
        "weekday_name": "Monday",
        "location": {"id": clinic_hours.pk, "name": "Riverside Main"},
        "starts_at": "08:00",
        "ends_at": "18:00",
        "break_starts_at": "12:00",
        "break_ends_at": "13:00",
    }
    week = {
        "blocks": [
            {"weekday": 1, "location": clinic_hours.pk, "starts_at": "07:30", "ends_at": "13:00"},
            {
                "weekday": 3,
                "location": clinic_hours.pk,
                "starts_at": "09:00",
                "ends_at": "19:00",
                "break_starts_at": "13:00",
                "break_ends_at": "13:30",
            },
        ]
    }
    response = send(client, "put", url, week, token_for(alice))
    assert response.status_code == 200, response.json()
    assert [(b["weekday"], b["starts_at"], b["break_starts_at"]) for b in response.json()["blocks"]] == [
        (1, "07:30", None),
        (3, "09:00", "13:00"),
    ]
    assert WorkingHours.objects.filter(practitioner=alice.practitioner).count() == 2


def test_a_bad_week_changes_no_day(client, token_for, admin, alice, clinic_hours):
    url = f"{API}/practitioners/{alice.practitioner.pk}/working-hours"
    week = {
        "blocks": [
            {"weekday": 0, "location": clinic_hours.pk, "starts_at": "07:00", "ends_at": "12:00"},
            {"weekday": 0, "location": clinic_hours.pk, "starts_at": "07:00", "ends_at": "12:00"},
            {"weekday": 2, "location": clinic_hours.pk, "starts_at": "12:00", "ends_at": "11:00"},
            {"weekday": 3, "location": 999999, "starts_at": "08:00", "ends_at": "12:00"},
            {"weekday": 4, "location": clinic_hours.pk},
        ]
    }
    response = send(client, "put", url, week, token_for(admin))
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "blocks.1.weekday",
        "blocks.2.ends_at",
        "blocks.3.location",
        "blocks.4.starts_at",
    ]
    assert WorkingHours.objects.filter(practitioner=alice.practitioner).count() == 6
    monday = WorkingHours.objects.get(practitioner=alice.practitioner, weekday=0)
    assert monday.starts_at == datetime.time(8)


def test_only_the_practitioner_front_desk_and_admins_change_hours(client, token_for, ben, outsider, alice):
    url = f"{API}/practitioners/{alice.practitioner.pk}/working-hours"
    assert client.get(url, **token_for(ben)).status_code == 200
    assert send(client, "put", url, {"blocks": []}, token_for(ben)).status_code == 404
    assert client.get(url, **token_for(outsider)).status_code == 404
    assert send(client, "put", url, {"blocks": []}, token_for(outsider)).status_code == 404
    assert send(client, "put", url, {}, token_for(ben)).status_code == 404


# --- Time off -------------------------------------------------------------------------------------------


def test_time_off_is_added_lists_visits_to_move_and_is_removed(
    client, token_for, dana, alice, patient, clinic_hours, next_monday
):
    services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": clinic_hours.rooms.get(name="Adjusting 1").pk,
            "starts_at": f"{next_monday}T09:00",
            "minutes": 30,
        },
    )
    url = f"{API}/practitioners/{alice.practitioner.pk}/time-off"
    body = {"starts_at": f"{next_monday}T08:00", "ends_at": f"{next_monday}T18:00", "reason": "Course"}
    response = send(client, "post", url, body, token_for(dana))
    assert response.status_code == 201, response.json()
    away = response.json()
    assert away["reason"] == "Course" and away["starts_at"].startswith(f"{next_monday}T08:00:00")
    assert [(v["starts_at"][11:16], v["patient"]["name"]) for v in away["to_move"]] == [
        ("09:00", "Robert Hale")
    ]
    assert [t["id"] for t in client.get(url, **token_for(dana)).json()] == [away["id"]]
    assert client.delete(f"{API}/time-off/{away['id']}", **token_for(alice)).status_code == 204
    assert not TimeOff.objects.exists()
    assert AuditEvent.objects.filter(object_type="TimeOff", action="D", actor_id=alice.pk).exists()


def test_bad_time_off_answers_422_and_others_get_404(client, token_for, alice, ben, next_monday):
    url = f"{API}/practitioners/{alice.practitioner.pk}/time-off"
    bad = send(client, "post", url, {"starts_at": "2026-02-30T10:00", "ends_at": ""}, token_for(alice))
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["ends_at", "starts_at"]
    body = {"starts_at": f"{next_monday}T08:00", "ends_at": f"{next_monday}T10:00"}
    assert send(client, "post", url, body, token_for(ben)).status_code == 404
    away = services.time_off_add(
        actor=alice, practitioner=alice.practitioner, starts_at=body["starts_at"], ends_at=body["ends_at"]
    )
    assert client.delete(f"{API}/time-off/{away.pk}", **token_for(ben)).status_code == 404
    assert client.delete(f"{API}/time-off/99999999", **token_for(alice)).status_code == 404
    assert TimeOff.objects.count() == 1


# --- Patient availability -------------------------------------------------------------------------------


def test_patient_windows_read_and_replace(client, token_for, dana, patient):
    url = f"{API}/patients/{patient.pk}/availability"
    assert client.get(url, **token_for(dana)).json() == {
        "patient_id": patient.pk,
        "any_time": True,
        "windows": [],
    }
    windows = {"windows": [{"weekday": 2, "starts_at": "16:00", "ends_at": "18:30"}]}
    response = send(client, "put", url, windows, token_for(dana))
    assert response.status_code == 200
    assert response.json()["windows"] == [
        {"weekday": 2, "weekday_name": "Wednesday", "starts_at": "16:00", "ends_at": "18:30"}
    ]
    assert AuditEvent.objects.filter(
        object_type="PatientAvailability", action="R", patient_id=patient.pk
    ).exists()


def test_bad_windows_answer_422_and_change_nothing(client, token_for, dana, patient):
    url = f"{API}/patients/{patient.pk}/availability"
    windows = {"windows": [{"weekday": 2, "starts_at": "18:00", "ends_at": "16:00"}]}
    response = send(client, "put", url, windows, token_for(dana))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "windows.0.ends_at", "message": "The window ends after it starts."}
    ]
    wrong_type = send(client, "put", url, {"windows": [{"weekday": "Tuesday"}]}, token_for(dana))
    assert wrong_type.status_code == 422
    assert wrong_type.json()["errors"][0]["field"] == "windows.0.weekday"
    assert not PatientAvailability.objects.exists()


def test_maya_gets_404_for_lindas_windows(client, token_for, maya, other_patient):
    url = f"{API}/patients/{other_patient.pk}/availability"
    assert client.get(url, **token_for(maya)).status_code == 404
    windows = {"windows": [{"weekday": 2, "starts_at": "16:00", "ends_at": "18:00"}]}
    assert send(client, "put", url, windows, token_for(maya)).status_code == 404
    assert not PatientAvailability.objects.exists()
