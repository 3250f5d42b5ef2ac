"""Plan booking, batch optimisation, the waitlist, availability and calendar feeds (issue #4, items 1 2 4 5).

Every object comes through an access function (404 for anybody who may not see it); every change goes through
a service whose refusal is shown beside the fields. The front desk books plans too, but sees disciplines and
lengths only: technique and body-site names are for the patient's clinicians.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from tandem.accounts.forms import save_with_service
from tandem.accounts.models import Location, Practitioner, User
from tandem.audit.services import audit_read, audit_read_many
from tandem.careplans.models import Activity, CarePlan
from tandem.core.http import bound_data
from tandem.core.http import request_user as _user
from tandem.core.ids import parse_id
from tandem.core.vocabularies import DISCIPLINES, label
from tandem.patients.access import Purpose, can_see_patient
from tandem.patients.models import Patient
from tandem.scheduling import ics, services
from tandem.scheduling.access import (
    SCHEDULING_ROLES,
    access_location,
    access_plan_booking,
    access_plan_for_booking,
    access_practitioner,
    access_schedule_patient,
    access_waitlist_entry,
    can_manage_availability,
    can_schedule_for,
    visible_patient_ids,
)
from tandem.scheduling.forms_booking import (
    CalendarFeedForm,
    LocationOptimiseForm,
    PatientAvailabilityForm,
    PlanBookingForm,
    TimeOffForm,
    WaitlistForm,
    WorkingWeekForm,
    availability_initial,
)
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    PlanBooking,
    PlanBookingStatus,
    TimeOff,
    WaitlistEntry,
    WaitlistStatus,
    WorkingHours,
)

WEB_BATCH_TIME_LIMIT = 20.0  # seconds: a page should answer; the command has no such limit
WAITLIST_CLOSED_SHOWN = 20
QUICK_WINDOWS = {
    "weekdays-after-16": ("Weekdays after 16:00", range(5), datetime.time(16), datetime.time(20)),
    "weekday-mornings": ("Weekday mornings", range(5), datetime.time(8), datetime.time(12)),
}


def _plans() -> ModuleType:
    """booking.py, imported on first use: it loads the optimizer (OR-Tools), which other pages never need."""
    from tandem.scheduling import booking

    return booking


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a change: an htmx request follows with a full page load (HX-Redirect), others with a 302."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _form_status(request: HttpRequest, form: Any) -> int:
    """422 for a refused form; but htmx swaps only 2xx answers, so its requests get 200 with the errors."""
    if not form.errors or getattr(request, "htmx", False):
        return 200
    return 422


def _week_url(practitioner_id: int, day: datetime.date) -> str | None:
    """The practitioner's week view (the calendar pages), if it is installed."""
    try:
        return reverse("calendar_practitioner_week", args=[practitioner_id]) + f"?date={day.isoformat()}"
    except NoReverseMatch:
        return None


# --- Plan booking ------------------------------------------------------------------------------------------


def _activity_label(activity: Activity | None, clinical: bool, discipline: str = "") -> str:
    """What a person may read about a visit: the activity for the clinicians, the discipline for the desk."""
    if activity is None:
        return label(DISCIPLINES, discipline)
    if clinical:
        return activity.title
    return f"{activity.get_discipline_display()}, {activity.visit_minutes} min"


def _column_label(activity: Activity | None, clinical: bool) -> str:
    if activity is None:
        return "Other visits"
    if clinical:
        return f"{activity.get_kind_display()} ({activity.visit_minutes} min)"
    return f"{activity.get_discipline_display()} ({activity.visit_minutes} min)"


def _default_location(plan: CarePlan, user: User) -> Location | None:
    """Where the plan's preferred practitioners (else its supervisor) work most days."""
    preferred = {a.preferred_practitioner_id for a in _plans().bookable_activities(plan)} - {None}
    preferred = preferred or {plan.supervising_practitioner_id}
    days = Counter(
        WorkingHours.objects.filter(practitioner_id__in=preferred).values_list("location_id", flat=True)
    )
    org = Location.objects.filter(organization_id=user.organization_id).order_by("name")
    if days:
        return org.filter(pk=days.most_common(1)[0][0]).first() or org.first()
    return org.filter(practitioners__in=preferred).first() or org.first()


@dataclass
class _Visit:
    appointment: Appointment
    label: str
    week: int


