"""Book a whole plan of care: the database becomes a planning.Problem, the optimizer's Solution becomes
`proposed` appointments of a PlanBooking, and confirming turns them all into booked visits in one transaction.

Weeks are calendar weeks (Monday to Sunday) counted from the plan's series start: the Monday of the week of
its first booking. "2 visits a week for 6 weeks" means 2 in each of those 6 weeks; a re-plan after a
cancellation proposes only what is missing from each remaining week.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tandem.accounts.models import Location, Practitioner, Room, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.careplans.models import Activity, Approval, CarePlan, CarePlanStatus, SequenceRule
from tandem.careplans.services import activity_recheck_safety
from tandem.core import clock
from tandem.core.vocabularies import DISCIPLINES, EQUIPMENT_FOR_DISCIPLINE, label
from tandem.patients.models import CareTeamMember
from tandem.patients.services import care_team_add
from tandem.scheduling import planning
from tandem.scheduling.access import can_schedule_for
from tandem.scheduling.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    PatientAvailability,
    PlanBooking,
    PlanBookingStatus,
    TimeOff,
    WorkingHours,
)
from tandem.scheduling.services import at, clinic_tz, local, when, working_blocks

DAY = 1440
BOOKABLE_PLAN_STATUSES = (CarePlanStatus.ACTIVE, CarePlanStatus.DRAFT)
SINGLE_PLAN_TIME_LIMIT = 3.0
BATCH_TIME_LIMIT = 60.0
MAX_WEEKS = 26


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def series_start(plan: CarePlan, starts_on: datetime.date) -> datetime.date:
    """The Monday of the plan's first week: from its first confirmed booking, else the week of `starts_on`."""
    first = (
        PlanBooking.objects.filter(plan=plan, status=PlanBookingStatus.CONFIRMED)
        .order_by("series_start_on")
        .values_list("series_start_on", flat=True)
        .first()
    )
    return first or monday_of(starts_on)


def bookable_activities(plan: CarePlan) -> list[Activity]:
    return [
        a
        for a in plan.activities.all().order_by("id")
        if not a.is_removed and a.approval != Approval.PENDING and a.visits_per_week > 0 and a.weeks > 0
    ]


