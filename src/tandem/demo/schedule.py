"""The demo clinic's schedule: working hours, some patients' availability, and booked plans of care.

Every active plan is booked through the real plan-booking services (greedy, as the front desk would with the
optimizer's fast path), except Robert Hale's (D0000001): his plan (chiropractic 2x/week, physical therapy
1x/week, massage 1x/week for 6 weeks, massage immediately before the adjustment, exercise within 30 minutes
after it) is left for you to book from the browser.
Safe to run again: hours are set only where a practitioner has none; plans with a booking are left alone.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Location, Organization, Practitioner, User
from tandem.careplans.models import CarePlan, CarePlanStatus
from tandem.core import clock
from tandem.demo.specs import ProgressStart
from tandem.patients.models import Patient
from tandem.scheduling.booking import bookable_activities, plan_booking_confirm, plan_booking_propose
from tandem.scheduling.models import PatientAvailability, PlanBooking, WorkingHours
from tandem.scheduling.services import at, patient_availability_set, working_hours_set

UNBOOKED_MRNS = frozenset({"D0000001"})  # Robert Hale: booked by you, from the browser
AVAILABILITY_EVERY = 3  # one patient with a plan in 3 can only come at certain times
HISTORY_WEEKS = 8  # plans begun earlier are booked (and lived through) from this many weeks back

# (start, end, break start, break end) by persona; Monday to Friday at Riverside Main.
PERSONA_HOURS: dict[str, tuple[str, str, str, str]] = {
    "alice": ("08:00", "17:00", "12:00", "13:00"),
    "ben": ("09:00", "18:00", "13:00", "14:00"),
    "maya": ("08:30", "17:00", "12:30", "13:00"),
}
COLLEAGUE_HOURS: tuple[tuple[str, str, str, str], ...] = (
    ("08:00", "16:30", "12:00", "12:30"),
    ("10:00", "18:30", "14:00", "14:30"),
)
WINDOWS: tuple[tuple[str, str, str], ...] = (
    ("weekdays after 15:00", "15:00", "18:30"),
    ("weekday mornings", "08:00", "12:00"),
)


def demo_schedule_load(
    *,
    organization: Organization,
    seed: int,
    today: datetime.date,
    history: bool = True,
    progress: ProgressStart | None = None,
    refused: Counter[str] | None = None,
) -> Counter[str]:
    """Working hours, availability windows and the booked plans. Answers what was written; a plan the
    services refuse to book is counted in `refused` by message (it wrote nothing, and is tried again by the
    next run: refusals are not changes, so a run that only meets them again has nothing to do)."""
    created: Counter[str] = Counter()
    refused = Counter() if refused is None else refused
    admin = User.objects.get(username="admin")
    dana = User.objects.get(username="dana")
    with transaction.atomic():
        _hours(organization, admin, created)
    plans = list(
        CarePlan.objects.filter(organization=organization, status=CarePlanStatus.ACTIVE)
        .exclude(patient__mrn__in=UNBOOKED_MRNS)
        .exclude(pk__in=PlanBooking.objects.values("plan_id"))
        .select_related("patient")
        .order_by("patient__mrn", "id")
    )
    with transaction.atomic():
        _availability(plans, dana, seed, created)
    riverside = Location.objects.get(organization=organization, name="Riverside Main")
    advance = progress(len(plans), "plans booked") if progress and plans else None
    for plan in plans:
        if bookable_activities(plan):
            _book(plan, _location_of(plan, riverside), dana, today, created, refused, history=history)
        if advance:
            advance(1)
    return created


def _hours(organization: Organization, admin: User, created: Counter[str]) -> None:
    practitioners = (
        Practitioner.objects.filter(user__organization=organization, user__is_active=True)
        .exclude(pk__in=WorkingHours.objects.values("practitioner_id"))
        .select_related("user")
        .prefetch_related("locations")
        .order_by("id")
    )
    for number, practitioner in enumerate(practitioners):
        username = practitioner.user.username
        if username in PERSONA_HOURS:
            location = Location.objects.get(organization=organization, name="Riverside Main")
            starts, ends, break_starts, break_ends = PERSONA_HOURS[username]
        else:
            location = (
                practitioner.locations.order_by("id").first()
                or Location.objects.filter(organization=organization).order_by("id").first()
            )
            starts, ends, break_starts, break_ends = COLLEAGUE_HOURS[number % len(COLLEAGUE_HOURS)]
        assert location is not None
        for weekday in range(5):
            working_hours_set(
                actor=admin,
                practitioner=practitioner,
                location=location,
                weekday=weekday,
                data={
                    "starts_at": starts,
                    "ends_at": ends,
                    "break_starts_at": break_starts,
                    "break_ends_at": break_ends,
                },
            )
            created["working hours"] += 1


def _availability(plans: list[CarePlan], actor: User, seed: int, created: Counter[str]) -> None:
    """Every third patient with an active plan (by MRN, booked or not) can only come at certain times: the
    same patients whichever plans are still to book, so running the demo again adds none."""
    have = set(PatientAvailability.objects.values_list("patient_id", flat=True).distinct())
    every = (
        CarePlan.objects.filter(
            organization_id__in={plan.organization_id for plan in plans}, status=CarePlanStatus.ACTIVE
        )
        .exclude(patient__mrn__in=UNBOOKED_MRNS)
        .order_by("patient__mrn", "id")
        .values_list("pk", flat=True)
    )
    position = {pk: number for number, pk in enumerate(every)}
    for plan in plans:
        patient: Patient = plan.patient
        rng = random.Random(f"{seed}:availability:{patient.mrn}")
        if patient.pk in have or position[plan.pk] % AVAILABILITY_EVERY != AVAILABILITY_EVERY - 1:
            continue
        _, starts, ends = WINDOWS[rng.randrange(len(WINDOWS))]
        patient_availability_set(
            actor=actor,
            patient=patient,
            windows=[{"weekday": d, "starts_at": starts, "ends_at": ends} for d in range(5)],
        )
        have.add(patient.pk)
        created["patients with availability windows"] += 1


def _location_of(plan: CarePlan, default: Location) -> Location:
    """Where the plan's preferred practitioners work (most of them), else the main location."""
    preferred = [
        a.preferred_practitioner_id for a in bookable_activities(plan) if a.preferred_practitioner_id
    ]
    places = Counter(
        WorkingHours.objects.filter(practitioner_id__in=preferred).values_list("location_id", flat=True)
    )
    if not places:
        return default
    return Location.objects.get(pk=places.most_common(1)[0][0])


