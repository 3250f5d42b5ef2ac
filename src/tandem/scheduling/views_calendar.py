"""The calendar pages: a location's day, a practitioner's or a room's day and week, one appointment (check in,
no-show, seen, undo, cancel, move), a patient's schedule and booking one visit.

Every object comes through an access function (404 for anybody who may not see it); every change goes through
a service in services.py, whose refusal is shown beside the fields (forms) or in the calendar's live region
(drag and drop). Patients the viewer may not see are "Busy" on a calendar.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.forms import save_with_service
from tandem.accounts.models import Location, Practitioner, Room, User
from tandem.audit.services import audit_read, audit_read_many
from tandem.careplans.models import CarePlan, CarePlanStatus
from tandem.core.http import bound_data as _bound
from tandem.core.http import request_user as _user
from tandem.core.ids import parse_id
from tandem.patients.access import Purpose, can_see_patient
from tandem.scheduling import selectors, services
from tandem.scheduling.access import (
    access_appointment,
    access_location,
    access_practitioner,
    access_room,
    access_schedule_patient,
    can_schedule_for,
)
from tandem.scheduling.forms_calendar import AppointmentBookForm, AppointmentMoveForm, ReasonForm, parse_day
from tandem.scheduling.models import Appointment, AppointmentStatus

# Calendar kinds: url name, and whether it spans a week.
CALENDAR_VIEWS: dict[str, tuple[str, bool]] = {
    "location-day": ("calendar_location_day", False),
    "practitioner-day": ("calendar_practitioner_day", False),
    "practitioner-week": ("calendar_practitioner_week", True),
    "room-day": ("calendar_room_day", False),
    "room-week": ("calendar_room_week", True),
}
# The buttons of the appointment page, by the status they lead to.
STATUS_ACTIONS: dict[str, str] = {
    AppointmentStatus.ARRIVED: "Check in",
    AppointmentStatus.FULFILLED: "Seen",
    AppointmentStatus.NOSHOW: "No-show",
    AppointmentStatus.BOOKED: "Undo",
}


@dataclass(frozen=True)
class CalendarSpec:
    """Which calendar: the kind, its subject (location, practitioner or room id), the day, columns by what."""

    view: str
    subject_id: int
    day: datetime.date
    by: str = "practitioner"

    def url(self, day: datetime.date | None = None, view: str | None = None, by: str | None = None) -> str:
        view = view or self.view
        query: dict[str, str] = {"date": (day or self.day).isoformat()}
        if view == "location-day" and (by or self.by) == "room":
            query["by"] = "room"
        return reverse(CALENDAR_VIEWS[view][0], args=[self.subject_id]) + "?" + urlencode(query)


def _calendar_context(user: User, spec: CalendarSpec) -> dict[str, Any]:
    """Everything the calendar fragment shows; the subject goes through its access function first."""
    week = CALENDAR_VIEWS[spec.view][1]
    days = selectors.week_days(spec.day) if week else [spec.day]
    kind = spec.view.split("-")[0]
    subject: Location | Practitioner | Room
    if kind == "location":
        subject = access_location(user, spec.subject_id)
        calendar = selectors.calendar_for_location_day(user, subject, spec.day, by=spec.by)
        title = subject.name
    elif kind == "practitioner":
        subject = access_practitioner(user, spec.subject_id)
        calendar = selectors.calendar_for_practitioner(user, subject, days)
        title = subject.display_name
    else:
        subject = access_room(user, spec.subject_id)
        calendar = selectors.calendar_for_room(user, subject, days)
        title = f"{subject.location.name} · {subject.name}"
    if calendar.named_patient_ids:
        audit_read_many(
            actor=user,
            object_type="Appointment",
            object_id=spec.view,
            patient_ids=calendar.named_patient_ids,
            detail=f"calendar {spec.view} {subject.pk} {days[0].isoformat()}",
        )
    step = datetime.timedelta(days=7 if week else 1)
    span = (
        f"week of {days[0]:%a} {days[0].day} {days[0]:%b %Y}"
        if week
        else f"{spec.day:%A} {spec.day.day} {spec.day:%B %Y}"
    )
    switch = {}
    if kind in ("practitioner", "room"):
        other = f"{kind}-day" if week else f"{kind}-week"
        switch = {"url": spec.url(view=other), "label": "Day" if week else "Week"}
    return {
        "spec": spec,
        "kind": kind,
        "week": week,
        "subject": subject,
        "title": title,
        "span": span,
        "calendar": calendar,
        "prev_url": spec.url(spec.day - step),
        "next_url": spec.url(spec.day + step),
        "today_url": spec.url(timezone.localdate()),
        "by_practitioner_url": spec.url(by="practitioner") if kind == "location" else "",
        "by_room_url": spec.url(by="room") if kind == "location" else "",
        "switch": switch,
        "is_today": timezone.localdate() in days,
        "today": timezone.localdate(),
    }


def _calendar_page(request: HttpRequest, view: str, subject_id: int) -> HttpResponse:
    user = _user(request)
    raw = request.GET.get("date")
    day = parse_day(raw)
    notice = ""
    if day is None:
        if raw:
            notice = f"“{raw[:20]}” is not a date (YYYY-MM-DD): showing today."
        day = timezone.localdate()
    by = "room" if request.GET.get("by") == "room" else "practitioner"
    context = _calendar_context(user, CalendarSpec(view, subject_id, day, by))
    context["notice"] = notice
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "calendar":
        response = render(request, "scheduling/_cal_grid.html", context)
    else:
        context["locations"] = Location.objects.filter(
            organization_id=user.organization_id, active=True
        ).order_by("name")
        response = render(request, "scheduling/calendar_page.html", context)
    response["Vary"] = "HX-Request, HX-Target"
    return response


@login_required
@require_GET
def schedule_home(request: HttpRequest) -> HttpResponse:
    """A clinician's own week; anybody else the first location's day."""
    user = _user(request)
    if user.is_clinician:
        return redirect("calendar_practitioner_week", user.practitioner.pk)
    location = (
        Location.objects.filter(organization_id=user.organization_id, active=True).order_by("name").first()
    )
    if location is None:
        return render(request, "scheduling/calendar_none.html", {})
    return redirect("calendar_location_day", location.pk)


@login_required
@require_GET
def calendar_location_day(request: HttpRequest, location_id: int) -> HttpResponse:
    return _calendar_page(request, "location-day", location_id)


@login_required
@require_GET
def calendar_location_week(request: HttpRequest, location_id: int) -> HttpResponse:
    """A location has too many columns for a week: its week opens the day of the date asked for."""
    location = access_location(_user(request), location_id)
    query = {"date": d.isoformat()} if (d := parse_day(request.GET.get("date"))) else {}
    url = reverse("calendar_location_day", args=[location.pk])
    return redirect(url + ("?" + urlencode(query) if query else ""))


@login_required
@require_GET
def calendar_practitioner_day(request: HttpRequest, practitioner_id: int) -> HttpResponse:
    return _calendar_page(request, "practitioner-day", practitioner_id)


@login_required
@require_GET
def calendar_practitioner_week(request: HttpRequest, practitioner_id: int) -> HttpResponse:
    return _calendar_page(request, "practitioner-week", practitioner_id)


@login_required
@require_GET
def calendar_room_day(request: HttpRequest, room_id: int) -> HttpResponse:
    return _calendar_page(request, "room-day", room_id)


@login_required
@require_GET
def calendar_room_week(request: HttpRequest, room_id: int) -> HttpResponse:
    return _calendar_page(request, "room-week", room_id)


# --- One appointment ----------------------------------------------------------------------------------------


def _read(user: User, appointment: Appointment, detail: str) -> None:
    audit_read(
        actor=user,
        object_type="Appointment",
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        detail=detail,
    )


def _actions(appointment: Appointment) -> list[tuple[str, str]]:
    """(status to, button label) for the moves the appointment's status allows (cancel has its own form)."""
    return [
        (to, STATUS_ACTIONS[to])
        for (before, to) in services.STATUS_MOVES
        if before == appointment.status and to in STATUS_ACTIONS
    ]


