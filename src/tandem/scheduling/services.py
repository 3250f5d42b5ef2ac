"""Every change to the schedule: availability, appointments and the waitlist.

Each service checks who acts, validates, writes and audits in one transaction. Overlaps are checked first for
a clear message; the database (migration 0002) refuses them anyway, so two people booking the same slot at the
same moment get one appointment and one message, never two appointments.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from tandem.accounts.models import Location, Practitioner, Room, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.careplans.models import Activity, Approval, CarePlanStatus
from tandem.careplans.services import activity_recheck_safety
from tandem.core import clock
from tandem.core.db import is_deadlock
from tandem.core.ids import parse_id
from tandem.core.vocabularies import EQUIPMENT_FOR_DISCIPLINE
from tandem.patients.models import Patient
from tandem.scheduling.access import can_manage_availability, can_schedule_for
from tandem.scheduling.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    PatientAvailability,
    TimeOff,
    WaitlistEntry,
    WaitlistStatus,
    WorkingHours,
)

GRID_MINUTES = 15
MAX_VISIT_MINUTES = 240
MIN_VISIT_MINUTES = 10
MAX_BOOKING_DAYS_AHEAD = 366
OPEN_PLAN_STATUSES = (CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)


# --- Time helpers ----------------------------------------------------------------------------------------


def clinic_tz() -> datetime.tzinfo:
    return timezone.get_current_timezone()


def at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The aware datetime of a wall-clock time on a day in the clinic's time zone."""
    return datetime.datetime.combine(day, time, tzinfo=clinic_tz())


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, clinic_tz())


def hhmm(moment: datetime.datetime) -> str:
    return f"{local(moment):%H:%M}"


def when(moment: datetime.datetime) -> str:
    """e.g. “Tue 24 Nov 10:15”."""
    return f"{local(moment):%a %d %b %H:%M}"


# --- Availability ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    starts_at: datetime.datetime
    ends_at: datetime.datetime


def _minus(blocks: list[Block], cut_start: datetime.datetime, cut_end: datetime.datetime) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        if cut_end <= block.starts_at or cut_start >= block.ends_at:
            out.append(block)
            continue
        if block.starts_at < cut_start:
            out.append(Block(block.starts_at, cut_start))
        if cut_end < block.ends_at:
            out.append(Block(cut_end, block.ends_at))
    return out


def working_blocks(
    practitioner: Practitioner,
    location: Location,
    first_day: datetime.date,
    last_day: datetime.date,
    *,
    hours: Sequence[WorkingHours] | None = None,
    time_off: Sequence[TimeOff] | None = None,
) -> list[Block]:
    """When the practitioner works at the location between two days (inclusive): hours minus breaks and time
    off.

    Pass `hours` and `time_off` already loaded (all of the practitioner's) to avoid a query per practitioner.
    """
    if hours is None:
        hours = list(WorkingHours.objects.filter(practitioner=practitioner))
    if time_off is None:
        time_off = list(
            TimeOff.objects.filter(
                practitioner=practitioner,
                starts_at__lt=at(last_day + datetime.timedelta(days=1), datetime.time()),
                ends_at__gt=at(first_day, datetime.time()),
            )
        )
    by_weekday = {h.weekday: h for h in hours if h.location_id == location.pk}
    blocks: list[Block] = []
    day = first_day
    while day <= last_day:
        h = by_weekday.get(day.weekday())
        if h is not None:
            day_blocks = [Block(at(day, h.starts_at), at(day, h.ends_at))]
            if h.break_starts_at and h.break_ends_at:
                day_blocks = _minus(day_blocks, at(day, h.break_starts_at), at(day, h.break_ends_at))
            blocks.extend(day_blocks)
        day += datetime.timedelta(days=1)
    for away in time_off:
        blocks = _minus(blocks, away.starts_at, away.ends_at)
    return blocks


def _inside(blocks: Iterable[Block], starts_at: datetime.datetime, ends_at: datetime.datetime) -> bool:
    return any(b.starts_at <= starts_at and ends_at <= b.ends_at for b in blocks)


def _time(value: object, field: str, errors: dict[str, str]) -> datetime.time | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.time):
        return value
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        errors[field] = "Give a time as HH:MM, e.g. 08:30."
        return None