@dataclass
class _Review:
    """A proposal laid out for review: by week (counts per activity) and as a compact calendar."""

    visits: list[_Visit]
    columns: list[tuple[int | None, str]]  # (activity id, label)
    weeks: list[dict[str, Any]] = field(default_factory=list)
    days: list[datetime.date] = field(default_factory=list)
    unplaced: list[dict[str, Any]] = field(default_factory=list)
    practitioners: list[dict[str, Any]] = field(default_factory=list)


def _review(booking: PlanBooking, clinical: bool) -> _Review:
    appointments = list(
        booking.appointments.exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .select_related("activity", "practitioner__user", "room")
        .order_by("starts_at", "id")
    )
    activities = {a.pk: a for a in booking.plan.activities.all()}
    visits = [
        _Visit(
            appointment=a,
            label=_activity_label(a.activity, clinical, a.discipline),
            week=(services.local(a.starts_at).date() - booking.series_start_on).days // 7 + 1,
        )
        for a in appointments
    ]
    unplaced = [
        {
            "week": item.get("week"),
            "what": _activity_label(activities.get(item.get("activity")), clinical),  # type: ignore[arg-type]
            "reason": item.get("reason", ""),
        }
        for item in booking.unplaced
    ]
    column_ids = list(dict.fromkeys([v.appointment.activity_id for v in visits]))
    columns = [(aid, _column_label(activities.get(aid) if aid else None, clinical)) for aid in column_ids]
    placed: Counter[tuple[int, int | None]] = Counter((v.week, v.appointment.activity_id) for v in visits)
    missing: Counter[int] = Counter(int(u["week"]) for u in unplaced if u["week"])
    week_numbers = sorted({v.week for v in visits} | set(missing))
    by_day: dict[datetime.date, list[_Visit]] = defaultdict(list)
    for v in visits:
        by_day[services.local(v.appointment.starts_at).date()].append(v)
    review = _Review(visits=visits, columns=columns, unplaced=unplaced)
    show_weekend = any(day.weekday() >= 5 for day in by_day)
    for week in week_numbers:
        monday = booking.series_start_on + datetime.timedelta(weeks=week - 1)
        days = [monday + datetime.timedelta(days=d) for d in range(7 if show_weekend else 5)]
        review.weeks.append(
            {
                "number": week,
                "monday": monday,
                "counts": [placed[(week, aid)] for aid, _ in columns],
                "unplaced": missing[week],
                "days": [(day, by_day.get(day, [])) for day in days],
            }
        )
    first_day: dict[int, tuple[Practitioner, datetime.date]] = {}
    for v in visits:
        p = v.appointment.practitioner
        first_day.setdefault(p.pk, (p, services.local(v.appointment.starts_at).date()))
    review.practitioners = [
        {"practitioner": p, "day": day, "url": _week_url(p.pk, day)} for p, day in first_day.values()
    ]
    return review


