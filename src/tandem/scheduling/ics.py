"""iCalendar (RFC 5545) feeds of the schedule, and the secret feed URLs for calendar apps that cannot sign in.

A practitioner's feed names each patient by initials only, with the discipline and the room; a patient's feed
shows the discipline, the practitioner and the place. Neither carries clinical content (no technique, site or
condition). Each appointment keeps one UID for life, so a calendar app updates the event in place; SEQUENCE
grows with every change (RFC 5545 §3.8.7.4), and a cancelled visit stays in the feed as STATUS:CANCELLED so
the app removes it rather than keeping a stale copy.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from icalendar import Calendar, Event, vText

from tandem.accounts.models import Practitioner, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.patients.models import Patient
from tandem.scheduling.access import can_manage_availability, can_schedule_for
from tandem.scheduling.models import Appointment, AppointmentStatus, CalendarFeed

PRODID = "-//Tandem//Schedule//EN"
UID_DOMAIN = "tandem.invalid"
PAST_DAYS = 60  # a feed shows this much history and everything ahead (a year at most)
FUTURE_DAYS = 400
FEED_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.FULFILLED,
    AppointmentStatus.NOSHOW,
    AppointmentStatus.CANCELLED,
)
TOKEN_BYTES = 32


def uid_of(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}@{UID_DOMAIN}"


def sequence_of(appointment: Appointment) -> int:
    """Seconds between creation and the last change: 0 for a new appointment, larger after each change."""
    return max(0, int((appointment.updated_at - appointment.created_at).total_seconds()))


def initials(patient: Patient) -> str:
    return "".join(
        f"{name.strip()[0].upper()}." for name in (patient.given_name, patient.family_name) if name
    )


def _place(appointment: Appointment, *, room: bool) -> str:
    location = appointment.location
    parts = [appointment.room.name] if room else []
    parts.append(location.name)
    address = ", ".join(p for p in (location.address_line, location.city, location.state) if p)
    if address:
        parts.append(address)
    return ", ".join(parts)


def _event(appointment: Appointment, summary: str, place: str) -> Event:
    event = Event()
    event.add("uid", uid_of(appointment))
    event.add("dtstamp", appointment.updated_at.astimezone(datetime.UTC))
    event.add("last-modified", appointment.updated_at.astimezone(datetime.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(datetime.UTC))
    event.add("dtend", appointment.ends_at.astimezone(datetime.UTC))
    event.add("summary", summary)
    event.add("location", vText(place))
    event.add("sequence", sequence_of(appointment))
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _calendar(name: str, events: Iterable[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def _window(now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    now = now or timezone.now()
    return now - datetime.timedelta(days=PAST_DAYS), now + datetime.timedelta(days=FUTURE_DAYS)


def appointments_for_practitioner_feed(practitioner: Practitioner) -> list[Appointment]:
    first, last = _window()
    return list(
        Appointment.objects.filter(
            practitioner=practitioner, status__in=FEED_STATUSES, starts_at__gte=first, starts_at__lt=last
        )
        .select_related("patient", "room", "location")
        .order_by("starts_at", "id")
    )


def appointments_for_patient_feed(patient: Patient) -> list[Appointment]:
    first, last = _window()
    return list(
        Appointment.objects.filter(
            patient=patient, status__in=FEED_STATUSES, starts_at__gte=first, starts_at__lt=last
        )
        .select_related("practitioner__user", "room", "location")
        .order_by("starts_at", "id")
    )


def practitioner_calendar(practitioner: Practitioner, appointments: Iterable[Appointment]) -> bytes:
    """The practitioner's visits: “R.H. · Chiropractic”, in the room at the location."""
    events = (
        _event(a, f"{initials(a.patient)} · {a.get_discipline_display()}", _place(a, room=True))
        for a in appointments
    )
    return _calendar(f"Tandem: {practitioner.display_name}", events)


def patient_calendar(patient: Patient, appointments: Iterable[Appointment]) -> bytes:
    """The patient's visits: “Chiropractic with Dr Alice …”, at the location."""
    events = (
        _event(
            a,
            f"{a.get_discipline_display()} with {a.practitioner.display_name}",
            _place(a, room=False),
        )
        for a in appointments
    )
    return _calendar(f"Visits of {patient.given_name}", events)


# --- Secret feed URLs ------------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(
    *, actor: User, practitioner: Practitioner | None = None, patient: Patient | None = None
) -> tuple[CalendarFeed, str]:
    """A secret feed URL token for the actor's own calendar or a patient they may schedule; the token is
    answered once and only its SHA-256 digest is kept."""
    if (practitioner is None) == (patient is None):
        raise ValidationError({"subject": "Choose your own calendar or one patient's."})
    if practitioner is not None and not (
        actor.is_clinician
        and actor.practitioner.pk == practitioner.pk
        and can_manage_availability(actor, practitioner)
    ):
        raise ValidationError({"subject": "You may create a feed of your own calendar only."})
    if patient is not None and not can_schedule_for(actor, patient):
        raise ValidationError({"mrn": "No such patient."})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed.objects.create(
        owner=actor, practitioner=practitioner, patient=patient, digest=token_digest(token)
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="CalendarFeed",
        object_id=feed.pk,
        patient_id=patient.pk if patient else None,
        detail=f"practitioner={practitioner.pk}" if practitioner else "patient feed",
    )
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, actor: User, feed: CalendarFeed) -> CalendarFeed:
    if feed.owner_id != actor.pk:
        raise ValidationError({"feed": "No such calendar feed."})
    if feed.revoked_at is not None:
        raise ValidationError({"feed": "This feed is already revoked."})
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="CalendarFeed",
        object_id=feed.pk,
        patient_id=feed.patient_id,
        detail="revoked",
    )
    return feed


def calendar_feed_render(token: str) -> bytes:
    """The .ics of a live feed token (Http404 for an unknown or revoked token, or an owner who lost access).

    Marks the feed used and, for a patient's feed, writes the audit read entry in the owner's name."""
    feed = (
        CalendarFeed.objects.select_related("owner", "practitioner__user", "patient")
        .filter(digest=token_digest(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.owner.is_active:
        raise Http404("No such calendar.")
    if feed.patient is not None:
        if not can_schedule_for(feed.owner, feed.patient):
            raise Http404("No such calendar.")
        body = patient_calendar(feed.patient, appointments_for_patient_feed(feed.patient))
    else:
        assert feed.practitioner is not None
        if not can_manage_availability(feed.owner, feed.practitioner):
            raise Http404("No such calendar.")
        body = practitioner_calendar(feed.practitioner, appointments_for_practitioner_feed(feed.practitioner))
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
        if feed.patient is not None:
            audit_record(
                actor=feed.owner,
                action=AuditAction.READ,
                object_type="CalendarFeed",
                object_id=feed.pk,
                patient_id=feed.patient_id,
                detail="calendar.ics by secret URL",
            )
    return body
