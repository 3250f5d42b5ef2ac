"""Reads for the calendar pages: a day or week on a 15-minute grid, a patient's visits, the chart panel.

Each calendar is built from a fixed handful of queries (columns, working hours, time off, appointments and
the two of access.visible_patient_ids), whatever the number of appointments: nothing here queries per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import Location, Practitioner, Room, User
from tandem.careplans.models import Activity, Approval, CarePlanStatus
from tandem.core.vocabularies import EQUIPMENT_FOR_DISCIPLINE
from tandem.patients.models import Patient
from tandem.scheduling.access import visible_patient_ids
from tandem.scheduling.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    TimeOff,
    WorkingHours,
)
from tandem.scheduling.services import at, local

GRID_STARTS = datetime.time(7, 0)
GRID_ENDS = datetime.time(20, 0)
SLOT_MINUTES = 15
ROWS = (GRID_ENDS.hour * 60 + GRID_ENDS.minute - GRID_STARTS.hour * 60 - GRID_STARTS.minute) // SLOT_MINUTES
# What a calendar shows: the visits that hold their slot, and the no-shows (the front desk follows them up).
# Proposed visits belong to a plan booking under review; cancelled ones are on the patient's schedule page.
SHOWN_STATUSES: tuple[str, ...] = (*OCCUPYING_STATUSES, AppointmentStatus.NOSHOW)
OPEN_PLAN_STATUSES = (CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)


@dataclass
class Visit:
    """One appointment on a calendar; `patient_name` is "Busy" for a patient the viewer may not see."""

    appointment: Appointment
    patient_name: str
    visible: bool
    movable: bool


@dataclass
class Cell:
    """One cell of a column: a free 15-minute slot (a drop target) or the visits covering `rows` slots."""

    state: str  # "work", "break", "away" (time off), "off" (not working), "open" (a room)
    starts_at: datetime.datetime
    rows: int = 1
    visits: list[Visit] = field(default_factory=list)


@dataclass
class Column:
    key: str
    title: str
    day: datetime.date
    practitioner: Practitioner | None = None
    room: Room | None = None
    subtitle: str = ""
    hours_text: str = ""
    cells: dict[int, Cell] = field(default_factory=dict)  # by first row
    outside: list[Visit] = field(default_factory=list)  # visits outside 07:00–20:00


@dataclass
class Row:
    label: str
    on_the_hour: bool
    cells: list[tuple[Column, Cell]]


@dataclass
class Calendar:
    columns: list[Column]
    rows: list[Row]
    visits: list[Visit]

    @property
    def named_patient_ids(self) -> list[int]:
        return sorted({v.appointment.patient_id for v in self.visits if v.visible})


def slot_times(day: datetime.date) -> list[datetime.datetime]:
    """The start of each grid row of a day in the clinic's time zone (wall clock: DST days stay aligned)."""
    first = datetime.datetime.combine(day, GRID_STARTS)
    return [at(day, (first + datetime.timedelta(minutes=SLOT_MINUTES * i)).time()) for i in range(ROWS)]


def _row_of(moment: datetime.datetime, day: datetime.date, *, up: bool) -> int:
    wall = local(moment)
    if wall.date() < day:
        return 0
    if wall.date() > day:
        return ROWS
    minutes = wall.hour * 60 + wall.minute - (GRID_STARTS.hour * 60 + GRID_STARTS.minute)
    row = -(-minutes // SLOT_MINUTES) if up else minutes // SLOT_MINUTES
    return max(0, min(ROWS, row))


def _practitioner_states(
    day: datetime.date, hours: WorkingHours | None, away: Sequence[TimeOff]
) -> list[str]:
    states = []
    for starts in slot_times(day):
        wall = local(starts).time()
        if any(t.starts_at <= starts < t.ends_at for t in away):
            states.append("away")
        elif hours is None or not hours.starts_at <= wall < hours.ends_at:
            states.append("off")
        elif (
            hours.break_starts_at
            and hours.break_ends_at
            and hours.break_starts_at <= wall < hours.break_ends_at
        ):
            states.append("break")
        else:
            states.append("work")
    return states


def _hours_text(hours: WorkingHours | None, location: Location | None) -> str:
    if hours is None:
        return "Not working"
    text = f"{hours.starts_at:%H:%M}–{hours.ends_at:%H:%M}"
    if hours.break_starts_at and hours.break_ends_at:
        text += f", break {hours.break_starts_at:%H:%M}–{hours.break_ends_at:%H:%M}"
    if location is not None and hours.location_id != location.pk:
        text += f" at {hours.location.name}"
    return text


def _fill(column: Column, states: list[str], visits: Iterable[Visit]) -> None:
    """Lay the column's visits on its rows; overlapping ones (a no-show and its replacement) share a cell."""
    times = slot_times(column.day)
    groups: list[tuple[int, int, list[Visit]]] = []
    for visit in sorted(visits, key=lambda v: (v.appointment.starts_at, v.appointment.pk)):
        first = _row_of(visit.appointment.starts_at, column.day, up=False)
        last = _row_of(visit.appointment.ends_at, column.day, up=True)
        if last <= first:
            column.outside.append(visit)
            continue
        if groups and first < groups[-1][1]:
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, last), [*members, visit])
        else:
            groups.append((first, last, [visit]))
    taken: set[int] = set()
    for first, last, members in groups:
        column.cells[first] = Cell(states[first], times[first], rows=last - first, visits=members)
        taken.update(range(first, last))
    for row in range(ROWS):
        if row not in taken:
            column.cells[row] = Cell(states[row], times[row])