def booking_start(plan: CarePlan, today: datetime.date, history: bool = True) -> datetime.date:
    """Book a plan from its start, at most HISTORY_WEEKS back: the weeks already past are then lived through
    by demo.history. Without history, or for a plan starting later, from today."""
    earliest = today - datetime.timedelta(weeks=HISTORY_WEEKS if history else 0)
    starts_on = max(plan.period_start_on or today, earliest)
    return starts_on if starts_on < today else max(today, timezone.localdate())


def _book(
    plan: CarePlan,
    location: Location,
    actor: User,
    today: datetime.date,
    created: Counter[str],
    refused: Counter[str],
    *,
    history: bool,
) -> None:
    starts_on = booking_start(plan, today, history)
    # A plan begun in the past is booked as the front desk did then, on its first morning; any other at one
    # frozen moment, so a slot that starts while the proposal is confirmed is not "already past".
    then = at(starts_on, datetime.time(7, 0)) if starts_on < timezone.localdate() else timezone.now()
    try:
        with transaction.atomic(), clock.replaying(then):
            booking = plan_booking_propose(
                actor=actor, plan=plan, location=location, starts_on=starts_on, method="greedy"
            )
            if booking.appointments.exists():
                plan_booking_confirm(actor=actor, booking=booking)
                created["appointments"] += booking.appointments.count()
                created["plans booked"] += 1
            created["visits that did not fit"] += len(booking.unplaced)
    except ValidationError as exc:
        # A plan the safety check now refuses (or with nothing bookable) stays unbooked, as at a real desk.
        refused[f"booking: {'; '.join(exc.messages)[:160]}"] += 1
