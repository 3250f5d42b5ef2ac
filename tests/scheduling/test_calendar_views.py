"""The calendar pages (issue #4 item 5): day and week views, "Busy" for patients the viewer may not see,
booking, moving (form and drag and drop), cancelling, status changes, a patient's schedule, the chart panel.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.audit.models import AuditEvent
from tandem.scheduling import services
from tandem.scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.django_db


def _room(location, name: str):
    return location.rooms.get(name=name)


def _book(actor, patient, practitioner, room, day, hour, minute=0, minutes=30):
    return services.appointment_book(
        actor=actor,
        patient=patient,
        data={
            "practitioner": practitioner.practitioner.pk,
            "room": room.pk,
            "starts_at": datetime.datetime.combine(day, datetime.time(hour, minute)).isoformat(),
            "minutes": minutes,
        },
    )


@pytest.fixture
def visits(dana, alice, ben, patient, other_patient, clinic_hours, next_monday):
    """Next Monday: Robert with alice at 09:00 (Adjusting 1), Linda with ben at 10:00 (Gym floor)."""
    robert = _book(dana, patient, alice, _room(clinic_hours, "Adjusting 1"), next_monday, 9)
    linda = _book(dana, other_patient, ben, _room(clinic_hours, "Gym floor"), next_monday, 10)
    return {"robert": robert, "linda": linda}


def _local(moment: datetime.datetime) -> datetime.datetime:
    return services.local(moment)


# --- Calendars ----------------------------------------------------------------------------------------------


def test_it_shows_a_location_day_with_one_column_per_practitioner_working(
    client_for, dana, visits, clinic_hours, next_monday
):
    response = client_for(dana).get(
        f"/schedule/locations/{clinic_hours.pk}/day?date={next_monday.isoformat()}"
    )
    assert response.status_code == 200
    html = response.content.decode()
    heads = re.findall(r'<th scope="col" class="cal-col-head[^"]*">\s*<a[^>]*>([^<]+)</a>', html)
    assert len(heads) == 3 and any("Alice" in h for h in heads) and any("Ben" in h for h in heads)
    assert "Hale" in html and "Park" in html  # the front desk sees every patient of the clinic
    assert "09:00–09:30" in html and "10:00–10:30" in html
    assert "cal-break" in html and "cal-off" in html  # lunch and the hours before 08:00
    # 13 hours of 15-minute rows
    assert html.count('<th scope="row" class="cal-time">') == 52


def test_maya_sees_busy_for_linda_on_bens_calendar_but_not_her_name(
    client_for, maya, ben, visits, next_monday
):
    response = client_for(maya).get(
        f"/schedule/practitioners/{ben.practitioner.pk}/day?date={next_monday.isoformat()}"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Busy" in html
    assert "Linda" not in html and "Park" not in html
    assert f"/appointments/{visits['linda'].pk}/" not in html  # no link, nothing to drag
    assert 'draggable="true"' not in html


def test_maya_sees_robert_by_name_on_alices_calendar(client_for, maya, alice, visits, next_monday):
    html = (
        client_for(maya)
        .get(f"/schedule/practitioners/{alice.practitioner.pk}/day?date={next_monday.isoformat()}")
        .content.decode()
    )
    assert "Robert Hale" in html and "Busy" not in html


def test_a_calendar_read_is_audited_for_the_patients_it_names(
    client_for, maya, clinic_hours, visits, next_monday
):
    before = AuditEvent.objects.count()
    client_for(maya).get(f"/schedule/locations/{clinic_hours.pk}/day?date={next_monday.isoformat()}")
    reads = AuditEvent.objects.filter(sequence__gt=before, action="R", object_type="Appointment")
    assert set(reads.values_list("patient_id", flat=True)) == {visits["robert"].patient_id}


def test_the_week_view_has_seven_days_and_the_visits_of_the_week(client_for, alice, visits, next_monday):
    thursday = next_monday + datetime.timedelta(days=3)
    response = client_for(alice).get(
        f"/schedule/practitioners/{alice.practitioner.pk}/week?date={thursday.isoformat()}"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="cal-col-head') == 7
    assert f"Mon {next_monday.day} " in html and "Robert Hale" in html and "09:00–09:30" in html


def test_the_room_views_show_the_rooms_visits(client_for, dana, clinic_hours, visits, next_monday):
    gym = _room(clinic_hours, "Gym floor")
    day = client_for(dana).get(f"/schedule/rooms/{gym.pk}/day?date={next_monday.isoformat()}")
    week = client_for(dana).get(f"/schedule/rooms/{gym.pk}/week?date={next_monday.isoformat()}")
    by_room = client_for(dana).get(
        f"/schedule/locations/{clinic_hours.pk}/day?date={next_monday.isoformat()}&by=room"
    )
    for response in (day, week, by_room):
        assert response.status_code == 200 and "Linda Park" in response.content.decode()
    assert "Robert Hale" not in day.content.decode()
    assert by_room.content.decode().count('class="cal-col-head') == clinic_hours.rooms.count()


def test_a_bad_date_shows_today_with_a_message(client_for, dana, clinic_hours):
    response = client_for(dana).get(f"/schedule/locations/{clinic_hours.pk}/day?date=2026-02-31")
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a date" in html
    today = timezone.localdate()
    assert f'data-date="{today.isoformat()}"' in html


def test_navigation_by_htmx_answers_the_calendar_only(client_for, dana, clinic_hours, next_monday):
    response = client_for(dana).get(
        f"/schedule/locations/{clinic_hours.pk}/day?date={next_monday.isoformat()}",
        headers={"HX-Request": "true", "HX-Target": "calendar"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'class="cal"' in html
    following = (next_monday + datetime.timedelta(days=1)).isoformat()
    assert f'hx-get="/schedule/locations/{clinic_hours.pk}/day?date={following}"' in html


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_page_needs_the_same_few_queries_whatever_the_number_of_visits(
    client_for, dana, alice, ben, maya, patient, other_patient, new_patient, clinic_hours, next_monday
):
    rooms = {name: _room(clinic_hours, name) for name in ("Adjusting 1", "Gym floor", "Massage 1")}
    client = client_for(maya)
    url = f"/schedule/locations/{clinic_hours.pk}/day?date={next_monday.isoformat()}"
    _book(dana, patient, alice, rooms["Adjusting 1"], next_monday, 8)
    client.get(url)  # warm up: the session's first save
    few = _queries(client, url)
    for hour in (9, 10, 11, 14, 15, 16):
        _book(dana, patient, alice, rooms["Adjusting 1"], next_monday, hour)
        _book(dana, other_patient, ben, rooms["Gym floor"], next_monday, hour)
        _book(dana, new_patient(alice), maya, rooms["Massage 1"], next_monday, hour)
    many = _queries(client, url)
    assert few == many
    # 9 for the calendar; the rest is the session (read, user, save on every request) and one audit write.
    assert many <= 20
    html = client.get(url).content.decode()
    assert html.count('class="cal-visit ') == 19


def test_schedule_home_opens_my_week_or_the_first_location(client_for, alice, dana, clinic_hours):
    mine = client_for(alice).get("/schedule/")
    assert mine.status_code == 302
    assert mine["Location"] == f"/schedule/practitioners/{alice.practitioner.pk}/week"
    desk = client_for(dana).get("/schedule/")
    assert desk.status_code == 302 and desk["Location"].startswith("/schedule/locations/")


def test_an_outsider_gets_404_everywhere(client_for, outsider, patient, alice, clinic_hours, visits):
    client = client_for(outsider)
    appointment = visits["robert"]
    for url in (
        f"/schedule/locations/{clinic_hours.pk}/day",
        f"/schedule/practitioners/{alice.practitioner.pk}/week",
        f"/schedule/rooms/{_room(clinic_hours, 'Adjusting 1').pk}/day",
        f"/appointments/{appointment.pk}/",
        f"/appointments/{appointment.pk}/move",
        f"/appointments/{appointment.pk}/cancel",
        f"/patients/{patient.pk}/schedule",
        f"/patients/{patient.pk}/appointments/new",
    ):
        assert client.get(url).status_code == 404, url
    moved = client.post(
        f"/appointments/{appointment.pk}/move",
        {
            "starts_at": "2030-01-01T10:00",
            "view": "location-day",
            "subject": clinic_hours.pk,
            "date": "2030-01-01",
        },
    )
    status = client.post(f"/appointments/{appointment.pk}/status", {"to": "noshow"})
    assert moved.status_code == 404 and status.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


# --- Booking one visit --------------------------------------------------------------------------------------


def test_dana_books_a_visit_from_the_form(client_for, dana, maya, patient, clinic_hours, next_monday):
    massage = _room(clinic_hours, "Massage 1")
    response = client_for(dana).post(
        f"/patients/{patient.pk}/appointments/new",
        {
            "practitioner": maya.practitioner.pk,
            "room": massage.pk,
            "starts_at": f"{next_monday.isoformat()}T14:15",
            "minutes": "45",
            "note": "Prefers the window room",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/schedule"
    booked = Appointment.objects.get(patient=patient)
    assert (booked.practitioner_id, booked.room_id, booked.minutes) == (maya.practitioner.pk, massage.pk, 45)
    assert _local(booked.starts_at).time() == datetime.time(14, 15)
    assert booked.discipline == "massage-therapy" and booked.note == "Prefers the window room"


def test_a_refused_booking_shows_the_message_beside_the_field_and_keeps_the_values(
    client_for, dana, alice, patient, clinic_hours, next_monday
):
    response = client_for(dana).post(
        f"/patients/{patient.pk}/appointments/new",
        {
            "practitioner": alice.practitioner.pk,
            "room": _room(clinic_hours, "Massage 1").pk,  # no adjusting table
            "starts_at": f"{next_monday.isoformat()}T12:15",
            "minutes": "30",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_room-errors"' in html and "has no adjusting table" in html
    assert f'value="{next_monday.isoformat()}T12:15"' in html
    assert not Appointment.objects.filter(patient=patient).exists()


def test_booking_at_lunch_is_refused_with_the_services_message(
    client_for, dana, alice, patient, clinic_hours, next_monday
):
    response = client_for(dana).post(
        f"/patients/{patient.pk}/appointments/new",
        {
            "practitioner": alice.practitioner.pk,
            "room": _room(clinic_hours, "Adjusting 1").pk,
            "starts_at": f"{next_monday.isoformat()}T12:15",
            "minutes": "30",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_starts_at-errors"' in html and "does not work" in html
    assert not Appointment.objects.exists()


def test_garbage_in_the_booking_form_gets_messages_not_a_500(client_for, dana, patient, clinic_hours):
    response = client_for(dana).post(
        f"/patients/{patient.pk}/appointments/new",
        {"practitioner": "x", "room": "99999999999999999999", "starts_at": "tomorrow", "minutes": "-3"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give a date and time" in html and 'id="id_practitioner-errors"' in html
    assert not Appointment.objects.exists()


def test_the_room_list_follows_the_practitioners_discipline(client_for, dana, maya, patient, clinic_hours):
    html = (
        client_for(dana)
        .get(f"/patients/{patient.pk}/appointments/new?practitioner={maya.practitioner.pk}")
        .content.decode()
    )
    room_select = html.split('id="id_room"')[1].split("</select>")[0]
    assert "Massage 1" in room_select and "Adjusting 1" not in room_select


# --- Moving -------------------------------------------------------------------------------------------------


def test_dana_moves_a_visit_with_the_form(client_for, dana, visits, clinic_hours, next_monday):
    robert = visits["robert"]
    tuesday = next_monday + datetime.timedelta(days=1)
    response = client_for(dana).post(
        f"/appointments/{robert.pk}/move",
        {
            "starts_at": f"{tuesday.isoformat()}T15:30",
            "practitioner": robert.practitioner_id,
            "room": _room(clinic_hours, "Adjusting 2").pk,
            "minutes": "30",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/appointments/{robert.pk}/"
    robert.refresh_from_db()
    assert _local(robert.starts_at) == datetime.datetime.combine(tuesday, datetime.time(15, 30)).replace(
        tzinfo=_local(robert.starts_at).tzinfo
    )
    assert robert.room.name == "Adjusting 2"


def test_a_refused_move_by_form_changes_nothing(client_for, dana, visits, next_monday):
    robert, linda = visits["robert"], visits["linda"]
    before = (robert.starts_at, robert.room_id)
    response = client_for(dana).post(
        f"/appointments/{robert.pk}/move",
        {
            "starts_at": f"{next_monday.isoformat()}T10:00",
            "practitioner": robert.practitioner_id,
            "room": linda.room_id,  # the gym floor is taken by Linda then, and has no adjusting table
            "minutes": "30",
        },
    )
    assert response.status_code == 200 and 'id="id_room-errors"' in response.content.decode()
    robert.refresh_from_db()
    assert (robert.starts_at, robert.room_id) == before


def test_a_drop_on_the_calendar_moves_the_visit_and_answers_the_new_calendar(
    client_for, dana, alice, visits, clinic_hours, next_monday
):
    robert = visits["robert"]
    response = client_for(dana).post(
        f"/appointments/{robert.pk}/move",
        {
            "starts_at": f"{next_monday.isoformat()}T14:45",
            "practitioner": alice.practitioner.pk,
            "view": "location-day",
            "subject": clinic_hours.pk,
            "date": next_monday.isoformat(),
            "by": "practitioner",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "14:45–15:15" in html and 'data-status="Moved Robert Hale to' in html
    robert.refresh_from_db()
    assert _local(robert.starts_at).time() == datetime.time(14, 45)


def test_a_refused_drop_answers_the_message_and_changes_nothing(
    client_for, dana, visits, clinic_hours, next_monday
):
    robert = visits["robert"]
    before = robert.starts_at
    response = client_for(dana).post(
        f"/appointments/{robert.pk}/move",
        {
            "starts_at": f"{next_monday.isoformat()}T12:15",  # lunch
            "view": "practitioner-week",
            "subject": robert.practitioner_id,
            "date": next_monday.isoformat(),
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/plain")
    assert "does not work" in response.content.decode()
    robert.refresh_from_db()
    assert robert.starts_at == before


def test_a_drop_naming_no_calendar_is_refused_cleanly(client_for, dana, visits):
    robert = visits["robert"]
    response = client_for(dana).post(
        f"/appointments/{robert.pk}/move",
        {"starts_at": "2030-01-01T10:00", "view": "nonsense", "subject": "x"},
    )
    assert response.status_code == 422
    robert.refresh_from_db()
    assert robert.status == AppointmentStatus.BOOKED


def test_maya_cannot_move_lindas_visit(client_for, maya, visits, next_monday):
    linda = visits["linda"]
    response = client_for(maya).post(
        f"/appointments/{linda.pk}/move",
        {
            "starts_at": f"{next_monday.isoformat()}T15:00",
            "view": "practitioner-day",
            "subject": linda.practitioner_id,
            "date": next_monday.isoformat(),
        },
    )
    assert response.status_code == 404
    linda.refresh_from_db()
    assert _local(linda.starts_at).time() == datetime.time(10, 0)


# --- Appointment page: status and cancelling ----------------------------------------------------------------


def test_the_appointment_page_shows_who_when_where_and_the_actions(client_for, dana, visits):
    robert = visits["robert"]
    html = client_for(dana).get(f"/appointments/{robert.pk}/").content.decode()
    assert "Robert Hale" in html and "Adjusting 1" in html and "Riverside Main" in html and "09:00" in html
    assert (
        'value="noshow"' in html and 'value="arrived"' in html and "Cancel visit" in html and "Move" in html
    )


def test_dana_cancels_with_a_reason(client_for, dana, visits):
    robert = visits["robert"]
    refused = client_for(dana).post(f"/appointments/{robert.pk}/cancel", {"reason": "  "})
    assert refused.status_code == 200 and 'id="id_reason-errors"' in refused.content.decode()
    robert.refresh_from_db()
    assert robert.status == AppointmentStatus.BOOKED
    done = client_for(dana).post(f"/appointments/{robert.pk}/cancel", {"reason": "Patient called in sick"})
    assert done.status_code == 302
    robert.refresh_from_db()
    assert (robert.status, robert.cancel_reason) == (AppointmentStatus.CANCELLED, "Patient called in sick")


def test_a_future_visit_cannot_be_a_no_show(client_for, dana, visits):
    robert = visits["robert"]
    client = client_for(dana)
    response = client.post(f"/appointments/{robert.pk}/status", {"to": "noshow"}, follow=True)
    assert "has not started yet" in response.content.decode()
    robert.refresh_from_db()
    assert robert.status == AppointmentStatus.BOOKED


def test_entered_in_error_needs_a_reason(client_for, dana, visits):
    robert = visits["robert"]
    client = client_for(dana)
    client.post(f"/appointments/{robert.pk}/status", {"to": "entered-in-error"})
    robert.refresh_from_db()
    assert robert.status == AppointmentStatus.BOOKED
    client.post(f"/appointments/{robert.pk}/status", {"to": "entered-in-error", "reason": "Booked twice"})
    robert.refresh_from_db()
    assert (robert.status, robert.cancel_reason) == (AppointmentStatus.ENTERED_IN_ERROR, "Booked twice")


def test_an_unknown_status_is_a_message_not_a_500(client_for, dana, visits):
    robert = visits["robert"]
    response = client_for(dana).post(f"/appointments/{robert.pk}/status", {"to": "teleported"}, follow=True)
    assert response.status_code == 200 and "Unknown status" in response.content.decode()


@pytest.fixture
def today_visit(dana, alice, patient, clinic_hours):
    """A visit at 07:00 today (made directly: the service refuses past times; check-in is same-day)."""
    day = timezone.localdate()
    starts = services.at(day, datetime.time(7, 0))
    return Appointment.objects.create(
        organization=patient.organization,
        location=clinic_hours,
        patient=patient,
        practitioner=alice.practitioner,
        room=_room(clinic_hours, "Adjusting 1"),
        discipline="chiropractic",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(minutes=30),
        created_by=dana,
    )


def test_check_in_seen_and_undo(client_for, dana, today_visit):
    client = client_for(dana)
    url = f"/appointments/{today_visit.pk}/status"
    client.post(url, {"to": "arrived"})
    today_visit.refresh_from_db()
    assert today_visit.status == AppointmentStatus.ARRIVED and today_visit.arrived_at is not None
    page = client.get(f"/appointments/{today_visit.pk}/").content.decode()
    assert "Checked in" in page and 'value="fulfilled"' in page and 'value="booked"' in page
    client.post(url, {"to": "booked"})
    today_visit.refresh_from_db()
    assert today_visit.status == AppointmentStatus.BOOKED
    client.post(url, {"to": "arrived"})
    client.post(url, {"to": "fulfilled"})
    today_visit.refresh_from_db()
    assert today_visit.status == AppointmentStatus.FULFILLED


def test_a_checked_in_visit_shows_its_status_on_the_calendar(client_for, dana, alice, today_visit):
    client = client_for(dana)
    client.post(f"/appointments/{today_visit.pk}/status", {"to": "arrived"})
    html = client.get(f"/schedule/practitioners/{alice.practitioner.pk}/day").content.decode()
    assert "cal-status-arrived" in html and "Checked in" in html


# --- A patient's schedule and the chart panel ---------------------------------------------------------------


def test_the_patient_schedule_lists_upcoming_and_cancelled_visits(
    client_for, dana, alice, patient, clinic_hours, next_monday
):
    kept = _book(dana, patient, alice, _room(clinic_hours, "Adjusting 1"), next_monday, 9)
    dropped = _book(dana, patient, alice, _room(clinic_hours, "Adjusting 1"), next_monday, 11)
    services.appointment_cancel(actor=dana, appointment=dropped, reason="Clash with work")
    html = client_for(dana).get(f"/patients/{patient.pk}/schedule").content.decode()
    upcoming = html.split('id="upcoming-visits"')[1].split("</table>")[0]
    past = html.split('id="past-visits"')[1].split("</table>")[0]
    assert f"/appointments/{kept.pk}/" in upcoming and f"/appointments/{dropped.pk}/" not in upcoming
    assert f"/appointments/{dropped.pk}/" in past and "Cancelled" in past
    assert f"/patients/{patient.pk}/appointments/new" in html
    assert "Any time the clinic is open" in html


def test_maya_cannot_open_lindas_schedule(client_for, maya, other_patient):
    assert client_for(maya).get(f"/patients/{other_patient.pk}/schedule").status_code == 404


def _panel(user, patient) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load scheduling_tags %}{% scheduling_chart_panel patient %}")
    return template.render(Context({"request": request, "patient": patient}))


def test_the_chart_panel_shows_the_next_five_visits(dana, alice, patient, clinic_hours, next_monday):
    room = _room(clinic_hours, "Adjusting 1")
    booked = [_book(dana, patient, alice, room, next_monday, hour) for hour in (8, 9, 10, 11, 13, 14)]
    html = _panel(alice, patient)
    links = re.findall(r'href="/appointments/(\d+)/"', html)
    assert [int(pk) for pk in links] == [a.pk for a in booked[:5]]
    assert f"/patients/{patient.pk}/schedule" in html


def test_the_chart_panel_is_empty_for_someone_off_the_team(maya, other_patient):
    assert "Next visits" not in _panel(maya, other_patient)
