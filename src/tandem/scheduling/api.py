"""Scheduling API under /api/v1/: availability, appointments, plan booking (propose, then confirm), waitlist.

Every handler fetches through an access function (404, never 403) and calls a service; services raise
ValidationError with field messages (422 through config/api.py). Lists name a patient only where
access.visible_patient_ids allows; front desk sees disciplines and lengths, never technique names.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from tandem.accounts.models import Location, Practitioner, User
from tandem.audit.services import audit_read, audit_read_many
from tandem.careplans.services import activity_label
from tandem.core.http import request_user as _user
from tandem.core.ids import parse_id
from tandem.core.vocabularies import DISCIPLINES, label
from tandem.patients.access import Purpose, can_see_patient
from tandem.patients.models import Patient
from tandem.scheduling import services
from tandem.scheduling.access import (
    access_appointment,
    access_location,
    access_plan_booking,
    access_plan_for_booking,
    access_practitioner,
    access_schedule_patient,
    access_waitlist_entry,
    can_manage_availability,
    visible_patient_ids,
)
from tandem.scheduling.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    PlanBooking,
    TimeOff,
    WaitlistEntry,
    WaitlistStatus,
    Weekday,
    WorkingHours,
)
from tandem.scheduling.schemas import (
    AcceptOut,
    AppointmentIn,
    AppointmentMoveIn,
    AppointmentOut,
    AppointmentPage,
    AppointmentQuery,
    AvailabilityOut,
    AvailabilityQuery,
    CancelIn,
    DeclineOut,
    PatientAvailabilityIn,
    PatientAvailabilityOut,
    PlanBookingIn,
    PlanBookingOut,
    StatusIn,
    TimeOffIn,
    TimeOffOut,
    WaitlistEntryOut,
    WaitlistIn,
    WaitlistPage,
    WaitlistQuery,
    WorkingHoursIn,
    WorkingHoursOut,
)

router = Router(tags=["scheduling"])

MAX_AVAILABILITY_DAYS = 31
BUSY = "Busy"


def _booking() -> ModuleType:
    """booking.py on first use: it loads the optimizer (OR-Tools), which the rest of the API never needs."""
    from tandem.scheduling import booking

    return booking


# --- Output builders ------------------------------------------------------------------------------------


def _named(obj: Any) -> dict[str, Any]:
    name = obj.display_name if isinstance(obj, Practitioner) else obj.name
    return {"id": obj.pk, "name": name}


def _patient_ref(patient: Patient, visible: set[int]) -> dict[str, Any]:
    if patient.pk in visible:
        return {"id": patient.pk, "name": patient.full_name}
    return {"id": None, "name": BUSY}


def _appointment_out(appointment: Appointment, visible: set[int]) -> dict[str, Any]:
    shown = appointment.patient_id in visible
    return {
        "id": appointment.pk,
        "patient": _patient_ref(appointment.patient, visible),
        "practitioner": _named(appointment.practitioner),
        "room": _named(appointment.room),
        "location": _named(appointment.location),
        "discipline": appointment.discipline,
        "activity_id": appointment.activity_id if shown else None,
        "booking_id": appointment.booking_id if shown else None,
        "starts_at": services.local(appointment.starts_at),
        "ends_at": services.local(appointment.ends_at),
        "minutes": appointment.minutes,
        "status": appointment.status,
        "note": appointment.note if shown else "",
        "cancel_reason": appointment.cancel_reason if shown else "",
    }


def _one_appointment(user: User, appointment: Appointment) -> dict[str, Any]:
    visible = visible_patient_ids(user, [appointment.patient_id])
    return _appointment_out(appointment, visible)


def _entry_out(entry: WaitlistEntry, visible: set[int]) -> dict[str, Any]:
    offer = None
    if entry.status == WaitlistStatus.OFFERED and entry.offer_starts_at and entry.offer_ends_at:
        offer = {
            "starts_at": services.local(entry.offer_starts_at),
            "ends_at": services.local(entry.offer_ends_at),
            "practitioner": _named(entry.offer_practitioner),
            "room": _named(entry.offer_room),
        }
    return {
        "id": entry.pk,
        "patient": _patient_ref(entry.patient, visible),
        "location": _named(entry.location),
        "discipline": entry.discipline,
        "practitioner": _named(entry.practitioner) if entry.practitioner else None,
        "activity_id": entry.activity_id,
        "minutes": entry.minutes,
        "earliest_on": entry.earliest_on,
        "latest_on": entry.latest_on,
        "note": entry.note,
        "status": entry.status,
        "offer": offer,
        "appointment_id": entry.appointment_id,
    }


def _entry_with_relations(entry_id: int) -> WaitlistEntry:
    return WaitlistEntry.objects.select_related(
        "patient", "location", "practitioner__user", "offer_practitioner__user", "offer_room"
    ).get(pk=entry_id)


def _booking_out(user: User, booking: PlanBooking) -> dict[str, Any]:
    """Front desk (no clinical access) sees disciplines and lengths; clinicians also the activity's label."""
    plan = booking.plan
    clinical = can_see_patient(user, plan.patient, Purpose.CLINICAL)
    activities = {a.pk: a for a in plan.activities.all()}

    def name(activity_id: int | None, discipline: str) -> str:
        activity = activities.get(activity_id) if activity_id is not None else None
        if activity is None:
            return label(DISCIPLINES, discipline)
        if clinical:
            return activity_label(activity)
        return f"{label(DISCIPLINES, activity.discipline)}, {activity.visit_minutes} min"

    rows = list(booking.appointments.select_related("practitioner__user", "room").order_by("starts_at", "id"))
    unplaced = []
    for item in booking.unplaced or []:
        activity_id = item.get("activity")
        activity = activities.get(activity_id) if isinstance(activity_id, int) else None
        unplaced.append(
            {
                "activity": activity_id if isinstance(activity_id, int) else None,
                "label": name(activity.pk, activity.discipline) if activity else "",
                "week": item.get("week") if isinstance(item.get("week"), int) else None,
                "reason": str(item.get("reason", "")),
            }
        )
    return {
        "id": booking.pk,
        "plan_id": plan.pk,
        "patient_id": plan.patient_id,
        "location": _named(booking.location),
        "status": booking.status,
        "series_start_on": booking.series_start_on,
        "starts_on": booking.starts_on,
        "weeks": booking.weeks,
        "method": booking.method,
        "solver_status": booking.solver_status,
        "requested": booking.requested,
        "placed": len(rows),
        "rules_total": booking.rules_total,
        "rules_met": booking.rules_met,
        "wall_seconds": booking.wall_seconds,
        "appointments": [
            {
                "id": a.pk,
                "activity_id": a.activity_id,
                "label": name(a.activity_id, a.discipline),
                "discipline": a.discipline,
                "practitioner": _named(a.practitioner),
                "room": _named(a.room),
                "starts_at": services.local(a.starts_at),
                "ends_at": services.local(a.ends_at),
                "minutes": a.minutes,
                "status": a.status,
            }
            for a in rows
        ],
        "unplaced": unplaced,
    }