def _weekday(value: object, errors: dict[str, str]) -> int:
    try:
        weekday = int(str(value))
    except ValueError:
        weekday = -1
    if not 0 <= weekday <= 6:
        errors["weekday"] = "Weekday runs from 0 (Monday) to 6 (Sunday)."
    return weekday


@transaction.atomic
def working_hours_set(
    *, actor: User, practitioner: Practitioner, location: Location, weekday: object, data: Mapping[str, Any]
) -> WorkingHours | None:
    """Set (or, with no start and end, clear) a practitioner's hours on a weekday at a location.

    data: starts_at, ends_at, break_starts_at, break_ends_at (HH:MM). Booked appointments are not moved; the
    answer lists none, but later bookings respect the new hours.
    """
    if not can_manage_availability(actor, practitioner) or location.organization_id != actor.organization_id:
        raise ValidationError({"practitioner": "You may not change this practitioner's hours."})
    errors: dict[str, str] = {}
    day = _weekday(weekday, errors)
    starts = _time(data.get("starts_at"), "starts_at", errors)
    ends = _time(data.get("ends_at"), "ends_at", errors)
    break_starts = _time(data.get("break_starts_at"), "break_starts_at", errors)
    break_ends = _time(data.get("break_ends_at"), "break_ends_at", errors)
    if errors:
        raise ValidationError(errors)
    existing = WorkingHours.objects.filter(practitioner=practitioner, weekday=day).first()
    if starts is None and ends is None:
        if existing is not None:
            existing.delete()
            audit_record(
                actor=actor,
                action=AuditAction.DELETE,
                object_type="WorkingHours",
                object_id=existing.pk,
                detail=f"practitioner={practitioner.pk} weekday={day} cleared",
            )
        return None
    if starts is None or ends is None:
        errors["ends_at" if starts else "starts_at"] = "Give both the start and the end of the day."
    elif ends <= starts:
        errors["ends_at"] = "The day ends after it starts."
    if (break_starts is None) != (break_ends is None):
        errors["break_ends_at"] = "Give both the start and the end of the break, or neither."
    elif break_starts and break_ends and starts and ends:
        if not starts <= break_starts < break_ends <= ends:
            errors["break_starts_at"] = "The break lies inside the working day and ends after it starts."
    if errors:
        raise ValidationError(errors)
    hours = existing or WorkingHours(practitioner=practitioner, weekday=day)
    hours.location = location
    hours.starts_at, hours.ends_at = starts, ends  # type: ignore[assignment]
    hours.break_starts_at, hours.break_ends_at = break_starts, break_ends
    hours.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if existing else AuditAction.CREATE,
        object_type="WorkingHours",
        object_id=hours.pk,
        detail=f"practitioner={practitioner.pk} weekday={day} {starts:%H:%M}-{ends:%H:%M}",  # type: ignore[union-attr]
    )
    return hours


def _moment(value: object, field: str, errors: dict[str, str]) -> datetime.datetime | None:
    """An aware datetime from a datetime or ISO text (naive text is clinic time)."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        try:
            moment = datetime.datetime.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = "Give a date and time, e.g. 2026-12-01T09:30."
            return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=clinic_tz())
    return moment


@transaction.atomic
def time_off_add(
    *, actor: User, practitioner: Practitioner, starts_at: object, ends_at: object, reason: str = ""
) -> TimeOff:
    """Mark a practitioner away. Visits already booked in it are listed by `appointments_in_time_off`."""
    if not can_manage_availability(actor, practitioner):
        raise ValidationError({"practitioner": "You may not change this practitioner's time off."})
    errors: dict[str, str] = {}
    starts = _moment(starts_at, "starts_at", errors)
    ends = _moment(ends_at, "ends_at", errors)
    if starts and ends and ends <= starts:
        errors["ends_at"] = "Time off ends after it starts."
    if len(reason) > 200:
        errors["reason"] = "Keep the reason under 200 characters."
    if errors:
        raise ValidationError(errors)
    away = TimeOff.objects.create(
        practitioner=practitioner, starts_at=starts, ends_at=ends, reason=reason.strip(), created_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="TimeOff",
        object_id=away.pk,
        detail=f"practitioner={practitioner.pk} {starts:%Y-%m-%d %H:%M}..{ends:%Y-%m-%d %H:%M}",  # type: ignore[union-attr]
    )
    return away


@transaction.atomic
def time_off_remove(*, actor: User, time_off: TimeOff) -> None:
    if not can_manage_availability(actor, time_off.practitioner):
        raise ValidationError({"practitioner": "You may not change this practitioner's time off."})
    pk = time_off.pk
    time_off.delete()
    audit_record(actor=actor, action=AuditAction.DELETE, object_type="TimeOff", object_id=pk)


def appointments_in_time_off(time_off: TimeOff) -> list[Appointment]:
    """Booked appointments that now fall in the practitioner's time off: to be moved."""
    return list(
        Appointment.objects.filter(
            practitioner=time_off.practitioner,
            status=AppointmentStatus.BOOKED,
            starts_at__lt=time_off.ends_at,
            ends_at__gt=time_off.starts_at,
        ).select_related("patient")
    )