@dataclass
class _Build:
    """What the problem's ids mean in the database, to turn a solution back into appointments."""

    day0: datetime.date
    days: int
    visits: dict[str, planning.Visit] = field(default_factory=dict)
    activities: dict[int, Activity] = field(default_factory=dict)
    rooms: dict[int, Room] = field(default_factory=dict)
    practitioners: dict[int, Practitioner] = field(default_factory=dict)
    anchors: dict[int, datetime.date] = field(default_factory=dict)  # plan -> series start
    skipped: list[dict[str, object]] = field(default_factory=list)  # requested visits not given to the solver

    def moment(self, minute: int) -> datetime.datetime:
        day = self.day0 + datetime.timedelta(days=minute // DAY)
        return at(day, datetime.time()) + datetime.timedelta(minutes=minute % DAY)

    def minute(self, moment: datetime.datetime) -> int:
        """Wall-clock minutes from day 0 (DST-safe: the grid is the clinic's clock, not elapsed time)."""
        moment = local(moment)
        return (moment.date() - self.day0).days * DAY + moment.hour * 60 + moment.minute


def _intervals(
    build: _Build, blocks: Iterable[tuple[datetime.datetime, datetime.datetime]]
) -> tuple[tuple[int, int], ...]:
    out = []
    horizon = build.days * DAY
    for starts, ends in blocks:
        a, b = max(0, build.minute(starts)), min(horizon, build.minute(ends))
        if b > a:
            out.append((a, b))
    return tuple(sorted(out))


def _busy(build: _Build, rows: Iterable[Appointment], key: str) -> dict[int, tuple[tuple[int, int], ...]]:
    grouped: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append((row.starts_at, row.ends_at))
    return {k: _intervals(build, v) for k, v in grouped.items()}


def _windows(build: _Build, rows: Sequence[PatientAvailability]) -> tuple[tuple[int, int], ...]:
    out = []
    for d in range(build.days):
        day = build.day0 + datetime.timedelta(days=d)
        for w in rows:
            if w.weekday == day.weekday():
                out.append(
                    (
                        d * DAY + w.starts_at.hour * 60 + w.starts_at.minute,
                        d * DAY + w.ends_at.hour * 60 + w.ends_at.minute,
                    )
                )
    return tuple(sorted(out))


def _grid_up(minutes: int, grid: int = planning.GRID) -> int:
    return int(math.ceil(minutes / grid) * grid)


def _minute_up(build: _Build, moment: datetime.datetime) -> int:
    """`build.minute(moment)`, a minute begun counted whole: at 10:00:50 the 10:00 slot has begun."""
    return build.minute(moment) + (1 if moment.second or moment.microsecond else 0)


def build_problem(
    plans: Sequence[CarePlan], location: Location, starts_on: datetime.date, *, weeks: int | None = None
) -> tuple[planning.Problem, _Build]:
    """The optimizer's view of the location: its practitioners' hours, rooms, what is booked, and the missing
    visits of `plans` from `starts_on` on."""
    now = clock.now()
    anchors = {plan.pk: series_start(plan, starts_on) for plan in plans}
    day0 = monday_of(starts_on)
    activities = {plan.pk: bookable_activities(plan) for plan in plans}
    span = max(
        [
            (anchors[p.pk] - day0).days // 7 + max((a.weeks for a in activities[p.pk]), default=0)
            for p in plans
        ]
        + [1]
    )
    span = min(span if weeks is None else weeks, MAX_WEEKS)
    build = _Build(day0=day0, days=7 * span)
    build.anchors = anchors
    first_day, last_day = day0, day0 + datetime.timedelta(days=build.days - 1)
    horizon_start, horizon_end = (
        at(first_day, datetime.time()),
        at(last_day + datetime.timedelta(days=1), datetime.time()),
    )

    # Practitioners who work here, with all their hours and time off loaded once.
    practitioners = list(
        Practitioner.objects.filter(working_hours__location=location, user__is_active=True)
        .select_related("user")
        .distinct()
        .order_by("id")
    )
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for h in WorkingHours.objects.filter(practitioner__in=practitioners):
        hours[h.practitioner_id].append(h)
    away: dict[int, list[TimeOff]] = defaultdict(list)
    for t in TimeOff.objects.filter(
        practitioner__in=practitioners, starts_at__lt=horizon_end, ends_at__gt=horizon_start
    ):
        away[t.practitioner_id].append(t)
    problem_practitioners = []
    for p in practitioners:
        blocks = working_blocks(p, location, first_day, last_day, hours=hours[p.pk], time_off=away[p.pk])
        problem_practitioners.append(
            planning.Practitioner(
                id=p.pk,
                discipline=p.discipline,
                available=_intervals(build, ((b.starts_at, b.ends_at) for b in blocks)),
            )
        )
        build.practitioners[p.pk] = p
    rooms = list(Room.objects.filter(location=location, active=True).order_by("id"))
    problem_rooms = tuple(
        planning.Room(id=r.pk, equipment=frozenset(r.equipment or []), available=((0, build.days * DAY),))
        for r in rooms
    )
    build.rooms = {r.pk: r for r in rooms}

    patient_ids = {plan.patient_id for plan in plans}
    occupying = list(
        Appointment.objects.filter(
            status__in=OCCUPYING_STATUSES, starts_at__lt=horizon_end, ends_at__gt=horizon_start
        )
        .filter(
            Q(practitioner_id__in=[p.pk for p in practitioners])
            | Q(room_id__in=[r.pk for r in rooms])
            | Q(patient_id__in=patient_ids)
        )
        .only("id", "practitioner_id", "room_id", "patient_id", "activity_id", "starts_at", "ends_at")
    )
    windows: dict[int, list[PatientAvailability]] = defaultdict(list)
    for w in PatientAvailability.objects.filter(patient_id__in=patient_ids):
        windows[w.patient_id].append(w)

    # How many visits of each activity each week are booked already.
    have: Counter[tuple[int, int]] = Counter()
    for row in occupying:
        if row.activity_id is not None:
            have[(row.activity_id, (local(row.starts_at).date() - day0).days // 7)] += 1

    team: dict[int, set[int]] = defaultdict(set)
    for patient_id, practitioner_id in (
        CareTeamMember.objects.active_on(timezone.localdate())
        .filter(patient_id__in=patient_ids)
        .values_list("patient_id", "practitioner_id")
    ):
        team[patient_id].add(practitioner_id)

    earliest = max(0, _grid_up(_minute_up(build, max(now, horizon_start)))) if now > horizon_start else 0
    earliest = max(earliest, (starts_on - day0).days * DAY)
    visits: list[planning.Visit] = []
    rules: list[planning.Rule] = []
    for plan in plans:
        offset = (anchors[plan.pk] - day0).days // 7
        for activity in activities[plan.pk]:
            build.activities[activity.pk] = activity
            candidates = [p for p in practitioners if p.discipline == activity.discipline]
            candidates.sort(
                key=lambda p: (
                    p.pk != activity.preferred_practitioner_id,
                    p.pk not in team[plan.patient_id],
                    p.pk,
                )
            )
            for w in range(activity.weeks):
                week = w + offset
                if week < 0 or week >= span or (week + 1) * 7 * DAY <= earliest:
                    continue
                missing = activity.visits_per_week - have[(activity.pk, week)]
                discipline = label(DISCIPLINES, activity.discipline).lower()
                for k in range(max(0, missing)):
                    if not candidates:
                        build.skipped.append(
                            {
                                "activity": activity.pk,
                                "week": w + 1,
                                "reason": f"Nobody practising {discipline} works at {location.name}.",
                            }
                        )
                        continue
                    visit = planning.Visit(
                        id=f"p{plan.pk}-a{activity.pk}-w{week}-k{k}",
                        plan=plan.pk,
                        patient=plan.patient_id,
                        activity=activity.pk,
                        discipline=activity.discipline,
                        equipment=EQUIPMENT_FOR_DISCIPLINE[activity.discipline],
                        minutes=_grid_up(activity.visit_minutes),
                        week=week,
                        index=k,
                        practitioners=tuple(p.pk for p in candidates),
                        preferred=activity.preferred_practitioner_id,
                    )
                    visits.append(visit)
                    build.visits[visit.id] = visit
        ids = {a.pk for a in activities[plan.pk]}
        for rule in SequenceRule.objects.filter(plan=plan, removed_at__isnull=True):
            if rule.first_activity_id in ids and rule.second_activity_id in ids:
                rules.append(
                    planning.Rule(
                        plan=plan.pk,
                        first=rule.first_activity_id,
                        second=rule.second_activity_id,
                        relation=rule.relation,
                        min_gap=rule.min_gap_minutes,
                        max_gap=rule.max_gap_minutes,
                    )
                )
    problem = planning.Problem(
        days=build.days,
        visits=tuple(visits),
        practitioners=tuple(problem_practitioners),
        rooms=problem_rooms,
        rules=tuple(rules),
        patient_windows={pid: _windows(build, rows) for pid, rows in windows.items()},
        practitioner_busy=_busy(
            build, (r for r in occupying if r.practitioner_id in build.practitioners), "practitioner_id"
        ),
        room_busy=_busy(build, (r for r in occupying if r.room_id in build.rooms), "room_id"),
        patient_busy=_busy(build, (r for r in occupying if r.patient_id in patient_ids), "patient_id"),
        earliest=earliest,
    )
    return problem, build


def _solve(problem: planning.Problem, *, method: str, time_limit: float) -> planning.Solution:
    if method == "greedy":
        return planning.solve_greedy(problem)
    return planning.solve(problem, time_limit=time_limit)


def _renumber_week(reason: str, week: int, offset: int) -> str:
    """The solver counts weeks from the problem's first Monday; the proposal from the plan's series start."""
    return re.sub(rf"\b([Ww])eek {week + 1}\b", lambda m: f"{m.group(1)}eek {week - offset + 1}", reason)


def _store(
    *,
    actor: User,
    plan: CarePlan,
    location: Location,
    starts_on: datetime.date,
    build: _Build,
    problem: planning.Problem,
    solution: planning.Solution,
) -> PlanBooking:
    mine = {v.id for v in problem.visits if v.plan == plan.pk}
    placements = [p for p in solution.placements if p.visit in mine]
    unplaced = [u for u in solution.unplaced if u.visit in mine]
    anchor = build.anchors[plan.pk]
    offset = (anchor - build.day0).days // 7
    # build.skipped holds every plan's skipped visits (batch mode): keep this plan's only.
    skipped = [s for s in build.skipped if build.activities[int(str(s["activity"]))].plan_id == plan.pk]
    booking = PlanBooking.objects.create(
        plan=plan,
        location=location,
        series_start_on=anchor,
        starts_on=starts_on,
        weeks=max((a.weeks for a in bookable_activities(plan)), default=0),
        method=solution.method,
        solver_status=solution.status,
        requested=len(mine) + len(skipped),
        unplaced=[
            {
                "activity": build.visits[u.visit].activity,
                "week": build.visits[u.visit].week - offset + 1,
                "reason": _renumber_week(u.reason, build.visits[u.visit].week, offset),
            }
            for u in unplaced
        ]
        + skipped,
        rules_total=sum(1 for r, a, _ in planning.rule_instances(problem) if r.plan == plan.pk),
        rules_met=_rules_met(problem, placements, plan.pk),
        wall_seconds=solution.wall_seconds,
        created_by=actor,
    )
    rows = []
    for p in placements:
        visit = build.visits[p.visit]
        starts_at = build.moment(p.start)
        room = build.rooms[p.room]
        rows.append(
            Appointment(
                organization_id=plan.organization_id,
                location=location,
                patient_id=plan.patient_id,
                practitioner=build.practitioners[p.practitioner],
                room=room,
                discipline=visit.discipline,
                activity=build.activities[visit.activity],
                booking=booking,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(minutes=visit.minutes),
                status=AppointmentStatus.PROPOSED,
                created_by=actor,
            )
        )
    Appointment.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="PlanBooking",
        object_id=booking.pk,
        patient_id=plan.patient_id,
        detail=f"proposed {len(rows)} of {booking.requested} visits ({solution.method}, {solution.status})",
    )
    return booking


def _rules_met(problem: planning.Problem, placements: Sequence[planning.Placement], plan_id: int) -> int:
    instances = [(r, a, b) for r, a, b in planning.rule_instances(problem) if r.plan == plan_id]
    if not instances:
        return 0
    start = {p.visit: p.start for p in placements}
    minutes = {v.id: v.minutes for v in problem.visits}
    met = 0
    for rule, a, b in instances:
        if a not in start or b not in start:
            continue
        same_day = start[a] // DAY == start[b] // DAY
        gap = start[b] - (start[a] + minutes[a])
        low, high = rule.min_gap or 0, rule.max_gap or 0
        if rule.relation in ("immediately-before", "within-after"):
            met += same_day and low <= gap <= high
        elif rule.relation == "same-day":
            met += same_day
        elif rule.relation == "not-same-day":
            met += not same_day
    return met


def _check_plan(actor: User, plan: CarePlan, location: Location) -> None:
    if not can_schedule_for(actor, plan.patient):
        raise ValidationError({"plan": "No such plan."})
    if plan.status not in BOOKABLE_PLAN_STATUSES:
        raise ValidationError({"plan": f"A plan that is {plan.get_status_display().lower()} is not booked."})
    if location.organization_id != plan.organization_id:
        raise ValidationError({"location": "Choose a location of this clinic."})


@transaction.atomic
def plan_booking_propose(
    *,
    actor: User,
    plan: CarePlan,
    location: Location,
    starts_on: datetime.date | None = None,
    method: str = "cp-sat",
    time_limit: float = SINGLE_PLAN_TIME_LIMIT,
) -> PlanBooking:
    """Propose the plan's missing visits from `starts_on` (default today): nothing is booked until confirmed.

    Earlier proposals of the plan still open are discarded: one proposal at a time per plan.
    """
    _check_plan(actor, plan, location)
    today = clock.localdate()
    starts_on = max(starts_on or today, today)
    if starts_on > today + datetime.timedelta(days=366):
        raise ValidationError({"starts_on": "Start within a year."})
    if method not in ("cp-sat", "greedy"):
        raise ValidationError({"method": "Choose cp-sat or greedy."})
    if not bookable_activities(plan):
        pending = plan.activities.filter(approval=Approval.PENDING).exists()
        raise ValidationError(
            {
                "plan": "The plan has no activities to book"
                + (" (its massage waits for the supervisor's approval)." if pending else ".")
            }
        )
    for activity in bookable_activities(plan):
        activity_recheck_safety(actor, activity, "book it")
    for old in PlanBooking.objects.select_for_update().filter(plan=plan, status=PlanBookingStatus.PROPOSED):
        _discard(actor, old)
    problem, build = build_problem([plan], location, starts_on)
    solution = _solve(problem, method=method, time_limit=time_limit)
    return _store(
        actor=actor,
        plan=plan,
        location=location,
        starts_on=starts_on,
        build=build,
        problem=problem,
        solution=solution,
    )


def _discard(actor: User, booking: PlanBooking) -> None:
    count, _ = booking.appointments.filter(status=AppointmentStatus.PROPOSED).delete()
    booking.status = PlanBookingStatus.DISCARDED
    booking.decided_by, booking.decided_at = actor, clock.now()
    booking.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="PlanBooking",
        object_id=booking.pk,
        patient_id=booking.plan.patient_id,
        detail=f"discarded ({count} proposed visits)",
    )


@transaction.atomic
def plan_booking_discard(*, actor: User, booking: PlanBooking) -> PlanBooking:
    booking = PlanBooking.objects.select_for_update().select_related("plan__patient").get(pk=booking.pk)
    if not can_schedule_for(actor, booking.plan.patient):
        raise ValidationError({"booking": "No such booking."})
    if booking.status != PlanBookingStatus.PROPOSED:
        raise ValidationError({"status": f"This proposal is already {booking.get_status_display().lower()}."})
    _discard(actor, booking)
    return booking


@transaction.atomic
def plan_booking_confirm(*, actor: User, booking: PlanBooking) -> PlanBooking:
    """Book every proposed visit at once, or none: if any slot was taken since the proposal, nothing is booked
    and the message names the visits to propose again."""
    booking = (
        PlanBooking.objects.select_for_update().select_related("plan__patient", "location").get(pk=booking.pk)
    )
    plan = booking.plan
    if not can_schedule_for(actor, plan.patient):
        raise ValidationError({"booking": "No such booking."})
    if booking.status != PlanBookingStatus.PROPOSED:
        raise ValidationError({"status": f"This proposal is already {booking.get_status_display().lower()}."})
    proposed = list(
        booking.appointments.filter(status=AppointmentStatus.PROPOSED).select_related(
            "practitioner__user", "room", "activity"
        )
    )
    now = clock.now()
    stale = [a for a in proposed if a.starts_at < now]
    if stale:
        raise ValidationError(
            {"booking": f"The proposal starts {when(stale[0].starts_at)}, which has passed: propose again."}
        )
    activities = {a.activity for a in proposed if a.activity is not None}
    bookable = {a.pk for a in bookable_activities(plan)}
    if any(activity.pk not in bookable for activity in activities):
        raise ValidationError(
            {
                "booking": "The plan's activities changed since the proposal (removed or awaiting approval): "
                "propose again."
            }
        )
    for activity in activities:
        activity_recheck_safety(actor, activity, "book it")
    # Hours and time off are not in the database constraint: check them again, as a single booking does.
    away = [
        f"{a.get_discipline_display()} {when(a.starts_at)}"
        for a in proposed
        if not _within_hours(a, booking.location)
    ]
    if away:
        raise ValidationError(
            {
                "booking": [f"No longer within working hours or now time off: {t}." for t in away]
                + ["Nothing was booked: propose again."]
            }
        )
    taken: list[str] = []
    for appointment in proposed:
        appointment.status = AppointmentStatus.BOOKED
        try:
            with transaction.atomic():
                appointment.save(update_fields=["status", "updated_at"])
        except IntegrityError:
            taken.append(f"{appointment.get_discipline_display()} {when(appointment.starts_at)}")
    if taken:
        transaction.set_rollback(True)
        raise ValidationError(
            {
                "booking": [f"Taken since the proposal: {t}." for t in taken]
                + ["Nothing was booked: propose again."]
            }
        )
    _join_care_team(actor, plan, {a.practitioner for a in proposed})
    booking.status = PlanBookingStatus.CONFIRMED
    booking.decided_by, booking.decided_at = actor, now
    booking.save()
    for appointment in proposed:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="Appointment",
            object_id=appointment.pk,
            patient_id=plan.patient_id,
            detail=f"booked from plan booking {booking.pk}: {appointment.discipline} practitioner="
            f"{appointment.practitioner_id} room={appointment.room_id} {appointment.starts_at.isoformat()}",
        )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="PlanBooking",
        object_id=booking.pk,
        patient_id=plan.patient_id,
        detail=f"confirmed {len(proposed)} visits",
    )
    return booking