def _booking_with_relations(booking_id: int) -> PlanBooking:
    return PlanBooking.objects.select_related("plan__patient", "location").get(pk=booking_id)


# --- Small parsers --------------------------------------------------------------------------------------


def _clinic_object(model: type[Any], value: int | None, field: str, user: User) -> Any:
    """An object of the caller's clinic named in a body or query, or a 422 naming the field."""
    if value is None:
        raise ValidationError({field: f"Choose a {field}."})
    try:
        pk = parse_id(value)
    except ValueError:
        raise ValidationError({field: f"Choose a {field} of this clinic."}) from None
    if model is Practitioner:
        found = model.objects.select_related("user").filter(pk=pk, user__organization_id=user.organization_id)
    else:
        found = model.objects.filter(pk=pk, organization_id=user.organization_id)
    obj = found.first()
    if obj is None:
        raise ValidationError({field: f"Choose a {field} of this clinic."})
    return obj


def _statuses(text: str) -> list[str]:
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in AppointmentStatus.values]
    if unknown:
        raise ValidationError(
            {"status": f"Unknown status {unknown[0]!r}: use {', '.join(AppointmentStatus.values)}."}
        )
    return wanted


def _day_start(day: datetime.date) -> datetime.datetime:
    return services.at(day, datetime.time())


# --- Availability ---------------------------------------------------------------------------------------