@transaction.atomic
def patient_availability_set(
    *, actor: User, patient: Patient, windows: Sequence[Mapping[str, Any]]
) -> list[PatientAvailability]:
    """Replace the patient's availability with `windows` ([{weekday, starts_at, ends_at}]); [] = any time."""
    if not can_schedule_for(actor, patient):
        raise ValidationError({"patient": "No such patient."})
    rows: list[PatientAvailability] = []
    errors: dict[str, str] = {}
    for i, window in enumerate(windows):
        field_errors: dict[str, str] = {}
        day = _weekday(window.get("weekday"), field_errors)
        starts = _time(window.get("starts_at"), "starts_at", field_errors)
        ends = _time(window.get("ends_at"), "ends_at", field_errors)
        if not field_errors and (starts is None or ends is None):
            field_errors["starts_at"] = "Give the start and the end of the window."
        elif not field_errors and ends <= starts:  # type: ignore[operator]
            field_errors["ends_at"] = "The window ends after it starts."
        for field, message in field_errors.items():
            errors[f"windows.{i}.{field}"] = message
        if not field_errors:
            rows.append(PatientAvailability(patient=patient, weekday=day, starts_at=starts, ends_at=ends))
    if len(windows) > 50:
        errors["windows"] = "At most 50 windows."
    if errors:
        raise ValidationError(errors)
    PatientAvailability.objects.filter(patient=patient).delete()
    PatientAvailability.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="PatientAvailability",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail="; ".join(f"{r.weekday}:{r.starts_at:%H:%M}-{r.ends_at:%H:%M}" for r in rows) or "any time",
    )
    return rows


# --- Appointments ------------------------------------------------------------------------------------------


def _conflicts(
    *,
    practitioner: Practitioner,
    room: Room,
    patient: Patient,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: int | None = None,
) -> list[str]:
    """Plain messages for each occupying appointment this one would overlap (practitioner, room, patient)."""
    overlapping = Appointment.objects.filter(
        Q(practitioner=practitioner) | Q(room=room) | Q(patient=patient),
        status__in=OCCUPYING_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).select_related("room")
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude)
    messages = []
    for other in overlapping:
        span = f"{hhmm(other.starts_at)}–{hhmm(other.ends_at)}"
        if other.practitioner_id == practitioner.pk:
            messages.append(f"{practitioner.display_name} is already booked {span}.")
        if other.room_id == room.pk:
            messages.append(f"{other.room.name} is already in use {span}.")
        if other.patient_id == patient.pk:
            messages.append(f"The patient already has an appointment {span}.")
    return list(dict.fromkeys(messages))