def _within_hours(appointment: Appointment, location: Location) -> bool:
    day = local(appointment.starts_at).date()
    blocks = working_blocks(appointment.practitioner, location, day, day)
    return any(b.starts_at <= appointment.starts_at and appointment.ends_at <= b.ends_at for b in blocks)


def _join_care_team(actor: User, plan: CarePlan, practitioners: Iterable[Practitioner]) -> None:
    """A practitioner booked to see the patient joins the care team (they must see the chart to treat)."""
    on_team = set(
        CareTeamMember.objects.active_on(timezone.localdate())
        .filter(patient_id=plan.patient_id)
        .values_list("practitioner_id", flat=True)
    )
    for practitioner in practitioners:
        if practitioner.pk not in on_team:
            care_team_add(actor=actor, patient=plan.patient, practitioner=practitioner)


@dataclass
class BatchResult:
    bookings: list[PlanBooking]
    solution: planning.Solution
    requested: int


@transaction.atomic
def location_optimise(
    *,
    actor: User,
    location: Location,
    starts_on: datetime.date | None = None,
    weeks: int = 6,
    method: str = "cp-sat",
    time_limit: float = BATCH_TIME_LIMIT,
) -> BatchResult:
    """Batch mode: place the missing visits of every active plan at the location together, in one run.

    Booked visits stay where they are; the answer is one proposal per plan, each confirmed (or not) by staff.
    """
    if actor.organization_id != location.organization_id:
        raise ValidationError({"location": "Choose a location of this clinic."})
    today = timezone.localdate()
    starts_on = max(starts_on or today, today)
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValidationError({"weeks": f"Optimise 1 to {MAX_WEEKS} weeks."})
    plans = [
        p
        for p in CarePlan.objects.filter(
            organization_id=location.organization_id, status=CarePlanStatus.ACTIVE
        ).select_related("patient")
        if can_schedule_for(actor, p.patient) and bookable_activities(p)
    ]
    # Only plans whose team works here (or whose patients were seen here): the others belong elsewhere.
    here = set(
        Appointment.objects.filter(
            location=location, patient_id__in=[p.patient_id for p in plans]
        ).values_list("patient_id", flat=True)
    )
    working_here = set(
        WorkingHours.objects.filter(location=location).values_list("practitioner_id", flat=True)
    )
    plans = [
        p
        for p in plans
        if p.patient_id in here
        or any(a.preferred_practitioner_id in working_here for a in bookable_activities(p))
    ]
    for old in PlanBooking.objects.select_for_update().filter(
        plan__in=plans, status=PlanBookingStatus.PROPOSED
    ):
        _discard(actor, old)
    problem, build = build_problem(plans, location, starts_on, weeks=weeks)
    solution = _solve(problem, method=method, time_limit=time_limit)
    bookings = [
        _store(
            actor=actor,
            plan=plan,
            location=location,
            starts_on=starts_on,
            build=build,
            problem=problem,
            solution=solution,
        )
        for plan in plans
        if any(v.plan == plan.pk for v in problem.visits)
    ]
    return BatchResult(bookings=bookings, solution=solution, requested=len(problem.visits))


__all__ = [
    "BatchResult",
    "bookable_activities",
    "build_problem",
    "clinic_tz",
    "location_optimise",
    "plan_booking_confirm",
    "plan_booking_discard",
    "plan_booking_propose",
]
