"""Availability pages: a practitioner's weekday grid and time off, a patient's weekday windows."""

from __future__ import annotations

import datetime

import pytest

from tandem.scheduling import services
from tandem.scheduling.models import PatientAvailability, TimeOff, WorkingHours

pytestmark = pytest.mark.django_db


def _week_post(location, **days: tuple[str, str, str, str]) -> dict[str, str]:
    """The grid as posted: every weekday empty except those given as (start, end, break from, break until)."""
    data = {"form": "hours"}
    for weekday in range(7):
        hours = days.get(f"d{weekday}", ("", "", "", ""))
        data[f"{weekday}-location"] = str(location.pk) if hours[0] else ""
        for part, value in zip(
            ("starts_at", "ends_at", "break_starts_at", "break_ends_at"), hours, strict=True
        ):
            data[f"{weekday}-{part}"] = value
    return data


def test_the_grid_shows_the_hours_with_their_breaks(client_for, alice, clinic_hours):
    page = client_for(alice).get(f"/schedule/practitioners/{alice.practitioner.pk}/availability")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="0-starts_at" value="08:00"' in html
    assert 'name="0-break_starts_at" value="12:00"' in html
    assert 'name="6-starts_at"' in html and 'name="6-starts_at" value=' not in html  # Sunday off


def test_saving_the_grid_sets_and_clears_days(client_for, dana, alice, clinic_hours):
    data = _week_post(
        clinic_hours,
        d0=("07:30", "15:00", "", ""),
        d1=("08:00", "18:00", "12:00", "13:00"),
        d2=("08:00", "18:00", "12:00", "13:00"),
        d3=("08:00", "18:00", "12:00", "13:00"),
        d4=("08:00", "18:00", "12:00", "13:00"),
    )  # Saturday cleared
    response = client_for(dana).post(f"/schedule/practitioners/{alice.practitioner.pk}/availability", data)
    assert response.status_code == 302
    hours = {h.weekday: h for h in WorkingHours.objects.filter(practitioner=alice.practitioner)}
    assert sorted(hours) == [0, 1, 2, 3, 4]
    assert (hours[0].starts_at, hours[0].ends_at, hours[0].break_starts_at) == (
        datetime.time(7, 30),
        datetime.time(15),
        None,
    )


def test_a_bad_day_is_refused_beside_it_and_no_day_is_saved(client_for, admin, alice, clinic_hours):
    data = _week_post(
        clinic_hours,
        d0=("09:00", "17:00", "", ""),  # a valid change...
        d1=("08:00", "18:00", "12:00", "13:00"),
        d2=("08:00", "18:00", "12:00", "13:00"),
        d3=("08:00", "18:00", "12:00", "13:00"),
        d4=("08:00", "18:00", "12:00", "13:00"),
        d5=("18:00", "08:00", "", ""),  # ...and a day that ends before it starts
    )
    response = client_for(admin).post(f"/schedule/practitioners/{alice.practitioner.pk}/availability", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The day ends after it starts." in html
    assert 'id="id_5-ends_at-errors"' in html
    monday = WorkingHours.objects.get(practitioner=alice.practitioner, weekday=0)
    assert monday.starts_at == datetime.time(8)  # all or nothing


def test_adding_time_off_lists_the_visits_booked_in_it(
    client_for, dana, alice, patient, clinic_hours, next_monday
):
    services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": clinic_hours.rooms.get(name="Adjusting 1").pk,
            "starts_at": datetime.datetime.combine(next_monday, datetime.time(9)).isoformat(),
            "minutes": 30,
        },
    )
    response = client_for(dana).post(
        f"/schedule/practitioners/{alice.practitioner.pk}/availability",
        {
            "form": "time_off",
            "starts_at": f"{next_monday.isoformat()}T08:00",
            "ends_at": f"{next_monday.isoformat()}T18:00",
            "reason": "Course",
        },
        follow=True,
    )
    html = response.content.decode()
    assert TimeOff.objects.filter(practitioner=alice.practitioner, reason="Course").exists()
    assert "Booked in this time off, to move: Robert Hale" in html