def _slot_problems(
    *,
    practitioner: Practitioner,
    room: Room,
    location: Location,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if room.location_id != location.pk or not room.active:
        errors["room"] = f"Choose an open room at {location.name}."
    needed = EQUIPMENT_FOR_DISCIPLINE.get(practitioner.discipline, "")
    if needed and needed not in (room.equipment or []):
        discipline = practitioner.get_discipline_display().lower()
        errors["room"] = f"{room.name} has no {needed.replace('-', ' ')}, which a {discipline} visit needs."
    day = local(starts_at).date()
    if local(ends_at).date() != day and local(ends_at).time() != datetime.time():
        errors["ends_at"] = "A visit starts and ends on the same day."
        return errors
    if not _inside(working_blocks(practitioner, location, day, day), starts_at, ends_at):
        errors["starts_at"] = (
            f"{practitioner.display_name} does not work at {location.name} then "
            f"({when(starts_at)}–{hhmm(ends_at)}): see the working hours and time off."
        )
    return errors


def _length(starts_at: datetime.datetime, ends_at: datetime.datetime, errors: dict[str, str]) -> None:
    minutes = (ends_at - starts_at).total_seconds() / 60
    if not MIN_VISIT_MINUTES <= minutes <= MAX_VISIT_MINUTES:
        errors["minutes"] = f"A visit lasts {MIN_VISIT_MINUTES} to {MAX_VISIT_MINUTES} minutes."


def _minutes(value: object, errors: dict[str, str]) -> int:
    try:
        minutes = int(str(value))
    except ValueError:
        errors["minutes"] = "Give the length of the visit in minutes."
        return 0
    if not MIN_VISIT_MINUTES <= minutes <= MAX_VISIT_MINUTES:
        errors["minutes"] = f"A visit lasts {MIN_VISIT_MINUTES} to {MAX_VISIT_MINUTES} minutes."
    return minutes


def _org_object(
    model: type[Any], value: object, field: str, organization_id: int, errors: dict[str, str]
) -> Any:
    if isinstance(value, model):
        obj = value
    else:
        try:
            obj = model.objects.get(pk=parse_id(value))
        except (model.DoesNotExist, ValueError):
            errors[field] = f"Choose a {field} of this clinic."
            return None
    owner = {
        Practitioner: lambda o: o.user.organization_id,
        Room: lambda o: o.location.organization_id,
        Location: lambda o: o.organization_id,
    }[model](obj)
    if owner != organization_id:
        errors[field] = f"Choose a {field} of this clinic."
        return None
    return obj


def _activity_for(patient: Patient, value: object, errors: dict[str, str]) -> Activity | None:
    if value in (None, ""):
        return None
    try:
        activity = Activity.objects.select_related("plan").get(pk=parse_id(value))
    except (Activity.DoesNotExist, ValueError):
        errors["activity"] = "Choose an activity of this patient's plan of care."
        return None
    if activity.plan.patient_id != patient.pk:
        errors["activity"] = "Choose an activity of this patient's plan of care."
    elif activity.plan.status not in OPEN_PLAN_STATUSES or activity.is_removed:
        errors["activity"] = "That activity is no longer part of an open plan of care."
    elif activity.approval == Approval.PENDING:
        errors["activity"] = (
            "The supervising clinician has not approved this massage yet: it cannot be booked."
        )
    return activity


def _audit(actor: User, action: str, appointment: Appointment, detail: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="Appointment",
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        detail=detail,
    )


JUST_BOOKED = "Someone else has just booked this time for the practitioner, the room or the patient."
SAVE_ATTEMPTS = 3


def _save_occupying(appointment: Appointment) -> None:
    """Save; if the database refuses an overlap (someone booked the slot a moment ago), say so plainly.

    On PostgreSQL two overlapping bookings written at the same instant can each wait on the other's
    uncommitted row while the exclusion constraints check them; the server breaks the tie by aborting one
    with "deadlock detected". That one is saved again (in a fresh savepoint, so nothing of the first try
    remains), which waits for the other booking: once that commits, the constraint refuses this one in the
    usual words; if it is undone, the slot is free and this one goes in.
    """
    for _ in range(SAVE_ATTEMPTS):
        try:
            with transaction.atomic():
                appointment.save()
            return
        except IntegrityError:
            raise ValidationError({"starts_at": JUST_BOOKED}) from None
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
    raise ValidationError({"starts_at": JUST_BOOKED})


def _describe(appointment: Appointment) -> str:
    return (
        f"{appointment.discipline} practitioner={appointment.practitioner_id} room={appointment.room_id} "
        f"{appointment.starts_at.isoformat()}..{appointment.ends_at.isoformat()} status={appointment.status}"
    )


@transaction.atomic
def appointment_book(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> Appointment:
    """Book one visit. data: practitioner, room, starts_at (ISO or datetime), minutes, activity?, note?

    Refused with field messages when the practitioner does not work then, the room does not fit, the slot
    overlaps, the activity is not bookable or its safety check fails. Nothing is written when refused.
    """
    if not can_schedule_for(actor, patient):
        raise ValidationError({"patient": "No such patient."})
    errors: dict[str, str] = {}
    org = patient.organization_id
    practitioner = _org_object(Practitioner, data.get("practitioner"), "practitioner", org, errors)
    room = _org_object(Room, data.get("room"), "room", org, errors)
    starts_at = _moment(data.get("starts_at"), "starts_at", errors)
    activity = _activity_for(patient, data.get("activity"), errors)
    minutes = _minutes(data.get("minutes") or (activity.visit_minutes if activity else ""), errors)
    note = str(data.get("note") or "").strip()
    if len(note) > 300:
        errors["note"] = "Keep the note under 300 characters."
    if errors:
        raise ValidationError(errors)
    assert practitioner and room and starts_at
    ends_at = starts_at + datetime.timedelta(minutes=minutes)
    if activity is not None and activity.discipline != practitioner.discipline:
        discipline = activity.get_discipline_display().lower()
        errors["practitioner"] = f"This is a {discipline} visit: choose a practitioner of that discipline."
    if starts_at < clock.now() - datetime.timedelta(minutes=5):
        errors["starts_at"] = "That time has passed: book a time from now on."
    elif starts_at > clock.now() + datetime.timedelta(days=MAX_BOOKING_DAYS_AHEAD):
        errors["starts_at"] = "Book at most a year ahead."
    if errors:
        raise ValidationError(errors)
    errors.update(
        _slot_problems(
            practitioner=practitioner, room=room, location=room.location, starts_at=starts_at, ends_at=ends_at
        )
    )
    if errors:
        raise ValidationError(errors)
    conflicts = _conflicts(
        practitioner=practitioner, room=room, patient=patient, starts_at=starts_at, ends_at=ends_at
    )
    if conflicts:
        raise ValidationError({"starts_at": conflicts})
    if activity is not None:
        activity_recheck_safety(actor, activity, "book it")
    appointment = Appointment(
        organization_id=org,
        location=room.location,
        patient=patient,
        practitioner=practitioner,
        room=room,
        discipline=practitioner.discipline,
        activity=activity,
        starts_at=starts_at,
        ends_at=ends_at,
        status=AppointmentStatus.BOOKED,
        note=note,
        created_by=actor,
    )
    _save_occupying(appointment)
    _audit(actor, AuditAction.CREATE, appointment, _describe(appointment))
    return appointment


@transaction.atomic
def appointment_move(*, actor: User, appointment: Appointment, data: Mapping[str, Any]) -> Appointment:
    """Move a booked visit: a new start and optionally another practitioner (same discipline) or room."""
    appointment = (
        Appointment.objects.select_for_update().select_related("patient", "location").get(pk=appointment.pk)
    )
    if not can_schedule_for(actor, appointment.patient):
        raise ValidationError({"appointment": "No such appointment."})
    if appointment.status != AppointmentStatus.BOOKED:
        status = appointment.get_status_display().lower()
        raise ValidationError({"status": f"Only a booked appointment can be moved; this one is {status}."})
    errors: dict[str, str] = {}
    org = appointment.organization_id
    practitioner = (
        _org_object(Practitioner, data["practitioner"], "practitioner", org, errors)
        if data.get("practitioner")
        else appointment.practitioner
    )
    room = _org_object(Room, data["room"], "room", org, errors) if data.get("room") else appointment.room
    starts_at = (
        _moment(data.get("starts_at"), "starts_at", errors)
        if data.get("starts_at")
        else appointment.starts_at
    )
    minutes = _minutes(data["minutes"], errors) if data.get("minutes") else appointment.minutes
    if errors:
        raise ValidationError(errors)
    assert practitioner and room and starts_at
    if practitioner.discipline != appointment.discipline:
        errors["practitioner"] = "Move a visit to a practitioner of the same discipline."
    if starts_at < clock.now() - datetime.timedelta(minutes=5):
        errors["starts_at"] = "That time has passed: move it to a time from now on."
    if errors:
        raise ValidationError(errors)
    ends_at = starts_at + datetime.timedelta(minutes=minutes)
    errors.update(
        _slot_problems(
            practitioner=practitioner, room=room, location=room.location, starts_at=starts_at, ends_at=ends_at
        )
    )
    if errors:
        raise ValidationError(errors)
    conflicts = _conflicts(
        practitioner=practitioner,
        room=room,
        patient=appointment.patient,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude=appointment.pk,
    )
    if conflicts:
        raise ValidationError({"starts_at": conflicts})
    before = _describe(appointment)
    appointment.practitioner, appointment.room, appointment.location = practitioner, room, room.location
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    appointment.reminder_sent_at = None  # a new time deserves a new reminder
    _save_occupying(appointment)
    _audit(actor, AuditAction.UPDATE, appointment, f"moved from {before} to {_describe(appointment)}")
    return appointment


# Status moves: (from, to) -> the verb for messages.
STATUS_MOVES: dict[tuple[str, str], str] = {
    (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED): "check in",
    (AppointmentStatus.BOOKED, AppointmentStatus.NOSHOW): "mark as no-show",
    (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED): "cancel",
    (AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED): "mark as seen",
    (AppointmentStatus.ARRIVED, AppointmentStatus.BOOKED): "undo the check-in of",
    (AppointmentStatus.NOSHOW, AppointmentStatus.BOOKED): "undo the no-show of",
    (AppointmentStatus.BOOKED, AppointmentStatus.ENTERED_IN_ERROR): "mark as entered in error",
    (AppointmentStatus.ARRIVED, AppointmentStatus.ENTERED_IN_ERROR): "mark as entered in error",
}


def _move_status(
    *, actor: User, appointment: Appointment, to: str, reason: str = "", verb: str
) -> Appointment:
    appointment = Appointment.objects.select_for_update().select_related("patient").get(pk=appointment.pk)
    if not can_schedule_for(actor, appointment.patient) and not (
        actor.is_clinician and appointment.practitioner_id == actor.practitioner.pk
    ):
        raise ValidationError({"appointment": "No such appointment."})
    if (appointment.status, to) not in STATUS_MOVES:
        status = appointment.get_status_display().lower()
        raise ValidationError({"status": f"You cannot {verb} an appointment that is {status}."})
    now = clock.now()
    if to == AppointmentStatus.NOSHOW and appointment.starts_at > now:
        raise ValidationError({"status": "A visit that has not started yet cannot be a no-show."})
    if to == AppointmentStatus.ARRIVED and local(appointment.starts_at).date() != local(now).date():
        raise ValidationError({"status": "Check patients in on the day of the visit."})
    before = appointment.status
    appointment.status = to
    if to == AppointmentStatus.ARRIVED:
        appointment.arrived_at = now
    if to in (AppointmentStatus.CANCELLED, AppointmentStatus.ENTERED_IN_ERROR):
        appointment.cancel_reason = reason
        appointment.cancelled_at = now
        appointment.cancelled_by = actor
    _save_occupying(appointment)  # undoing a no-show re-occupies the slot: the database checks it again
    _audit(
        actor, AuditAction.UPDATE, appointment, f"status {before} -> {to}" + (f": {reason}" if reason else "")
    )
    return appointment


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say why (the patient called in sick, the practitioner is away...)."}
        )
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason under 300 characters."})
    return reason


@transaction.atomic
def appointment_cancel(*, actor: User, appointment: Appointment, reason: str) -> Appointment:
    """Cancel with a reason; the freed slot is offered to the first waiting patient it suits."""
    appointment = _move_status(
        actor=actor,
        appointment=appointment,
        to=AppointmentStatus.CANCELLED,
        reason=_reason(reason),
        verb="cancel",
    )
    waitlist_offer_slot(
        actor=actor,
        location=appointment.location,
        practitioner=appointment.practitioner,
        room=appointment.room,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    )
    return appointment


@transaction.atomic
def appointment_set_status(
    *, actor: User, appointment: Appointment, to: str, reason: str = ""
) -> Appointment:
    """Check in, no-show, seen, undo, entered-in-error (cancelling goes through appointment_cancel)."""
    if to == AppointmentStatus.CANCELLED:
        return appointment_cancel(actor=actor, appointment=appointment, reason=reason)
    if to not in AppointmentStatus.values:
        raise ValidationError({"status": f"Unknown status {to!r}."})
    verb = STATUS_MOVES.get((appointment.status, to), f"set to {to}")
    if to == AppointmentStatus.ENTERED_IN_ERROR:
        reason = _reason(reason)
    return _move_status(actor=actor, appointment=appointment, to=to, reason=reason, verb=verb)


# --- Waitlist ----------------------------------------------------------------------------------------------


def _date(value: object, field: str, errors: dict[str, str]) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = "Give a date as YYYY-MM-DD."
        return None


@transaction.atomic
def waitlist_add(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> WaitlistEntry:
    """data: location, discipline, practitioner?, activity?, minutes, earliest_on, latest_on, note?"""
    if not can_schedule_for(actor, patient):
        raise ValidationError({"patient": "No such patient."})
    errors: dict[str, str] = {}
    org = patient.organization_id
    location = _org_object(Location, data.get("location"), "location", org, errors)
    practitioner = (
        _org_object(Practitioner, data["practitioner"], "practitioner", org, errors)
        if data.get("practitioner")
        else None
    )
    activity = _activity_for(patient, data.get("activity"), errors)
    discipline = str(
        data.get("discipline")
        or (activity.discipline if activity else "")
        or (practitioner.discipline if practitioner else "")
    )
    if discipline not in EQUIPMENT_FOR_DISCIPLINE:
        errors["discipline"] = "Choose chiropractic, physical-therapy or massage-therapy."
    minutes = _minutes(data.get("minutes") or (activity.visit_minutes if activity else ""), errors)
    today = timezone.localdate()
    earliest = _date(data.get("earliest_on") or today, "earliest_on", errors)
    latest = _date(data.get("latest_on") or (today + datetime.timedelta(days=28)), "latest_on", errors)
    if earliest and latest and latest < earliest:
        errors["latest_on"] = "The last day comes after the first."
    if latest and latest < today:
        errors["latest_on"] = "The last day has passed."
    if practitioner is not None and discipline and practitioner.discipline != discipline:
        errors["practitioner"] = "Choose a practitioner of the discipline asked for."
    note = str(data.get("note") or "").strip()
    if len(note) > 300:
        errors["note"] = "Keep the note under 300 characters."
    if errors:
        raise ValidationError(errors)
    entry = WaitlistEntry.objects.create(
        organization_id=org,
        location=location,
        patient=patient,
        discipline=discipline,
        practitioner=practitioner,
        activity=activity,
        minutes=minutes,
        earliest_on=earliest,
        latest_on=latest,
        note=note,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="WaitlistEntry",
        object_id=entry.pk,
        patient_id=patient.pk,
        detail=f"{discipline} {minutes} min {earliest}..{latest}",
    )
    return entry


def _fits_patient(entry: WaitlistEntry, starts_at: datetime.datetime, ends_at: datetime.datetime) -> bool:
    windows = [w for w in entry.patient.availability.all()]
    if not windows:
        return True
    start, end = local(starts_at), local(ends_at)
    return any(
        w.weekday == start.weekday() and w.starts_at <= start.time() and end.time() <= w.ends_at
        for w in windows
    )


def _slot_key(moment: datetime.datetime) -> str:
    """A declined slot as UTC ISO text: the same instant always gives the same text, whatever its zone."""
    return moment.astimezone(datetime.UTC).isoformat()


def waitlist_offer_slot(
    *,
    actor: User,
    location: Location,
    practitioner: Practitioner,
    room: Room,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
) -> WaitlistEntry | None:
    """Offer a freed slot to the first waiting patient it suits (discipline, practitioner, length, dates, the
    patient's windows, and the patient free then). Answers the entry offered, if any."""
    if starts_at <= timezone.now():
        return None
    day = local(starts_at).date()
    candidates = (
        WaitlistEntry.objects.select_for_update()
        .filter(
            location=location,
            status=WaitlistStatus.WAITING,
            discipline=practitioner.discipline,
            earliest_on__lte=day,
            latest_on__gte=day,
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
        .select_related("patient")
        .prefetch_related("patient__availability")
        .order_by("created_at", "id")
    )
    for entry in candidates:
        offer_end = starts_at + datetime.timedelta(minutes=entry.minutes)
        if offer_end > ends_at or _slot_key(starts_at) in entry.declined_slots:
            continue
        if not _fits_patient(entry, starts_at, offer_end):
            continue
        if _conflicts(
            practitioner=practitioner,
            room=room,
            patient=entry.patient,
            starts_at=starts_at,
            ends_at=offer_end,
        ):
            continue
        entry.status = WaitlistStatus.OFFERED
        entry.offer_starts_at, entry.offer_practitioner, entry.offer_room = starts_at, practitioner, room
        entry.offered_at = timezone.now()
        entry.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="WaitlistEntry",
            object_id=entry.pk,
            patient_id=entry.patient_id,
            detail=f"offered {starts_at.isoformat()} practitioner={practitioner.pk} room={room.pk}",
        )
        return entry
    return None


@transaction.atomic
def waitlist_accept(*, actor: User, entry: WaitlistEntry) -> Appointment:
    """The patient takes the slot on offer: it is booked (and checked again) in one step."""
    entry = WaitlistEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if not can_schedule_for(actor, entry.patient):
        raise ValidationError({"entry": "No such waitlist entry."})
    if entry.status != WaitlistStatus.OFFERED:
        raise ValidationError({"status": "This entry has no slot on offer."})
    appointment = appointment_book(
        actor=actor,
        patient=entry.patient,
        data={
            "practitioner": entry.offer_practitioner,
            "room": entry.offer_room,
            "starts_at": entry.offer_starts_at,
            "minutes": entry.minutes,
            "activity": entry.activity_id or "",
            "note": "From the waitlist",
        },
    )
    entry.status, entry.appointment = WaitlistStatus.BOOKED, appointment
    entry.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="WaitlistEntry",
        object_id=entry.pk,
        patient_id=entry.patient_id,
        detail=f"booked appointment={appointment.pk}",
    )
    return appointment


@transaction.atomic
def waitlist_decline(*, actor: User, entry: WaitlistEntry) -> WaitlistEntry | None:
    """The patient does not want the slot on offer: back to waiting, and the slot goes to the next in line.

    Answers the entry the slot was offered to next, if any."""
    entry = WaitlistEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if not can_schedule_for(actor, entry.patient):
        raise ValidationError({"entry": "No such waitlist entry."})
    if entry.status != WaitlistStatus.OFFERED:
        raise ValidationError({"status": "This entry has no slot on offer."})
    assert entry.offer_starts_at and entry.offer_practitioner and entry.offer_room
    slot = (entry.offer_starts_at, entry.offer_practitioner, entry.offer_room, entry.offer_ends_at)
    entry.declined_slots = [*entry.declined_slots, _slot_key(entry.offer_starts_at)]
    entry.status = WaitlistStatus.WAITING
    entry.offer_starts_at = entry.offer_practitioner = entry.offer_room = entry.offered_at = None  # type: ignore[assignment]
    entry.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="WaitlistEntry",
        object_id=entry.pk,
        patient_id=entry.patient_id,
        detail=f"declined {slot[0].isoformat()}",
    )
    starts_at, practitioner, room, ends_at = slot
    return waitlist_offer_slot(
        actor=actor,
        location=room.location,
        practitioner=practitioner,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,  # type: ignore[arg-type]
    )


@transaction.atomic
def waitlist_remove(*, actor: User, entry: WaitlistEntry) -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if not can_schedule_for(actor, entry.patient):
        raise ValidationError({"entry": "No such waitlist entry."})
    if entry.status in (WaitlistStatus.BOOKED, WaitlistStatus.REMOVED):
        raise ValidationError({"status": f"This entry is already {entry.get_status_display().lower()}."})
    entry.status = WaitlistStatus.REMOVED
    entry.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="WaitlistEntry",
        object_id=entry.pk,
        patient_id=entry.patient_id,
        detail="removed",
    )
    return entry