def _visits(user: User, appointments: Sequence[Appointment]) -> list[Visit]:
    visible = visible_patient_ids(user, {a.patient_id for a in appointments})
    return [
        Visit(
            appointment=a,
            patient_name=a.patient.full_name if a.patient_id in visible else "Busy",
            visible=a.patient_id in visible,
            movable=a.patient_id in visible and a.status == AppointmentStatus.BOOKED,
        )
        for a in appointments
    ]


def _appointments(where: Q, first_day: datetime.date, last_day: datetime.date) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            where,
            status__in=SHOWN_STATUSES,
            starts_at__lt=at(last_day + datetime.timedelta(days=1), datetime.time()),
            ends_at__gt=at(first_day, datetime.time()),
        )
        .select_related("patient", "practitioner__user", "room")
        .order_by("starts_at", "id")
    )


def _time_off(
    practitioner_ids: Iterable[int], first_day: datetime.date, last_day: datetime.date
) -> list[TimeOff]:
    return list(
        TimeOff.objects.filter(
            practitioner_id__in=list(practitioner_ids),
            starts_at__lt=at(last_day + datetime.timedelta(days=1), datetime.time()),
            ends_at__gt=at(first_day, datetime.time()),
        )
    )


def _rows(columns: list[Column]) -> list[Row]:
    times = slot_times(columns[0].day) if columns else []
    rows = []
    for i, starts in enumerate(times):
        wall = local(starts)
        cells = [(column, column.cells[i]) for column in columns if i in column.cells]
        rows.append(Row(label=f"{wall:%H:%M}", on_the_hour=wall.minute == 0, cells=cells))
    return rows


def _practitioner_column(
    practitioner: Practitioner,
    day: datetime.date,
    *,
    title: str,
    location: Location | None,
    hours: Sequence[WorkingHours],
    away: Sequence[TimeOff],
    visits: Iterable[Visit],
) -> Column:
    today_hours = next(
        (h for h in hours if h.practitioner_id == practitioner.pk and h.weekday == day.weekday()), None
    )
    if location is not None and today_hours is not None and today_hours.location_id != location.pk:
        today_hours = None  # working elsewhere that day: not bookable here
    mine_away = [t for t in away if t.practitioner_id == practitioner.pk]
    column = Column(
        key=f"{practitioner.pk}-{day.isoformat()}",
        title=title,
        day=day,
        practitioner=practitioner,
        subtitle=practitioner.get_discipline_display(),
        hours_text=_hours_text(today_hours, location) + (" · time off" if _away_on(mine_away, day) else ""),
    )
    _fill(column, _practitioner_states(day, today_hours, mine_away), visits)
    return column


def _away_on(away: Sequence[TimeOff], day: datetime.date) -> bool:
    starts, ends = at(day, datetime.time()), at(day + datetime.timedelta(days=1), datetime.time())
    return any(t.starts_at < ends and t.ends_at > starts for t in away)


def _room_column(room: Room, day: datetime.date, *, title: str, visits: Iterable[Visit]) -> Column:
    equipment = ", ".join(code.replace("-", " ") for code in room.equipment or []) or "no equipment"
    column = Column(key=f"r{room.pk}-{day.isoformat()}", title=title, day=day, room=room, subtitle=equipment)
    _fill(column, ["open"] * ROWS, visits)
    return column


def calendar_for_location_day(user: User, location: Location, day: datetime.date, *, by: str) -> Calendar:
    """One column per practitioner working at the location that day (or per room when `by` is "room")."""
    appointments = _appointments(Q(location=location), day, day)
    visits = _visits(user, appointments)
    if by == "room":
        rooms = {r.pk: r for r in Room.objects.filter(location=location, active=True).order_by("name")}
        rooms.update({a.room_id: a.room for a in appointments if a.room_id not in rooms})
        columns = [
            _room_column(
                room, day, title=room.name, visits=[v for v in visits if v.appointment.room_id == pk]
            )
            for pk, room in sorted(rooms.items(), key=lambda item: item[1].name)
        ]
        return Calendar(columns, _rows(columns), visits)
    hours = list(
        WorkingHours.objects.filter(location=location, weekday=day.weekday()).select_related(
            "practitioner__user"
        )
    )
    practitioners = {h.practitioner_id: h.practitioner for h in hours}
    practitioners.update({a.practitioner_id: a.practitioner for a in appointments})
    away = _time_off(practitioners, day, day)
    order = sorted(practitioners.values(), key=lambda p: (p.discipline, p.display_name))
    columns = [
        _practitioner_column(
            p,
            day,
            title=p.display_name,
            location=location,
            hours=hours,
            away=away,
            visits=[v for v in visits if v.appointment.practitioner_id == p.pk],
        )
        for p in order
    ]
    return Calendar(columns, _rows(columns), visits)