def _free_starts(
    blocks: Iterable[services.Block],
    busy: list[tuple[datetime.datetime, datetime.datetime]],
    minutes: int,
    not_before: datetime.datetime,
) -> list[datetime.datetime]:
    """Start times on the clinic's 15-minute grid where `minutes` fit inside a block and clear of `busy`."""
    length = datetime.timedelta(minutes=minutes)
    grid = services.GRID_MINUTES
    found = []
    for block in blocks:
        start = services.local(block.starts_at)
        past = (start.minute % grid) or 0
        if past or start.second or start.microsecond:
            start = start.replace(second=0, microsecond=0) + datetime.timedelta(minutes=grid - past)
        while start + length <= block.ends_at:
            ends = start + length
            if start >= not_before and not any(b0 < ends and start < b1 for b0, b1 in busy):
                found.append(services.local(start))
            start += datetime.timedelta(minutes=grid)
    return found


@router.get("/scheduling/availability", response=AvailabilityOut)
def availability(request: HttpRequest, query: Query[AvailabilityQuery]) -> dict[str, Any]:
    """Per practitioner working at the location: working blocks (hours minus breaks and time off) and the free
    start times on the 15-minute grid for a visit of `minutes` (clear of occupying appointments)."""
    user = _user(request)
    location = access_location(user, query.location)
    date_to = query.date_to or query.date_from
    if date_to < query.date_from:
        raise ValidationError({"date_to": "The last day comes on or after the first."})
    if (date_to - query.date_from).days >= MAX_AVAILABILITY_DAYS:
        raise ValidationError({"date_to": f"Ask for at most {MAX_AVAILABILITY_DAYS} days at a time."})
    low, high = services.MIN_VISIT_MINUTES, services.MAX_VISIT_MINUTES
    if not low <= query.minutes <= high:
        raise ValidationError({"minutes": f"A visit lasts {low} to {high} minutes."})
    if query.discipline and query.discipline not in {d.code for d in DISCIPLINES}:
        raise ValidationError({"discipline": "Choose chiropractic, physical-therapy or massage-therapy."})
    practitioners = Practitioner.objects.filter(
        working_hours__location=location, user__is_active=True
    ).select_related("user")
    if query.practitioner is not None:
        practitioners = practitioners.filter(pk=access_practitioner(user, query.practitioner).pk)
    if query.discipline:
        practitioners = practitioners.filter(discipline=query.discipline)
    people = list(practitioners.distinct().order_by("id"))
    first, last = _day_start(query.date_from), _day_start(date_to + datetime.timedelta(days=1))
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for h in WorkingHours.objects.filter(practitioner__in=people):
        hours[h.practitioner_id].append(h)
    away: dict[int, list[TimeOff]] = defaultdict(list)
    for t in TimeOff.objects.filter(practitioner__in=people, starts_at__lt=last, ends_at__gt=first):
        away[t.practitioner_id].append(t)
    busy: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(list)
    for practitioner_id, starts_at, ends_at in Appointment.objects.filter(
        practitioner__in=people, status__in=OCCUPYING_STATUSES, starts_at__lt=last, ends_at__gt=first
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        busy[practitioner_id].append((starts_at, ends_at))
    now = timezone.now()
    answer = []
    for person in people:
        blocks = services.working_blocks(
            person, location, query.date_from, date_to, hours=hours[person.pk], time_off=away[person.pk]
        )
        answer.append(
            {
                "practitioner": _named(person),
                "discipline": person.discipline,
                "blocks": [
                    {"starts_at": services.local(b.starts_at), "ends_at": services.local(b.ends_at)}
                    for b in blocks
                ],
                "free": _free_starts(blocks, busy[person.pk], query.minutes, now),
            }
        )
    return {
        "location": _named(location),
        "date_from": query.date_from,
        "date_to": date_to,
        "minutes": query.minutes,
        "practitioners": answer,
    }


# --- Working hours and time off -------------------------------------------------------------------------


def _managed_practitioner(user: User, practitioner_id: int) -> Practitioner:
    """A practitioner whose hours the user may change: themself, or anyone for front desk and admins."""
    practitioner = access_practitioner(user, practitioner_id)
    if not can_manage_availability(user, practitioner):
        raise Http404("No such practitioner.")
    return practitioner


def _hours_out(practitioner: Practitioner) -> dict[str, Any]:
    rows = (
        WorkingHours.objects.filter(practitioner=practitioner).select_related("location").order_by("weekday")
    )
    return {
        "practitioner": _named(practitioner),
        "blocks": [
            {
                "weekday": h.weekday,
                "weekday_name": h.get_weekday_display(),
                "location": _named(h.location),
                "starts_at": f"{h.starts_at:%H:%M}",
                "ends_at": f"{h.ends_at:%H:%M}",
                "break_starts_at": f"{h.break_starts_at:%H:%M}" if h.break_starts_at else None,
                "break_ends_at": f"{h.break_ends_at:%H:%M}" if h.break_ends_at else None,
            }
            for h in rows
        ],
    }


@router.get("/practitioners/{practitioner_id}/working-hours", response=WorkingHoursOut)
def working_hours_read(request: HttpRequest, practitioner_id: int) -> dict[str, Any]:
    return _hours_out(access_practitioner(_user(request), practitioner_id))


@router.put("/practitioners/{practitioner_id}/working-hours", response=WorkingHoursOut)
def working_hours_replace(
    request: HttpRequest, practitioner_id: int, payload: WorkingHoursIn
) -> dict[str, Any]:
    """Replace the week: one block per weekday listed; weekdays not listed are cleared. All or nothing."""
    user = _user(request)
    practitioner = _managed_practitioner(user, practitioner_id)
    _replace_week(user, practitioner, [b.dict() for b in payload.blocks])
    return _hours_out(practitioner)


@transaction.atomic
def _replace_week(user: User, practitioner: Practitioner, blocks: list[dict[str, Any]]) -> None:
    """working_hours_set for each weekday (listed: set; not listed: cleared). Every block's errors are
    collected as `blocks.<i>.<field>`; any error rolls the whole week back."""
    errors: dict[str, str] = {}
    listed: dict[int, tuple[int, dict[str, Any]]] = {}
    for i, block in enumerate(blocks):
        weekday = block["weekday"]
        if weekday is None or not 0 <= weekday <= 6:
            errors[f"blocks.{i}.weekday"] = "Weekday runs from 0 (Monday) to 6 (Sunday)."
        elif weekday in listed:
            errors[f"blocks.{i}.weekday"] = f"{Weekday(weekday).label} is listed twice."
        elif not block["starts_at"].strip() and not block["ends_at"].strip():
            errors[f"blocks.{i}.starts_at"] = (
                "Give the day's start and end (leave the weekday out to clear it)."
            )
        else:
            listed[weekday] = (i, block)
    for weekday in range(7):
        i, block = listed.get(weekday, (-1, {}))
        if i < 0:
            location = None
        else:
            try:
                location = _clinic_object(Location, block["location"], "location", user)
            except ValidationError as exc:
                errors.update({f"blocks.{i}.{f}": m[0] for f, m in exc.message_dict.items()})
                continue
        try:
            if location is None:
                current = WorkingHours.objects.filter(practitioner=practitioner, weekday=weekday).first()
                if current is not None:
                    services.working_hours_set(
                        actor=user,
                        practitioner=practitioner,
                        location=current.location,
                        weekday=weekday,
                        data={},
                    )
                continue
            services.working_hours_set(
                actor=user, practitioner=practitioner, location=location, weekday=weekday, data=block
            )
        except ValidationError as exc:
            errors.update({f"blocks.{i}.{f}": m[0] for f, m in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)


def _time_off_out(user: User, away: TimeOff, with_affected: bool = False) -> dict[str, Any]:
    affected = services.appointments_in_time_off(away) if with_affected else []
    visible = visible_patient_ids(user, {a.patient_id for a in affected})
    return {
        "id": away.pk,
        "practitioner": _named(away.practitioner),
        "starts_at": services.local(away.starts_at),
        "ends_at": services.local(away.ends_at),
        "reason": away.reason,
        "to_move": [
            {
                "id": a.pk,
                "starts_at": services.local(a.starts_at),
                "ends_at": services.local(a.ends_at),
                "patient": _patient_ref(a.patient, visible),
            }
            for a in affected
        ],
    }


@router.get("/practitioners/{practitioner_id}/time-off", response=list[TimeOffOut])
def time_off_list(request: HttpRequest, practitioner_id: int) -> list[dict[str, Any]]:
    """Time off that has not ended yet."""
    user = _user(request)
    practitioner = access_practitioner(user, practitioner_id)
    rows = TimeOff.objects.filter(practitioner=practitioner, ends_at__gt=timezone.now()).select_related(
        "practitioner__user"
    )
    return [_time_off_out(user, away) for away in rows]


@router.post("/practitioners/{practitioner_id}/time-off", response={201: TimeOffOut})
def time_off_add(request: HttpRequest, practitioner_id: int, payload: TimeOffIn) -> Status[dict[str, Any]]:
    """Mark the practitioner away; the answer lists booked visits that now fall in it (`to_move`)."""
    user = _user(request)
    practitioner = _managed_practitioner(user, practitioner_id)
    away = services.time_off_add(
        actor=user,
        practitioner=practitioner,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        reason=payload.reason,
    )
    return Status(201, _time_off_out(user, away, with_affected=True))


@router.delete("/time-off/{time_off_id}", response={204: None})
def time_off_remove(request: HttpRequest, time_off_id: int) -> Status[None]:
    user = _user(request)
    try:
        away = TimeOff.objects.select_related("practitioner__user").get(pk=parse_id(time_off_id))
    except (TimeOff.DoesNotExist, ValueError):
        raise Http404("No such time off.") from None
    if not can_manage_availability(user, away.practitioner):
        raise Http404("No such time off.")
    services.time_off_remove(actor=user, time_off=away)
    return Status(204, None)


# --- Patient availability -------------------------------------------------------------------------------


def _windows_out(patient: Patient) -> dict[str, Any]:
    rows = list(patient.availability.order_by("weekday", "starts_at"))
    return {
        "patient_id": patient.pk,
        "any_time": not rows,
        "windows": [
            {
                "weekday": w.weekday,
                "weekday_name": Weekday(w.weekday).label,
                "starts_at": f"{w.starts_at:%H:%M}",
                "ends_at": f"{w.ends_at:%H:%M}",
            }
            for w in rows
        ],
    }


@router.get("/patients/{patient_id}/availability", response=PatientAvailabilityOut)
def patient_availability_read(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    user = _user(request)
    patient = access_schedule_patient(user, patient_id)
    audit_read(actor=user, object_type="PatientAvailability", object_id=patient.pk, patient_id=patient.pk)
    return _windows_out(patient)


@router.put("/patients/{patient_id}/availability", response=PatientAvailabilityOut)
def patient_availability_replace(
    request: HttpRequest, patient_id: int, payload: PatientAvailabilityIn
) -> dict[str, Any]:
    """Replace the patient's windows; an empty list means any time the clinic is open."""
    user = _user(request)
    patient = access_schedule_patient(user, patient_id)
    services.patient_availability_set(
        actor=user, patient=patient, windows=[w.dict() for w in payload.windows]
    )
    return _windows_out(patient)


# --- Appointments ---------------------------------------------------------------------------------------


def _appointments_for(user: User, query: AppointmentQuery) -> QuerySet[Appointment]:
    """The clinic's appointments as a calendar sees them (busy blocks); one patient's when `patient` is given
    (and the caller may schedule for them). Proposed visits of open plan bookings only when asked for."""
    rows = Appointment.objects.filter(organization_id=user.organization_id).select_related(
        "patient", "practitioner__user", "room", "location"
    )
    if query.patient is not None:
        rows = rows.filter(patient=access_schedule_patient(user, query.patient))
    if query.practitioner is not None:
        rows = rows.filter(practitioner=access_practitioner(user, query.practitioner))
    if query.location is not None:
        rows = rows.filter(location=access_location(user, query.location))
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise ValidationError({"date_to": "The last day comes on or after the first."})
    if query.date_from:
        rows = rows.filter(ends_at__gt=_day_start(query.date_from))
    if query.date_to:
        rows = rows.filter(starts_at__lt=_day_start(query.date_to + datetime.timedelta(days=1)))
    statuses = _statuses(query.status)
    if statuses:
        rows = rows.filter(status__in=statuses)
    else:
        rows = rows.exclude(status=AppointmentStatus.PROPOSED)
    return rows.order_by("starts_at", "id")


@router.get("/appointments", response=AppointmentPage)
def appointment_list(request: HttpRequest, query: Query[AppointmentQuery]) -> dict[str, Any]:
    """Paged (`limit`, `offset`): every appointment of the clinic matching the filters, the patient named only
    where the caller may see them (otherwise "Busy")."""
    user = _user(request)
    if user.organization_id is None:
        raise Http404
    rows = _appointments_for(user, query)
    count = rows.count()
    page = list(rows[query.offset : query.offset + query.limit])
    visible = visible_patient_ids(user, {a.patient_id for a in page})
    audit_read_many(actor=user, object_type="Appointment", object_id="*", patient_ids=sorted(visible))
    return {"count": count, "items": [_appointment_out(a, visible) for a in page]}


@router.post("/appointments", response={201: AppointmentOut})
def appointment_book(request: HttpRequest, payload: AppointmentIn) -> Status[dict[str, Any]]:
    user = _user(request)
    if payload.patient is None:
        raise ValidationError({"patient": "Choose a patient."})
    patient = access_schedule_patient(user, payload.patient)
    data = payload.dict(exclude={"patient"})
    data["practitioner"] = data["practitioner"] or ""
    data["room"] = data["room"] or ""
    data["activity"] = data["activity"] or ""
    data["minutes"] = data["minutes"] or ""
    appointment = services.appointment_book(actor=user, patient=patient, data=data)
    return Status(201, _one_appointment(user, appointment))


@router.get("/appointments/{appointment_id}", response=AppointmentOut)
def appointment_read(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    audit_read(
        actor=user, object_type="Appointment", object_id=appointment.pk, patient_id=appointment.patient_id
    )
    return _one_appointment(user, appointment)


def _reloaded(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_related("patient", "practitioner__user", "room", "location").get(
        pk=appointment.pk
    )


@router.post("/appointments/{appointment_id}/move", response=AppointmentOut)
def appointment_move(request: HttpRequest, appointment_id: int, payload: AppointmentMoveIn) -> dict[str, Any]:
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    data = {k: v for k, v in payload.dict().items() if v not in (None, "")}
    if not data:
        raise ValidationError({"starts_at": "Give a new time, practitioner, room or length."})
    moved = services.appointment_move(actor=user, appointment=appointment, data=data)
    return _one_appointment(user, _reloaded(moved))


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut)
def appointment_cancel(request: HttpRequest, appointment_id: int, payload: CancelIn) -> dict[str, Any]:
    """Cancel with a reason; the freed slot is offered to the first waiting patient it suits."""
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    cancelled = services.appointment_cancel(actor=user, appointment=appointment, reason=payload.reason)
    return _one_appointment(user, _reloaded(cancelled))


@router.post("/appointments/{appointment_id}/status", response=AppointmentOut)
def appointment_status(request: HttpRequest, appointment_id: int, payload: StatusIn) -> dict[str, Any]:
    """arrived, noshow, fulfilled, booked (undo); entered-in-error and cancelled need a reason."""
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    if not payload.status:
        raise ValidationError({"status": "Choose the new status."})
    changed = services.appointment_set_status(
        actor=user, appointment=appointment, to=payload.status, reason=payload.reason
    )
    return _one_appointment(user, _reloaded(changed))


# --- Plan booking ---------------------------------------------------------------------------------------


def _date_or_none(value: str, field: str) -> datetime.date | None:
    if not value.strip():
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({field: "Give a date as YYYY-MM-DD."}) from None


@router.post("/careplans/{plan_id}/bookings", response={201: PlanBookingOut})
def plan_booking_propose(
    request: HttpRequest, plan_id: int, payload: PlanBookingIn
) -> Status[dict[str, Any]]:
    """Propose the plan's missing visits (nothing is booked until confirmed): proposed appointments, what
    could not be placed and why, and how many same-day sequence rules are met."""
    user = _user(request)
    plan = access_plan_for_booking(user, plan_id)
    location = _clinic_object(Location, payload.location, "location", user)
    starts_on = _date_or_none(payload.starts_on, "starts_on")
    proposal = _booking().plan_booking_propose(
        actor=user, plan=plan, location=location, starts_on=starts_on, method=payload.method
    )
    return Status(201, _booking_out(user, _booking_with_relations(proposal.pk)))


@router.get("/bookings/{booking_id}", response=PlanBookingOut)
def plan_booking_read(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    user = _user(request)
    proposal = access_plan_booking(user, booking_id)
    audit_read(
        actor=user, object_type="PlanBooking", object_id=proposal.pk, patient_id=proposal.plan.patient_id
    )
    return _booking_out(user, proposal)


@router.post("/bookings/{booking_id}/confirm", response=PlanBookingOut)
def plan_booking_confirm(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    """Book every proposed visit, or none (422 naming the visits taken meanwhile)."""
    user = _user(request)
    proposal = access_plan_booking(user, booking_id)
    _booking().plan_booking_confirm(actor=user, booking=proposal)
    return _booking_out(user, _booking_with_relations(proposal.pk))


@router.post("/bookings/{booking_id}/discard", response=PlanBookingOut)
def plan_booking_discard(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    user = _user(request)
    proposal = access_plan_booking(user, booking_id)
    _booking().plan_booking_discard(actor=user, booking=proposal)
    return _booking_out(user, _booking_with_relations(proposal.pk))


# --- Waitlist -------------------------------------------------------------------------------------------


@router.get("/waitlist", response=WaitlistPage)
def waitlist_list(request: HttpRequest, query: Query[WaitlistQuery]) -> dict[str, Any]:
    """Paged: the clinic's waitlist entries for patients the caller may schedule for, oldest first."""
    user = _user(request)
    if user.organization_id is None:
        raise Http404
    rows = WaitlistEntry.objects.filter(organization_id=user.organization_id).select_related(
        "patient", "location", "practitioner__user", "offer_practitioner__user", "offer_room"
    )
    if query.status:
        if query.status not in WaitlistStatus.values:
            raise ValidationError({"status": f"Use one of {', '.join(WaitlistStatus.values)}."})
        rows = rows.filter(status=query.status)
    else:
        rows = rows.filter(status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED))
    if query.location is not None:
        rows = rows.filter(location=access_location(user, query.location))
    patient_ids = set(rows.values_list("patient_id", flat=True))
    visible = visible_patient_ids(user, patient_ids)
    rows = rows.filter(Q(patient_id__in=visible)).order_by("created_at", "id")
    count = rows.count()
    page = list(rows[query.offset : query.offset + query.limit])
    audit_read_many(
        actor=user,
        object_type="WaitlistEntry",
        object_id="*",
        patient_ids=sorted({e.patient_id for e in page}),
    )
    return {"count": count, "items": [_entry_out(e, visible) for e in page]}


@router.post("/waitlist", response={201: WaitlistEntryOut})
def waitlist_add(request: HttpRequest, payload: WaitlistIn) -> Status[dict[str, Any]]:
    user = _user(request)
    if payload.patient is None:
        raise ValidationError({"patient": "Choose a patient."})
    patient = access_schedule_patient(user, payload.patient)
    data = {k: ("" if v is None else v) for k, v in payload.dict(exclude={"patient"}).items()}
    if data["location"] == "":
        raise ValidationError({"location": "Choose a location."})
    entry = services.waitlist_add(actor=user, patient=patient, data=data)
    return Status(201, _entry_out(_entry_with_relations(entry.pk), {patient.pk}))


@router.post("/waitlist/{entry_id}/accept", response={201: AcceptOut})
def waitlist_accept(request: HttpRequest, entry_id: int) -> Status[dict[str, Any]]:
    """The patient takes the slot on offer: it is booked."""
    user = _user(request)
    entry = access_waitlist_entry(user, entry_id)
    appointment = services.waitlist_accept(actor=user, entry=entry)
    visible = {entry.patient_id}
    return Status(
        201,
        {
            "entry": _entry_out(_entry_with_relations(entry.pk), visible),
            "appointment": _appointment_out(_reloaded(appointment), visible),
        },
    )


@router.post("/waitlist/{entry_id}/decline", response=DeclineOut)
def waitlist_decline(request: HttpRequest, entry_id: int) -> dict[str, Any]:
    """The patient declines the slot on offer: back to waiting; `passed_on`: someone else was offered it."""
    user = _user(request)
    entry = access_waitlist_entry(user, entry_id)
    next_entry = services.waitlist_decline(actor=user, entry=entry)
    return {
        "entry": _entry_out(_entry_with_relations(entry.pk), {entry.patient_id}),
        "passed_on": next_entry is not None,
    }


@router.post("/waitlist/{entry_id}/remove", response=WaitlistEntryOut)
def waitlist_remove(request: HttpRequest, entry_id: int) -> dict[str, Any]:
    user = _user(request)
    entry = access_waitlist_entry(user, entry_id)
    services.waitlist_remove(actor=user, entry=entry)
    return _entry_out(_entry_with_relations(entry.pk), {entry.patient_id})