def _propose(request: HttpRequest, user: User, plan: CarePlan, form: PlanBookingForm) -> PlanBooking | None:
    return save_with_service(
        form,
        lambda data: _plans().plan_booking_propose(
            actor=user,
            plan=plan,
            location=data["location"],
            starts_on=data["starts_on"],
            method=data["method"],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_booking_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Propose the plan's (remaining) visits: location, start, optimizer; proposing can take a few seconds."""
    user = _user(request)
    plan = access_plan_for_booking(user, plan_id)
    if request.method == "GET":
        audit_read(
            actor=user, object_type="CarePlan", object_id=plan.pk, patient_id=plan.patient_id, detail="book"
        )
    initial = {
        "location": _default_location(plan, user),
        "starts_on": timezone.localdate(),
        "method": "cp-sat",
    }
    form = PlanBookingForm(bound_data(request), organization_id=user.organization_id, initial=initial)
    booking = _propose(request, user, plan, form)
    if booking is not None and booking.requested == 0:
        # Nothing is missing: an empty proposal would only ask to confirm nothing.
        _plans().plan_booking_discard(actor=user, booking=booking)
        messages.success(request, "Nothing to propose: every visit of the plan from that day on is booked.")
        return _redirect(request, reverse("plan_booking_new", args=[plan.pk]))
    if booking is not None:
        placed = booking.appointments.count()
        messages.success(
            request, f"Proposed {placed} of {booking.requested} visits: review them, then confirm."
        )
        return _redirect(request, reverse("plan_booking_detail", args=[booking.pk]))
    clinical = can_see_patient(user, plan.patient, Purpose.CLINICAL)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "form": form,
        "clinical": clinical,
        "activities": [(a, _activity_label(a, clinical)) for a in _plans().bookable_activities(plan)],
        "bookings": plan.bookings.select_related("location")[:10],
        "booked": plan.patient.appointments.filter(
            activity__plan=plan, status__in=("booked", "arrived", "fulfilled")
        ).count(),
        "replan": plan.bookings.filter(status=PlanBookingStatus.CONFIRMED).exists(),
    }
    return render(request, "scheduling/booking_new.html", context, status=_form_status(request, form))


@login_required
@require_GET
def plan_booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    user = _user(request)
    booking = access_plan_booking(user, booking_id)
    plan = booking.plan
    audit_read(actor=user, object_type="PlanBooking", object_id=booking.pk, patient_id=plan.patient_id)
    clinical = can_see_patient(user, plan.patient, Purpose.CLINICAL)
    context = {
        "booking": booking,
        "title": f"Proposal #{booking.pk}",
        "plan": plan,
        "patient": plan.patient,
        "clinical": clinical,
        "review": _review(booking, clinical),
        "replan_form": PlanBookingForm(
            organization_id=user.organization_id,
            initial={
                "location": booking.location,
                "starts_on": timezone.localdate(),
                "method": booking.method,
            },
        ),
    }
    return render(request, "scheduling/booking_detail.html", context)


@login_required
@require_POST
def plan_booking_confirm(request: HttpRequest, booking_id: int) -> HttpResponse:
    user = _user(request)
    booking = access_plan_booking(user, booking_id)
    try:
        booking = _plans().plan_booking_confirm(actor=user, booking=booking)
        count = booking.appointments.filter(status=AppointmentStatus.BOOKED).count()
        messages.success(request, f"Booked {count} visits for {booking.plan.patient.full_name}.")
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("plan_booking_detail", booking.pk)


@login_required
@require_POST
def plan_booking_discard(request: HttpRequest, booking_id: int) -> HttpResponse:
    user = _user(request)
    booking = access_plan_booking(user, booking_id)
    try:
        _plans().plan_booking_discard(actor=user, booking=booking)
        messages.success(request, "Discarded the proposal: nothing was booked.")
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("plan_booking_detail", booking.pk)
    return redirect("plan_booking_new", booking.plan_id)


@login_required
@require_http_methods(["GET", "POST"])
def location_optimise(request: HttpRequest, location_id: int) -> HttpResponse:
    """Batch mode (front desk, administrators): every active plan at the location, optimised together."""
    user = _user(request)
    location = access_location(user, location_id)
    if user.role not in SCHEDULING_ROLES:
        raise Http404("No such location.")
    form = LocationOptimiseForm(
        bound_data(request), initial={"starts_on": timezone.localdate(), "weeks": 6, "method": "cp-sat"}
    )
    result = save_with_service(
        form,
        lambda data: _plans().location_optimise(
            actor=user,
            location=location,
            starts_on=data["starts_on"],
            weeks=data["weeks"],
            method=data["method"],
            time_limit=WEB_BATCH_TIME_LIMIT,
        ),
    )
    rows = []
    if result is not None:
        audit_read_many(
            actor=user,
            object_type="PlanBooking",
            object_id="*",
            patient_ids=[b.plan.patient_id for b in result.bookings],
            detail=f"batch optimisation at location {location.pk}",
        )
        for b in result.bookings:
            placed = b.appointments.count()
            share = round(100 * placed / b.requested) if b.requested else 100
            rows.append({"booking": b, "placed": placed, "share": share})
    context = {"location": location, "form": form, "result": result, "rows": rows}
    return render(request, "scheduling/booking_optimise.html", context, status=_form_status(request, form))


# --- Waitlist ----------------------------------------------------------------------------------------------

WAITLIST_ORDER = {WaitlistStatus.OFFERED: 0, WaitlistStatus.WAITING: 1, WaitlistStatus.BOOKED: 2}


@login_required
@require_GET
def waitlist(request: HttpRequest) -> HttpResponse:
    """The waitlist: slots on offer first (accept or decline), then who waits, then recent bookings."""
    user = _user(request)
    entries = list(
        WaitlistEntry.objects.filter(organization_id=user.organization_id)
        .exclude(status=WaitlistStatus.REMOVED)
        .select_related("patient", "location", "practitioner__user", "offer_practitioner__user", "offer_room")
        .order_by("created_at", "id")
    )
    visible = visible_patient_ids(user, {e.patient_id for e in entries})
    entries = [e for e in entries if e.patient_id in visible]
    open_entries = sorted(
        (e for e in entries if e.status != WaitlistStatus.BOOKED), key=lambda e: WAITLIST_ORDER[e.status]
    )
    booked = [e for e in entries if e.status == WaitlistStatus.BOOKED][-WAITLIST_CLOSED_SHOWN:]
    audit_read_many(
        actor=user,
        object_type="WaitlistEntry",
        object_id="*",
        patient_ids=sorted({e.patient_id for e in open_entries + booked}),
        detail="waitlist",
    )
    context = {
        "offered": [e for e in open_entries if e.status == WaitlistStatus.OFFERED],
        "waiting": [e for e in open_entries if e.status == WaitlistStatus.WAITING],
        "booked": booked,
    }
    return render(request, "scheduling/waitlist_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_schedule_patient(user, patient_id)
    if request.method == "GET":
        audit_read(
            actor=user, object_type="Patient", object_id=patient.pk, patient_id=patient.pk, detail="waitlist"
        )
    today = timezone.localdate()
    initial = {
        "location": Location.objects.filter(organization_id=user.organization_id).order_by("name").first(),
        "minutes": 30,
        "earliest_on": today,
        "latest_on": today + datetime.timedelta(days=28),
    }
    form = WaitlistForm(bound_data(request), organization_id=user.organization_id, initial=initial)
    entry = save_with_service(
        form, lambda data: services.waitlist_add(actor=user, patient=patient, data=form.service_data())
    )
    if entry is not None:
        messages.success(
            request, f"{patient.full_name} is on the waitlist ({entry.get_discipline_display()})."
        )
        return redirect("waitlist")
    return render(
        request,
        "scheduling/waitlist_form.html",
        {"patient": patient, "form": form},
        status=422 if form.errors else 200,
    )


def _waitlist_action(request: HttpRequest, entry_id: int, verb: str) -> HttpResponse:
    user = _user(request)
    entry = access_waitlist_entry(user, entry_id)
    name = entry.patient.full_name
    try:
        if verb == "accept":
            appointment = services.waitlist_accept(actor=user, entry=entry)
            messages.success(request, f"Booked {name} {services.when(appointment.starts_at)}.")
        elif verb == "decline":
            offered_to = services.waitlist_decline(actor=user, entry=entry)
            messages.success(
                request,
                f"{name} declined the slot" + ("; it is offered to the next in line." if offered_to else "."),
            )
        else:
            services.waitlist_remove(actor=user, entry=entry)
            messages.success(request, f"Took {name} off the waitlist.")
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("waitlist")


@login_required
@require_POST
def waitlist_accept(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _waitlist_action(request, entry_id, "accept")


@login_required
@require_POST
def waitlist_decline(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _waitlist_action(request, entry_id, "decline")


@login_required
@require_POST
def waitlist_remove(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _waitlist_action(request, entry_id, "remove")


# --- Availability ------------------------------------------------------------------------------------------


def _managed_practitioner(user: User, practitioner_id: object) -> Practitioner:
    practitioner = access_practitioner(user, practitioner_id)
    if not can_manage_availability(user, practitioner):
        raise Http404("No such practitioner.")
    return practitioner


def _hours_initial(practitioner: Practitioner) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for h in WorkingHours.objects.filter(practitioner=practitioner):
        initial[f"{h.weekday}-location"] = h.location_id
        for part in WorkingWeekForm.PARTS:
            initial[f"{h.weekday}-{part}"] = getattr(h, part)
    return initial


def _save_week(user: User, practitioner: Practitioner, form: WorkingWeekForm) -> int | None:
    """Save every weekday that changed, all or nothing; the number changed, or None (errors on the form)."""
    if not form.is_valid():
        return None
    existing = {h.weekday: h for h in WorkingHours.objects.filter(practitioner=practitioner)}
    changed = 0
    with transaction.atomic():
        for weekday in range(7):
            data = form.day_data(weekday)
            old = existing.get(weekday)
            now = (
                data["location"].pk if data["location"] else None,
                *(data[p] for p in WorkingWeekForm.PARTS),
            )
            before = (
                (old.location_id, *(getattr(old, p) for p in WorkingWeekForm.PARTS)) if old else (None,) * 5
            )
            empty = not any(now[1:])
            if now == before or (empty and old is None):
                continue
            location = data["location"] or (old.location if old else None)
            if location is None:
                form.add_error(f"{weekday}-location", "Choose where the day is worked.")
                continue
            try:
                services.working_hours_set(
                    actor=user,
                    practitioner=practitioner,
                    location=location,
                    weekday=weekday,
                    data={p: data[p] for p in WorkingWeekForm.PARTS},
                )
                changed += 1
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    form.add_error(f"{weekday}-{key}" if key in WorkingWeekForm.PARTS else None, errors)
        if form.errors:
            transaction.set_rollback(True)
            return None
    return changed


def _time_off_added(request: HttpRequest, user: User, practitioner: Practitioner, form: TimeOffForm) -> bool:
    away = save_with_service(
        form,
        lambda data: services.time_off_add(
            actor=user,
            practitioner=practitioner,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data.get("reason") or "",
        ),
    )
    if away is None:
        return False
    messages.success(
        request,
        f"{practitioner.display_name} is away "
        f"{services.when(away.starts_at)} to {services.when(away.ends_at)}.",
    )
    booked = services.appointments_in_time_off(away)
    named = visible_patient_ids(user, {a.patient_id for a in booked})
    for a in booked:
        who = a.patient.full_name if a.patient_id in named else "a patient"
        messages.warning(request, f"Booked in this time off, to move: {who}, {services.when(a.starts_at)}.")
    return True


@login_required
@require_http_methods(["GET", "POST"])
def practitioner_availability(request: HttpRequest, practitioner_id: int) -> HttpResponse:
    """Working hours (a weekday grid, per location, with breaks) and time off of one practitioner."""
    user = _user(request)
    practitioner = _managed_practitioner(user, practitioner_id)
    posted = request.POST.get("form") if request.method == "POST" else None
    week = WorkingWeekForm(
        request.POST if posted == "hours" else None,
        organization_id=user.organization_id,
        initial=_hours_initial(practitioner),
    )
    away = TimeOffForm(request.POST if posted == "time_off" else None)
    if posted == "hours":
        changed = _save_week(user, practitioner, week)
        if changed is not None:
            messages.success(
                request, f"Saved the working hours ({changed} day{'s' * (changed != 1)} changed)."
            )
            return redirect("practitioner_availability", practitioner.pk)
    elif posted == "time_off" and _time_off_added(request, user, practitioner, away):
        return redirect("practitioner_availability", practitioner.pk)
    context = {
        "practitioner": practitioner,
        "week": week,
        "away": away,
        "time_off": TimeOff.objects.filter(practitioner=practitioner, ends_at__gt=timezone.now()),
    }
    invalid = week.errors or away.errors
    return render(
        request, "scheduling/availability_practitioner.html", context, status=422 if invalid else 200
    )


@login_required
@require_POST
def time_off_remove(request: HttpRequest, time_off_id: int) -> HttpResponse:
    user = _user(request)
    try:
        away = TimeOff.objects.select_related("practitioner__user").get(pk=parse_id(time_off_id))
    except (TimeOff.DoesNotExist, ValueError):
        raise Http404("No such time off.") from None
    practitioner = _managed_practitioner(user, away.practitioner_id)
    try:
        services.time_off_remove(actor=user, time_off=away)
        messages.success(request, "Removed the time off.")
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("practitioner_availability", practitioner.pk)


@login_required
@require_http_methods(["GET", "POST"])
def patient_availability(request: HttpRequest, patient_id: int) -> HttpResponse:
    """When the patient can come: up to two windows a weekday; none = any time the clinic is open."""
    user = _user(request)
    patient = access_schedule_patient(user, patient_id)
    quick = QUICK_WINDOWS.get(request.POST.get("quick", "")) if request.method == "POST" else None
    if request.method == "GET":
        audit_read(actor=user, object_type="PatientAvailability", object_id=patient.pk, patient_id=patient.pk)
    if quick is not None:
        # Fill the grid for review; nothing is saved until Save.
        title, days, starts, ends = quick
        filled = {f"{d}-0-starts_at": starts.strftime("%H:%M") for d in days}
        filled.update({f"{d}-0-ends_at": ends.strftime("%H:%M") for d in days})
        form = PatientAvailabilityForm(initial=filled)
        messages.info(request, f"Filled in “{title}”: check it and save.")
    else:
        form = PatientAvailabilityForm(
            bound_data(request), initial=availability_initial(patient.availability.all())
        )
        saved = save_with_service(
            form,
            lambda data: services.patient_availability_set(
                actor=user, patient=patient, windows=form.windows()
            ),
        )
        if saved is not None:
            messages.success(
                request, f"Saved {patient.given_name}'s availability" + ("." if saved else ": any time.")
            )
            return redirect("patient_availability", patient.pk)
    context = {"patient": patient, "form": form, "quick": [(k, v[0]) for k, v in QUICK_WINDOWS.items()]}
    return render(
        request, "scheduling/availability_patient.html", context, status=422 if form.errors else 200
    )


# --- iCalendar ---------------------------------------------------------------------------------------------


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def practitioner_ics(request: HttpRequest, practitioner_id: int) -> HttpResponse:
    """A practitioner's visits as .ics (patients by initials only); any signed-in staff of the clinic."""
    user = _user(request)
    practitioner = access_practitioner(user, practitioner_id)
    body = ics.practitioner_calendar(practitioner, ics.appointments_for_practitioner_feed(practitioner))
    return _ics(body, f"practitioner-{practitioner.pk}.ics")


@login_required
@require_GET
def patient_ics(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_schedule_patient(user, patient_id)
    audit_read(
        actor=user, object_type="Appointment", object_id="*", patient_id=patient.pk, detail="calendar.ics"
    )
    return _ics(
        ics.patient_calendar(patient, ics.appointments_for_patient_feed(patient)), f"visits-{patient.pk}.ics"
    )


def _feed_subject(user: User, form: CalendarFeedForm) -> dict[str, Any]:
    if form.cleaned_data["subject"] == "practitioner":
        return {"practitioner": user.practitioner}
    mrn = form.cleaned_data.get("mrn", "").strip()
    patient = (
        Patient.objects.filter(organization_id=user.organization_id, mrn__iexact=mrn).first() if mrn else None
    )
    if patient is None or not can_schedule_for(user, patient):
        raise ValidationError({"mrn": "Give the MRN of a patient whose visits you may see."})
    return {"patient": patient}


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    """My secret calendar URLs: create one (shown once), see when each was last used, revoke."""
    user = _user(request)
    form = CalendarFeedForm(bound_data(request), is_practitioner=user.is_clinician)
    created = save_with_service(
        form, lambda data: ics.calendar_feed_create(actor=user, **_feed_subject(user, form))
    )
    new_url = None
    if created is not None:
        feed, token = created
        new_url = request.build_absolute_uri(reverse("calendar_feed_ics", args=[token]))
        form = CalendarFeedForm(is_practitioner=user.is_clinician)
    feeds = list(
        CalendarFeed.objects.filter(owner=user)
        .select_related("practitioner__user", "patient")
        .order_by("-created_at")
    )
    patient_ids = [f.patient_id for f in feeds if f.patient_id]
    if patient_ids:
        audit_read_many(
            actor=user, object_type="CalendarFeed", object_id="*", patient_ids=sorted(set(patient_ids))
        )
    context = {"form": form, "feeds": feeds, "new_url": new_url}
    return render(request, "scheduling/feeds_list.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest, feed_id: int) -> HttpResponse:
    user = _user(request)
    try:
        feed = CalendarFeed.objects.get(pk=parse_id(feed_id), owner=user)
    except (CalendarFeed.DoesNotExist, ValueError):
        raise Http404("No such calendar feed.") from None
    try:
        ics.calendar_feed_revoke(actor=user, feed=feed)
        messages.success(request, "Revoked the calendar URL: calendar apps using it get nothing from now on.")
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("calendar_feeds")


@require_GET
def calendar_feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-URL feed (no sign-in: calendar apps cannot); 404 for an unknown or revoked token."""
    return _ics(ics.calendar_feed_render(token), "tandem.ics")