def week_days(day: datetime.date) -> list[datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return [monday + datetime.timedelta(days=i) for i in range(7)]


def _day_title(day: datetime.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def calendar_for_practitioner(
    user: User, practitioner: Practitioner, days: Sequence[datetime.date]
) -> Calendar:
    """A practitioner's day (one day) or week (seven): their hours at any location, time off and visits."""
    appointments = _appointments(Q(practitioner=practitioner), days[0], days[-1])
    visits = _visits(user, appointments)
    hours = list(WorkingHours.objects.filter(practitioner=practitioner).select_related("location"))
    away = _time_off([practitioner.pk], days[0], days[-1])
    columns = [
        _practitioner_column(
            practitioner,
            day,
            title=_day_title(day) if len(days) > 1 else practitioner.display_name,
            location=None,
            hours=hours,
            away=away,
            visits=[v for v in visits if local(v.appointment.starts_at).date() == day],
        )
        for day in days
    ]
    return Calendar(columns, _rows(columns), visits)


def calendar_for_room(user: User, room: Room, days: Sequence[datetime.date]) -> Calendar:
    appointments = _appointments(Q(room=room), days[0], days[-1])
    visits = _visits(user, appointments)
    columns = [
        _room_column(
            room,
            day,
            title=_day_title(day) if len(days) > 1 else room.name,
            visits=[v for v in visits if local(v.appointment.starts_at).date() == day],
        )
        for day in days
    ]
    return Calendar(columns, _rows(columns), visits)


# --- A patient's schedule -----------------------------------------------------------------------------------


def appointment_list_for_patient(patient: Patient) -> QuerySet[Appointment]:
    """Every appointment of the patient but the proposals under review, with who and where (one query)."""
    return (
        Appointment.objects.filter(patient=patient)
        .exclude(status=AppointmentStatus.PROPOSED)
        .select_related("practitioner__user", "room", "location")
    )


def appointment_list_for_patient_upcoming(patient: Patient, limit: int | None = None) -> list[Appointment]:
    rows = (
        appointment_list_for_patient(patient)
        .filter(ends_at__gt=timezone.now(), status__in=OCCUPYING_STATUSES)
        .order_by("starts_at", "id")
    )
    return list(rows[:limit] if limit else rows)


def appointment_list_for_patient_past(patient: Patient, limit: int = 100) -> list[Appointment]:
    """Visits that have ended, and every cancelled or mistaken one, newest first."""
    now = timezone.now()
    rows = (
        appointment_list_for_patient(patient)
        .filter(Q(ends_at__lte=now) | ~Q(status__in=OCCUPYING_STATUSES))
        .order_by("-starts_at", "-id")
    )
    return list(rows[:limit])


def activity_list_for_booking(patient: Patient) -> list[Activity]:
    """The patient's plan activities a single visit may be booked for (open plan, not pending approval)."""
    return [
        a
        for a in Activity.objects.filter(plan__patient=patient, plan__status__in=OPEN_PLAN_STATUSES)
        .exclude(approval=Approval.PENDING)
        .select_related("plan")
        .order_by("plan_id", "id")
        if not a.is_removed
    ]


def room_list_for_discipline(organization_id: int, discipline: str | None) -> QuerySet[Room]:
    """Open rooms of the clinic's open locations; with a discipline, those with the equipment it needs."""

    rooms = Room.objects.filter(
        location__organization_id=organization_id, location__active=True, active=True
    ).select_related("location")
    needed = EQUIPMENT_FOR_DISCIPLINE.get(discipline or "")
    if needed:
        # JSON containment differs between SQLite and PostgreSQL; the room list is small, so filter in Python.
        keep = [r.pk for r in rooms if needed in (r.equipment or [])]
        rooms = rooms.filter(pk__in=keep)
    return rooms.order_by("location__name", "name")


def practitioner_list_for_clinic(
    organization_id: int, discipline: str | None = None
) -> QuerySet[Practitioner]:
    rows = Practitioner.objects.filter(user__organization_id=organization_id, user__is_active=True)
    if discipline:
        rows = rows.filter(discipline=discipline)
    return rows.select_related("user").order_by("discipline", "user__last_name", "user__first_name")