@login_required
@require_GET
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    _read(user, appointment, "detail")
    status = appointment.status
    context = {
        "appointment": appointment,
        "actions": _actions(appointment),
        "can_move": status == AppointmentStatus.BOOKED,
        "can_cancel": (status, AppointmentStatus.CANCELLED) in services.STATUS_MOVES,
        "can_void": (status, AppointmentStatus.ENTERED_IN_ERROR) in services.STATUS_MOVES,
        "activity_discipline": appointment.activity.get_discipline_display()
        if appointment.activity_id
        else "",
        "day_url": reverse("calendar_practitioner_day", args=[appointment.practitioner_id])
        + f"?date={services.local(appointment.starts_at).date().isoformat()}",
        "reason_form": ReasonForm(),
        "replan_url": _replan_url(user, appointment),
    }
    return render(request, "scheduling/appointment_detail.html", context)


def _replan_url(user: User, appointment: Appointment) -> str:
    """After a plan visit is cancelled or missed: the plan's booking page, which proposes what is missing."""
    if appointment.status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NOSHOW):
        return ""
    if appointment.activity_id is None or not can_schedule_for(user, appointment.patient):
        return ""
    plan = appointment.activity.plan
    if plan.status != CarePlanStatus.ACTIVE:
        return ""
    return reverse("plan_booking_new", args=[plan.pk])


def _spec_from(data: Any) -> CalendarSpec | None:
    view = str(data.get("view", ""))
    day = parse_day(data.get("date"))
    if view not in CALENDAR_VIEWS or day is None:
        return None
    try:
        subject_id = parse_id(data.get("subject"))
    except ValueError:
        return None
    return CalendarSpec(view, subject_id, day, "room" if data.get("by") == "room" else "practitioner")


def _refused(text: str) -> HttpResponse:
    # Plain text: the page's script puts it in the calendar's live region as text, never as markup.
    return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")


