"""Coordinated scheduling (DESIGN.md §1 step 4): availability, appointments, plan bookings and the waitlist.

Invariant 1 (never double-booked) lives in the database: migration 0002 adds, per vendor, exclusion
constraints (PostgreSQL, btree_gist) or triggers (SQLite) that refuse two overlapping *occupying* appointments
for one practitioner, one room or one patient. services.py checks first to give a clear message; the database
is the guarantee under concurrency.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import F, Q

from tandem.accounts.models import Discipline, Location, Organization, Practitioner, Room, User
from tandem.careplans.models import Activity, CarePlan
from tandem.core.models import TimeStampedModel
from tandem.patients.models import Patient


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(TimeStampedModel):
    """FHIR Schedule: when a practitioner works at a location on a weekday, with an optional break."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    break_starts_at = models.TimeField(null=True, blank=True)
    break_ends_at = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["practitioner_id", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="working_hours_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(break_starts_at__isnull=True, break_ends_at__isnull=True)
                | Q(
                    break_starts_at__gte=F("starts_at"),
                    break_ends_at__gt=F("break_starts_at"),
                    break_ends_at__lte=F("ends_at"),
                ),
                name="working_hours_break_inside",
            ),
            # One block per practitioner and weekday (a split day is one block with a break).
            models.UniqueConstraint(fields=["practitioner", "weekday"], name="working_hours_one_per_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class TimeOff(TimeStampedModel):
    """A practitioner away (holiday, course, sick): nothing is booked in it."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="time_off_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} away {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"


class PatientAvailability(TimeStampedModel):
    """When a patient can come, e.g. weekdays after 16:00. No rows: any time the clinic is open."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["patient_id", "weekday", "starts_at"]
        verbose_name_plural = "patient availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="availability_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class AppointmentStatus(models.TextChoices):
    """FHIR R4 appointmentstatus (the subset a clinic uses)."""

    PROPOSED = "proposed", "Proposed"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Checked in"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


# Appointments that hold their practitioner, room and patient: no two of them may overlap (invariant 1).
OCCUPYING_STATUSES: tuple[str, ...] = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.FULFILLED,
)


class PlanBookingStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    DISCARDED = "discarded", "Discarded"


class PlanBooking(TimeStampedModel):
    """One proposal to book (the rest of) a plan's series, reviewed and confirmed as one unit.

    Its appointments are `proposed` until confirmed; `unplaced` lists what could not be placed and why.
    """

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="bookings")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=PlanBookingStatus.choices, default=PlanBookingStatus.PROPOSED
    )
    series_start_on = models.DateField(help_text="Monday of the plan's first week of visits.")
    starts_on = models.DateField(help_text="Nothing is proposed before this day.")
    weeks = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=20)
    solver_status = models.CharField(max_length=20)
    requested = models.PositiveIntegerField(help_text="Visits the proposal tried to place.")
    unplaced = models.JSONField(default=list, blank=True, help_text="[{activity, week, reason}]")
    rules_total = models.PositiveIntegerField(default=0)
    rules_met = models.PositiveIntegerField(default=0)
    wall_seconds = models.FloatField(default=0.0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def patient_id(self) -> int:
        return self.plan.patient_id

    def __str__(self) -> str:
        return f"Booking {self.pk} of plan {self.plan_id} ({self.get_status_display()})"


class Appointment(TimeStampedModel):
    """FHIR Appointment: one visit of one patient with one practitioner in one room."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="appointments", null=True, blank=True
    )
    booking = models.ForeignKey(
        PlanBooking, on_delete=models.PROTECT, related_name="appointments", null=True, blank=True
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    note = models.CharField(max_length=300, blank=True, help_text="For the front desk; no clinical content.")
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"], name="appointment_practitioner_start"),
            models.Index(fields=["room", "starts_at"], name="appointment_room_start"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_start"),
            models.Index(fields=["location", "starts_at"], name="appointment_location_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""), name="appointment_cancel_has_reason"
            ),
        ]

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def occupies(self) -> bool:
        return self.status in OCCUPYING_STATUSES

    def __str__(self) -> str:
        return (
            f"{self.get_discipline_display()} {self.starts_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"
        )


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a slot"
    BOOKED = "booked", "Booked"
    REMOVED = "removed", "Removed"


class WaitlistEntry(TimeStampedModel):
    """A patient who wants an earlier or extra visit; freed slots are offered in turn (first come first)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist_entries")
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="Any if empty.",
    )
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    minutes = models.PositiveSmallIntegerField()
    earliest_on = models.DateField()
    latest_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    # The slot on offer (status offered).
    offer_starts_at = models.DateTimeField(null=True, blank=True)
    offer_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    offer_room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    declined_slots = models.JSONField(
        default=list, blank=True, help_text="ISO start times the patient declined."
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_on__gte=F("earliest_on")), name="waitlist_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status="offered")
                | Q(
                    offer_starts_at__isnull=False, offer_practitioner__isnull=False, offer_room__isnull=False
                ),
                name="waitlist_offer_complete",
            ),
        ]

    @property
    def offer_ends_at(self) -> datetime.datetime | None:
        if self.offer_starts_at is None:
            return None
        return self.offer_starts_at + datetime.timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        return f"Waitlist {self.pk}: {self.get_discipline_display()} ({self.get_status_display()})"


class CalendarFeed(models.Model):
    """A secret iCalendar (.ics) URL for a calendar app that cannot sign in: a practitioner's or a patient's.

    Only the SHA-256 digest of the token is stored; revoking sets `revoked_at`. Practitioner feeds show
    patients' initials only; patient feeds show discipline, practitioner and place, never clinical content.
    """

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(practitioner__isnull=False, patient__isnull=True)
                | Q(practitioner__isnull=True, patient__isnull=False),
                name="calendar_feed_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.pk}"
