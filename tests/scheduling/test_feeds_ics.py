"""iCalendar feeds: what each feed shows (never clinical content), stable UIDs, secret URLs and revocation."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.db.models import F
from icalendar import Calendar

from tandem.audit.models import AuditEvent
from tandem.scheduling import services
from tandem.scheduling.models import Appointment, CalendarFeed

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(dana, alice, patient, clinic_hours, next_monday):
    return services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": clinic_hours.rooms.get(name="Adjusting 1").pk,
            "starts_at": datetime.datetime.combine(next_monday, datetime.time(9)).isoformat(),
            "minutes": 30,
        },
    )


def _events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_the_practitioner_feed_names_the_patient_by_initials_only(client_for, alice, visit):
    response = client_for(alice).get(f"/schedule/practitioners/{alice.practitioner.pk}/calendar.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content
    (event,) = _events(body)
    assert str(event["SUMMARY"]) == "R.H. · Chiropractic"
    assert "Adjusting 1" in str(event["LOCATION"]) and "Riverside Main" in str(event["LOCATION"])
    assert event["UID"] == f"appointment-{visit.pk}@tandem.invalid"
    assert (
        event.decoded("DTSTART") == visit.starts_at
        and event.decoded("DTSTART").utcoffset().total_seconds() == 0
    )
    assert b"DTSTART:" in body and re.search(rb"DTSTART:\d{8}T\d{6}Z", body)  # UTC form
    assert str(event["STATUS"]) == "CONFIRMED"
    text = body.decode()
    for clinical in ("Hale", "Robert", "M51", "Warfarin", "lumbar", "activator"):
        assert clinical not in text


def test_the_patient_feed_shows_discipline_practitioner_and_place_and_is_audited(
    client_for, dana, patient, visit
):
    response = client_for(dana).get(f"/patients/{patient.pk}/calendar.ics")
    (event,) = _events(response.content)
    assert str(event["SUMMARY"]).startswith("Chiropractic with Dr Alice")
    assert "Riverside Main" in str(event["LOCATION"])
    assert AuditEvent.objects.filter(action="R", patient_id=patient.pk, detail="calendar.ics").exists()
    assert b"Warfarin" not in response.content and b"M51" not in response.content


def _an_hour_passes(appointment: Appointment) -> None:
    """Move the row's timestamps an hour back: SEQUENCE counts seconds since creation, and a test changes an
    appointment faster than any person would."""
    hour = datetime.timedelta(hours=1)
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=F("created_at") - hour, updated_at=F("updated_at") - hour
    )
    appointment.refresh_from_db()


def test_a_change_keeps_the_uid_and_bumps_the_sequence_and_a_cancellation_is_cancelled(
    client_for, dana, alice, visit, next_monday
):
    client = client_for(alice)
    url = f"/schedule/practitioners/{alice.practitioner.pk}/calendar.ics"
    _an_hour_passes(visit)
    (before,) = _events(client.get(url).content)
    moved = services.appointment_move(
        actor=dana,
        appointment=visit,
        data={"starts_at": datetime.datetime.combine(next_monday, datetime.time(10)).isoformat()},
    )
    (after,) = _events(client.get(url).content)
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART") == moved.starts_at
    _an_hour_passes(moved)
    services.appointment_cancel(actor=dana, appointment=moved, reason="Patient called")
    (cancelled,) = _events(client.get(url).content)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(after["SEQUENCE"])


def test_feeds_are_404_to_outsiders_and_outside_the_team(
    client_for, outsider, maya, alice, other_patient, patient
):
    assert (
        client_for(outsider).get(f"/schedule/practitioners/{alice.practitioner.pk}/calendar.ics").status_code
        == 404
    )
    assert client_for(outsider).get(f"/patients/{patient.pk}/calendar.ics").status_code == 404
    assert client_for(maya).get(f"/patients/{other_patient.pk}/calendar.ics").status_code == 404


def _new_feed_url(client, **data: str) -> str:
    response = client.post("/schedule/feeds/", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    found = re.search(r'id="new-feed-url">([^<]+)<', response.content.decode())
    assert found
    return found.group(1)


def test_a_secret_url_serves_my_calendar_without_signing_in_and_stores_only_a_digest(
    client_for, client, alice, visit
):
    url = _new_feed_url(client_for(alice), subject="practitioner")
    token = re.search(r"/calendar/(.+)\.ics$", url).group(1)
    feed = CalendarFeed.objects.get(owner=alice)
    assert feed.digest == hashlib.sha256(token.encode()).hexdigest() and token not in feed.digest
    response = client.get(f"/calendar/{token}.ics")  # not signed in
    assert response.status_code == 200
    assert [str(e["SUMMARY"]) for e in _events(response.content)] == ["R.H. · Chiropractic"]
    feed.refresh_from_db()
    assert feed.last_used_at is not None
    listing = client_for(alice).get("/schedule/feeds/").content.decode()
    assert token not in listing  # shown once


def test_a_revoked_or_unknown_token_is_404(client_for, client, alice, visit):
    alice_client = client_for(alice)
    url = _new_feed_url(alice_client, subject="practitioner")
    token = re.search(r"/calendar/(.+)\.ics$", url).group(1)
    feed = CalendarFeed.objects.get(owner=alice)
    assert alice_client.post(f"/schedule/feeds/{feed.pk}/revoke").status_code == 302
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_a_patient_feed_by_mrn_is_audited_in_the_owners_name(client_for, client, dana, patient, visit):
    url = _new_feed_url(client_for(dana), subject="patient", mrn=patient.mrn)
    token = re.search(r"/calendar/(.+)\.ics$", url).group(1)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert "Chiropractic with" in str(_events(response.content)[0]["SUMMARY"])
    assert AuditEvent.objects.filter(
        action="R", object_type="CalendarFeed", patient_id=patient.pk, actor_id=dana.pk
    ).exists()


def test_a_feed_for_a_patient_i_may_not_see_is_refused_beside_the_field(client_for, maya, other_patient):
    response = client_for(maya).post("/schedule/feeds/", {"subject": "patient", "mrn": other_patient.mrn})
    assert response.status_code == 422
    assert "Give the MRN of a patient whose visits you may see." in response.content.decode()
    assert not CalendarFeed.objects.exists()


def test_the_front_desk_has_no_own_calendar_to_share(client_for, dana):
    response = client_for(dana).post("/schedule/feeds/", {"subject": "practitioner"})
    assert response.status_code == 422
    assert not CalendarFeed.objects.exists()


def test_a_feed_stops_when_its_owner_loses_access(client_for, client, ben, other_patient, dana, clinic_hours):
    url = _new_feed_url(client_for(ben), subject="patient", mrn=other_patient.mrn)
    token = re.search(r"/calendar/(.+)\.ics$", url).group(1)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    ben.is_active = False
    ben.save()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_i_cannot_revoke_someone_elses_feed(client_for, alice, ben):
    feed = CalendarFeed.objects.create(owner=alice, practitioner=alice.practitioner, digest="1" * 64)
    assert client_for(ben).post(f"/schedule/feeds/{feed.pk}/revoke").status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None