def test_time_off_that_ends_before_it_starts_is_refused(client_for, alice, clinic_hours, next_monday):
    response = client_for(alice).post(
        f"/schedule/practitioners/{alice.practitioner.pk}/availability",
        {"form": "time_off", "starts_at": f"{next_monday}T18:00", "ends_at": f"{next_monday}T08:00"},
    )
    assert response.status_code == 422
    assert "Time off ends after it starts." in response.content.decode()
    assert not TimeOff.objects.exists()


def test_removing_time_off(client_for, alice, clinic_hours, next_monday):
    away = services.time_off_add(
        actor=alice,
        practitioner=alice.practitioner,
        starts_at=f"{next_monday}T08:00",
        ends_at=f"{next_monday}T12:00",
    )
    assert client_for(alice).post(f"/schedule/time-off/{away.pk}/remove").status_code == 302
    assert not TimeOff.objects.exists()


def test_a_colleague_cannot_see_or_change_anothers_availability(
    client_for, ben, alice, clinic_hours, next_monday
):
    away = services.time_off_add(
        actor=alice,
        practitioner=alice.practitioner,
        starts_at=f"{next_monday}T08:00",
        ends_at=f"{next_monday}T12:00",
    )
    client = client_for(ben)
    assert client.get(f"/schedule/practitioners/{alice.practitioner.pk}/availability").status_code == 404
    assert client.post(f"/schedule/time-off/{away.pk}/remove").status_code == 404
    assert TimeOff.objects.filter(pk=away.pk).exists()


def test_an_outsider_gets_404(client_for, outsider, alice, clinic_hours):
    page = client_for(outsider).get(f"/schedule/practitioners/{alice.practitioner.pk}/availability")
    assert page.status_code == 404


def test_quick_fill_fills_weekdays_after_16_without_saving(client_for, dana, patient):
    response = client_for(dana).post(f"/patients/{patient.pk}/availability", {"quick": "weekdays-after-16"})
    html = response.content.decode()
    assert response.status_code == 200
    for weekday in range(5):
        assert f'name="{weekday}-0-starts_at" value="16:00"' in html
    assert 'name="5-0-starts_at" value=' not in html
    assert not PatientAvailability.objects.exists()


def test_saving_the_patients_windows(client_for, dana, patient):
    data = {f"{d}-0-starts_at": "16:00" for d in range(5)} | {f"{d}-0-ends_at": "19:00" for d in range(5)}
    data |= {
        "5-0-starts_at": "09:00",
        "5-0-ends_at": "12:00",
        "5-1-starts_at": "14:00",
        "5-1-ends_at": "16:00",
    }
    response = client_for(dana).post(f"/patients/{patient.pk}/availability", data)
    assert response.status_code == 302
    rows = list(PatientAvailability.objects.filter(patient=patient).order_by("weekday", "starts_at"))
    assert len(rows) == 7
    assert (rows[-1].weekday, rows[-1].starts_at, rows[-1].ends_at) == (
        5,
        datetime.time(14),
        datetime.time(16),
    )
    page = client_for(dana).get(f"/patients/{patient.pk}/availability").content.decode()
    assert 'name="5-1-starts_at" value="14:00"' in page


def test_a_window_that_ends_before_it_starts_is_refused_beside_it(client_for, dana, patient):
    services.patient_availability_set(
        actor=dana, patient=patient, windows=[{"weekday": 0, "starts_at": "08:00", "ends_at": "10:00"}]
    )
    response = client_for(dana).post(
        f"/patients/{patient.pk}/availability", {"2-0-starts_at": "17:00", "2-0-ends_at": "09:00"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_2-0-ends_at-errors"' in html and "The window ends after it starts." in html
    assert list(PatientAvailability.objects.values_list("weekday", flat=True)) == [0]


def test_clearing_every_window_means_any_time(client_for, dana, patient):
    services.patient_availability_set(
        actor=dana, patient=patient, windows=[{"weekday": 0, "starts_at": "08:00", "ends_at": "10:00"}]
    )
    response = client_for(dana).post(f"/patients/{patient.pk}/availability", {}, follow=True)
    assert "any time" in response.content.decode()
    assert not PatientAvailability.objects.exists()


def test_patient_availability_is_404_outside_the_team(client_for, maya, outsider, other_patient, patient):
    assert client_for(maya).get(f"/patients/{other_patient.pk}/availability").status_code == 404
    assert client_for(outsider).post(f"/patients/{patient.pk}/availability", {}).status_code == 404
