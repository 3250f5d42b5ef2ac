"""Who may see and change the schedule (DESIGN.md §2). The object, or Http404 — never a 403.

The schedule is front-desk data: front desk and administrators see and book every patient of their clinic;
clinicians the patients they may see (care team or break-the-glass) and their own appointments. A calendar
shows every appointment of the clinic as a busy block, but names the patient only to whoever may see them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import Location, Practitioner, Role, Room, User
from tandem.careplans.models import CarePlan
from tandem.core.ids import parse_id
from tandem.patients.access import Purpose, can_see_patient, refuse_access
from tandem.patients.models import BreakGlassAccess, CareTeamMember, Patient
from tandem.scheduling.models import Appointment, PlanBooking, WaitlistEntry

SCHEDULING_ROLES = (Role.FRONT_DESK, Role.CLINIC_ADMIN)


def can_schedule_for(user: User, patient: Patient) -> bool:
    """See, book, move and cancel the patient's appointments."""
    return can_see_patient(user, patient, Purpose.DEMOGRAPHICS)


def can_manage_availability(user: User, practitioner: Practitioner) -> bool:
    """Working hours and time off: the practitioner, the front desk and administrators of the clinic."""
    if not user.is_active or user.organization_id != practitioner.user.organization_id:
        return False
    return user.role in SCHEDULING_ROLES or (user.is_clinician and user.practitioner.pk == practitioner.pk)


def visible_patient_ids(user: User, patient_ids: Iterable[int]) -> set[int]:
    """Which of `patient_ids` the user may see by name on a calendar (two queries at most, not one each)."""
    wanted = set(patient_ids)
    if not wanted or not user.is_active or user.organization_id is None:
        return set()
    in_clinic = set(
        Patient.objects.filter(pk__in=wanted, organization_id=user.organization_id).values_list(
            "pk", flat=True
        )
    )
    if user.role in SCHEDULING_ROLES:
        return in_clinic
    if not user.is_clinician:
        return set()
    team = set(
        CareTeamMember.objects.active_on(timezone.localdate())
        .filter(patient_id__in=in_clinic, practitioner=user.practitioner)
        .values_list("patient_id", flat=True)
    )
    glass = set(
        BreakGlassAccess.objects.filter(
            user=user, patient_id__in=in_clinic, expires_at__gt=timezone.now()
        ).values_list("patient_id", flat=True)
    )
    return team | glass


def _is_own(user: User, appointment: Appointment) -> bool:
    return user.is_clinician and appointment.practitioner_id == user.practitioner.pk


def access_appointment(user: User, appointment_id: object) -> Appointment:
    try:
        appointment = Appointment.objects.select_related(
            "patient", "practitioner__user", "room", "location"
        ).get(pk=parse_id(appointment_id))
    except (Appointment.DoesNotExist, ValueError):
        raise refuse_access(user, "Appointment", appointment_id, None, "No such appointment.") from None
    if appointment.organization_id != user.organization_id or not (
        can_schedule_for(user, appointment.patient) or _is_own(user, appointment)
    ):
        raise refuse_access(
            user, "Appointment", appointment.pk, appointment.patient_id, "No such appointment."
        )
    return appointment


def access_schedule_patient(user: User, patient_id: object) -> Patient:
    """A patient whose schedule the user may see and change."""
    try:
        patient = Patient.objects.get(pk=parse_id(patient_id))
    except (Patient.DoesNotExist, ValueError):
        raise refuse_access(user, "Patient", patient_id, None) from None
    if not can_schedule_for(user, patient):
        raise refuse_access(user, "Patient", patient.pk, patient.pk)
    return patient


def access_plan_for_booking(user: User, plan_id: object) -> CarePlan:
    """A plan whose visits the user may book (front desk too: booking shows disciplines and lengths only)."""
    try:
        plan = CarePlan.objects.select_related("patient", "supervising_practitioner__user").get(
            pk=parse_id(plan_id)
        )
    except (CarePlan.DoesNotExist, ValueError):
        raise refuse_access(user, "CarePlan", plan_id, None, "No such plan.") from None
    if not can_schedule_for(user, plan.patient):
        raise refuse_access(user, "CarePlan", plan.pk, plan.patient_id, "No such plan.")
    return plan


def access_plan_booking(user: User, booking_id: object) -> PlanBooking:
    try:
        booking = PlanBooking.objects.select_related("plan__patient", "location").get(pk=parse_id(booking_id))
    except (PlanBooking.DoesNotExist, ValueError):
        raise refuse_access(user, "PlanBooking", booking_id, None, "No such booking.") from None
    if not can_schedule_for(user, booking.plan.patient):
        raise refuse_access(user, "PlanBooking", booking.pk, booking.plan.patient_id, "No such booking.")
    return booking


def access_waitlist_entry(user: User, entry_id: object) -> WaitlistEntry:
    try:
        entry = WaitlistEntry.objects.select_related("patient").get(pk=parse_id(entry_id))
    except (WaitlistEntry.DoesNotExist, ValueError):
        raise refuse_access(user, "WaitlistEntry", entry_id, None, "No such waitlist entry.") from None
    if not can_schedule_for(user, entry.patient):
        raise refuse_access(user, "WaitlistEntry", entry.pk, entry.patient_id, "No such waitlist entry.")
    return entry


def access_practitioner(user: User, practitioner_id: object) -> Practitioner:
    """A practitioner of the user's clinic (their calendar is visible to the clinic's staff)."""
    try:
        practitioner = Practitioner.objects.select_related("user").get(pk=parse_id(practitioner_id))
    except (Practitioner.DoesNotExist, ValueError):
        raise Http404("No such practitioner.") from None
    if not user.is_active or practitioner.user.organization_id != user.organization_id:
        raise Http404("No such practitioner.")
    return practitioner


def access_location(user: User, location_id: object) -> Location:
    try:
        location = Location.objects.get(pk=parse_id(location_id))
    except (Location.DoesNotExist, ValueError):
        raise Http404("No such location.") from None
    if not user.is_active or location.organization_id != user.organization_id:
        raise Http404("No such location.")
    return location


def access_room(user: User, room_id: object) -> Room:
    """A room of one of the user's clinic's locations (through access_location), or 404."""
    try:
        room = Room.objects.select_related("location").get(pk=parse_id(room_id))
    except (Room.DoesNotExist, ValueError):
        raise Http404("No such room.") from None
    access_location(user, room.location_id)
    return room