def _move_from_calendar(request: HttpRequest, user: User, appointment: Appointment) -> HttpResponse:
    """A drop on the calendar: the re-rendered calendar when the service accepts, else its message (422)."""
    spec = _spec_from(request.POST)
    if spec is None:
        return _refused("This calendar could not be read: reload the page and try again.")
    if not request.POST.get("starts_at"):
        return _refused("Drop the visit on a time slot.")
    data = {key: request.POST.get(key, "") for key in ("starts_at", "practitioner", "room")}
    try:
        moved = services.appointment_move(actor=user, appointment=appointment, data=data)
    except ValidationError as exc:
        return _refused("Not moved: " + " ".join(exc.messages))
    context = _calendar_context(user, spec)
    context["status_text"] = f"Moved {moved.patient.full_name} to {services.when(moved.starts_at)}."
    return render(request, "scheduling/_cal_grid.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def appointment_move(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Move by form (GET, POST), or by drag and drop (a POST naming the calendar to re-render)."""
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    if request.method == "POST" and "view" in request.POST:
        return _move_from_calendar(request, user, appointment)
    if request.method == "GET":
        _read(user, appointment, "move form")
    form = AppointmentMoveForm(_bound(request), appointment=appointment)
    moved = save_with_service(
        form,
        lambda data: services.appointment_move(actor=user, appointment=appointment, data=form.service_data()),
    )
    if moved is not None:
        messages.success(request, f"Moved the visit to {services.when(moved.starts_at)}.")
        return redirect("appointment_detail", moved.pk)
    return render(request, "scheduling/appointment_move.html", {"form": form, "appointment": appointment})


@login_required
@require_POST
def appointment_status(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Check in, no-show, seen, undo, entered in error: the service's refusal comes back as a message."""
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    to = request.POST.get("to", "")
    try:
        changed = services.appointment_set_status(
            actor=user, appointment=appointment, to=to, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, "Nothing changed: " + " ".join(exc.messages))
    else:
        messages.success(request, f"The visit is now {changed.get_status_display().lower()}.")
    return redirect("appointment_detail", appointment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    if request.method == "GET":
        _read(user, appointment, "cancel form")
    form = ReasonForm(_bound(request))
    cancelled = save_with_service(
        form,
        lambda data: services.appointment_cancel(actor=user, appointment=appointment, reason=data["reason"]),
    )
    if cancelled is not None:
        messages.success(request, f"Cancelled the visit of {services.when(cancelled.starts_at)}.")
        return redirect("appointment_detail", cancelled.pk)
    return render(request, "scheduling/appointment_cancel.html", {"form": form, "appointment": appointment})


# --- A patient's schedule -----------------------------------------------------------------------------------


def _url_or_empty(name: str, *args: object) -> str:
    """Pages another part of the schedule provides: linked once they exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@login_required
@require_GET
def patient_schedule(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_schedule_patient(user, patient_id)
    audit_read(actor=user, object_type="Appointment", object_id="*", patient_id=patient.pk, detail="schedule")
    clinical = can_see_patient(user, patient, Purpose.CLINICAL)
    plans = CarePlan.objects.filter(patient=patient, status=CarePlanStatus.ACTIVE).order_by("-id")
    context = {
        "patient": patient,
        "upcoming": selectors.appointment_list_for_patient_upcoming(patient),
        "past": selectors.appointment_list_for_patient_past(patient),
        "windows": list(patient.availability.all()),
        "availability_url": _url_or_empty("patient_availability", patient.pk),
        "plan_links": [(plan, url) for plan in plans if (url := _url_or_empty("plan_booking_new", plan.pk))],
        "clinical": clinical,
    }
    return render(request, "scheduling/appointment_list_patient.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def appointment_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Book one visit. The room list follows the chosen practitioner's discipline (htmx re-renders it)."""
    user = _user(request)
    patient = access_schedule_patient(user, patient_id)
    source = request.POST if request.method == "POST" else request.GET
    practitioner = (
        selectors.practitioner_list_for_clinic(patient.organization_id)
        .filter(pk=_id_or_none(source.get("practitioner")))
        .first()
    )
    initial = {
        k: source[k] for k in ("practitioner", "starts_at", "room", "minutes", "activity") if source.get(k)
    }
    form = AppointmentBookForm(
        _bound(request),
        initial=initial,
        organization_id=patient.organization_id,
        activities=selectors.activity_list_for_booking(patient),
        # On a POST every room is a valid choice: a room without the equipment gets the service's message.
        discipline=practitioner.discipline if practitioner and request.method == "GET" else None,
    )
    if request.method == "GET":
        audit_read(
            actor=user, object_type="Appointment", object_id="new", patient_id=patient.pk, detail="form"
        )
    booked = save_with_service(
        form, lambda data: services.appointment_book(actor=user, patient=patient, data=form.service_data())
    )
    if booked is not None:
        messages.success(
            request,
            f"Booked {booked.get_discipline_display().lower()} with {booked.practitioner.display_name}, "
            f"{services.when(booked.starts_at)}.",
        )
        return redirect("patient_schedule", patient.pk)
    return render(request, "scheduling/appointment_create.html", {"form": form, "patient": patient})


def _id_or_none(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return parse_id(value)
    except ValueError:
        return None
