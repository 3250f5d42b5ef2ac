"""API shapes for scheduling: availability, working hours, time off, appointments, plan bookings, waitlist.

Inputs take defaults for every field and carry dates and times as text: the access check runs before the
services validate, so a caller who may not see the patient gets 404 whatever the body, and a malformed time
("2026-02-30T10:00") gets the service's plain message naming the field.
Outputs are built in api.py (patient names only where the caller may see them); datetimes carry the clinic's
UTC offset.
"""

from __future__ import annotations

import datetime

from ninja import Field, Schema

# --- Inputs ---------------------------------------------------------------------------------------------


class AvailabilityQuery(Schema):
    location: int
    practitioner: int | None = None
    discipline: str = ""
    date_from: datetime.date
    date_to: datetime.date | None = None
    minutes: int = Field(30, ge=1, le=1440)


class AppointmentQuery(Schema):
    patient: int | None = None
    practitioner: int | None = None
    location: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    status: str = ""
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class WaitlistQuery(Schema):
    status: str = ""
    location: int | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class WorkingHoursBlockIn(Schema):
    weekday: int | None = None
    location: int | None = None
    starts_at: str = ""
    ends_at: str = ""
    break_starts_at: str = ""
    break_ends_at: str = ""


class WorkingHoursIn(Schema):
    blocks: list[WorkingHoursBlockIn] = Field(default_factory=list, max_length=7)


class TimeOffIn(Schema):
    starts_at: str = ""
    ends_at: str = ""
    reason: str = ""


class WindowIn(Schema):
    weekday: int | None = None
    starts_at: str = ""
    ends_at: str = ""


class PatientAvailabilityIn(Schema):
    windows: list[WindowIn] = Field(default_factory=list, max_length=50)


class AppointmentIn(Schema):
    patient: int | None = None
    practitioner: int | None = None
    room: int | None = None
    starts_at: str = ""
    minutes: int | None = None
    activity: int | None = None
    note: str = ""


class AppointmentMoveIn(Schema):
    starts_at: str = ""
    practitioner: int | None = None
    room: int | None = None
    minutes: int | None = None


class CancelIn(Schema):
    reason: str = ""


class StatusIn(Schema):
    status: str = ""
    reason: str = ""


class PlanBookingIn(Schema):
    location: int | None = None
    starts_on: str = ""
    method: str = "cp-sat"


class WaitlistIn(Schema):
    patient: int | None = None
    location: int | None = None
    discipline: str = ""
    practitioner: int | None = None
    activity: int | None = None
    minutes: int | None = None
    earliest_on: str = ""
    latest_on: str = ""
    note: str = ""


# --- Outputs --------------------------------------------------------------------------------------------


class Named(Schema):
    id: int
    name: str


class PatientRef(Schema):
    """Who the visit is for; null fields when the caller may not see the patient (a calendar's "Busy")."""

    id: int | None
    name: str


class BlockOut(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime


class PractitionerAvailabilityOut(Schema):
    practitioner: Named
    discipline: str
    blocks: list[BlockOut]
    free: list[datetime.datetime]


class AvailabilityOut(Schema):
    location: Named
    date_from: datetime.date
    date_to: datetime.date
    minutes: int
    practitioners: list[PractitionerAvailabilityOut]


class WorkingHoursBlockOut(Schema):
    weekday: int
    weekday_name: str
    location: Named
    starts_at: str
    ends_at: str
    break_starts_at: str | None
    break_ends_at: str | None


class WorkingHoursOut(Schema):
    practitioner: Named
    blocks: list[WorkingHoursBlockOut]


class AffectedAppointmentOut(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    patient: PatientRef


class TimeOffOut(Schema):
    id: int
    practitioner: Named
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    reason: str
    to_move: list[AffectedAppointmentOut] = []


class WindowOut(Schema):
    weekday: int
    weekday_name: str
    starts_at: str
    ends_at: str


class PatientAvailabilityOut(Schema):
    patient_id: int
    any_time: bool
    windows: list[WindowOut]


class AppointmentOut(Schema):
    id: int
    patient: PatientRef
    practitioner: Named
    room: Named
    location: Named
    discipline: str
    activity_id: int | None
    booking_id: int | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    minutes: int
    status: str
    note: str
    cancel_reason: str


class AppointmentPage(Schema):
    count: int
    items: list[AppointmentOut]


class UnplacedOut(Schema):
    activity: int | None
    label: str
    week: int | None
    reason: str


class ProposedVisitOut(Schema):
    id: int
    activity_id: int | None
    label: str
    discipline: str
    practitioner: Named
    room: Named
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    minutes: int
    status: str


class PlanBookingOut(Schema):
    id: int
    plan_id: int
    patient_id: int
    location: Named
    status: str
    series_start_on: datetime.date
    starts_on: datetime.date
    weeks: int
    method: str
    solver_status: str
    requested: int
    placed: int
    rules_total: int
    rules_met: int
    wall_seconds: float
    appointments: list[ProposedVisitOut]
    unplaced: list[UnplacedOut]


class OfferOut(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    practitioner: Named
    room: Named


class WaitlistEntryOut(Schema):
    id: int
    patient: PatientRef
    location: Named
    discipline: str
    practitioner: Named | None
    activity_id: int | None
    minutes: int
    earliest_on: datetime.date
    latest_on: datetime.date
    note: str
    status: str
    offer: OfferOut | None
    appointment_id: int | None


class WaitlistPage(Schema):
    count: int
    items: list[WaitlistEntryOut]


class DeclineOut(Schema):
    entry: WaitlistEntryOut
    passed_on: bool


class AcceptOut(Schema):
    entry: WaitlistEntryOut
    appointment: AppointmentOut
