"""Reads of referrals, always scoped to the person asking."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.services import audit_read_many
from tandem.patients.models import Patient
from tandem.referrals.models import ExternalProvider, Referral, ReferralEvent, ReferralStatus
from tandem.referrals.turnaround import Timeline, TurnaroundRow, turnaround_rows

BOXES: dict[str, str] = {
    "to-me": "Addressed to me",
    "discipline": "My discipline",
    "sent": "Sent by me",
    "overdue": "Overdue",
}
INBOX_LIMIT = 200
# The turnaround report's periods stay within these dates (beyond them date arithmetic overflows).
TURNAROUND_EARLIEST = datetime.date(2000, 1, 1)
TURNAROUND_LATEST = datetime.date(2099, 12, 31)

_RELATED = (
    "patient",
    "requester_practitioner__user",
    "requester_external",
    "recipient_practitioner__user",
    "recipient_external",
)


def overdue_condition(now: datetime.datetime) -> Q:
    """Sent and not answered within the priority's response time, or accepted and not scheduled in 7 days."""
    return Q(status=ReferralStatus.REQUESTED, response_due_at__lt=now) | Q(
        status=ReferralStatus.ACCEPTED, scheduling_due_at__lt=now
    )


def _mine(user: User) -> tuple[Q, Q, Q]:
    practitioner = user.practitioner
    to_me = Q(recipient_practitioner=practitioner) & ~Q(status=ReferralStatus.DRAFT)
    discipline = Q(recipient_discipline=practitioner.discipline, recipient_practitioner__isnull=True) & ~Q(
        status=ReferralStatus.DRAFT
    )
    sent = Q(requester_practitioner=practitioner) | Q(requester_practitioner__isnull=True, created_by=user)
    return to_me, discipline, sent


def referral_list_for_inbox(
    user: User, box: str = "to-me", *, status: str = "", now: datetime.datetime | None = None
) -> QuerySet[Referral]:
    """A practitioner's referrals: addressed to them, waiting in their discipline's inbox, sent by them, or
    any of those that is overdue. Overdue referrals come first, then the most urgent, then the oldest."""
    if not user.is_clinician or user.organization_id is None:
        return Referral.objects.none()
    now = now or timezone.now()
    to_me, discipline, sent = _mine(user)
    overdue = overdue_condition(now)
    condition = {
        "to-me": to_me,
        "discipline": discipline,
        "sent": sent,
        "overdue": (to_me | discipline | sent) & overdue,
    }.get(box, to_me)
    referrals = Referral.objects.filter(condition, organization_id=user.organization_id)
    if status in ReferralStatus.values:
        referrals = referrals.filter(status=status)
    elif status == "open":
        referrals = referrals.exclude(
            status__in=[ReferralStatus.REJECTED, ReferralStatus.COMPLETED, ReferralStatus.CANCELLED]
        )
    priority_rank = Case(
        When(priority="stat", then=Value(0)),
        When(priority="asap", then=Value(1)),
        When(priority="urgent", then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        referrals.annotate(
            overdue_rank=Case(When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField()),
            priority_rank=priority_rank,
        )
        .select_related(*_RELATED)
        .order_by("overdue_rank", "priority_rank", "created_at", "pk")
    )


def inbox_counts(user: User, *, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many open referrals each tab holds (the tabs' badges)."""
    if not user.is_clinician:
        return dict.fromkeys(BOXES, 0)
    return {box: referral_list_for_inbox(user, box, status="open", now=now).count() for box in BOXES}


def audit_listed(user: User, referrals: list[Referral], detail: str) -> None:
    """A list of referrals names patients and reasons: one read entry per patient shown."""
    patient_ids = sorted({r.patient_id for r in referrals})
    audit_read_many(actor=user, object_type="Referral", object_id="*", patient_ids=patient_ids, detail=detail)


def referral_list_for_patient(user: User, patient: Patient) -> QuerySet[Referral]:
    """The patient's referrals for someone who sees the chart (checked by the caller), newest first."""
    return (
        Referral.objects.filter(patient=patient, organization_id=user.organization_id)
        .select_related(*_RELATED)
        .order_by("-created_at", "-pk")
    )


def referral_events(referral: Referral) -> QuerySet[ReferralEvent]:
    return referral.events.select_related("actor__practitioner").order_by("at", "pk")


def contact_list_for_user(user: User, *, include_inactive: bool = False) -> QuerySet[ExternalProvider]:
    contacts = ExternalProvider.objects.filter(organization_id=user.organization_id)
    if not include_inactive:
        contacts = contacts.filter(active=True)
    return contacts.order_by("-active", "name", "pk")


def clamp_turnaround_date(day: datetime.date) -> datetime.date:
    return min(max(day, TURNAROUND_EARLIEST), TURNAROUND_LATEST)


@dataclass
class TurnaroundReport:
    start: datetime.date
    end: datetime.date
    rows: list[TurnaroundRow]


def referral_turnaround(user: User, *, start: datetime.date, end: datetime.date) -> TurnaroundReport:
    """Turnaround of the clinic's referrals sent from `start` to `end` (inclusive), per kind and discipline.

    Sent and accepted come from the workflow events; the first visit is the start of the patient's first
    booked visit in the receiving discipline after acceptance (the `scheduled` step when no visit is booked,
    as for referrals older than the scheduling app). Clinic-level numbers, no patient data.
    """
    start = clamp_turnaround_date(start)
    end = clamp_turnaround_date(end)
    if user.organization_id is None or not (user.is_clinician or user.is_clinic_admin):
        return TurnaroundReport(start, end, [])
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    sent_in_period = ReferralEvent.objects.filter(
        referral__organization_id=user.organization_id,
        to_status=ReferralStatus.REQUESTED,
        at__gte=since,
        at__lt=until,
    ).values("referral_id")
    events = (
        ReferralEvent.objects.filter(
            referral_id__in=sent_in_period,
            to_status__in=[ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED, ReferralStatus.READY],
        )
        .select_related("referral__recipient_practitioner", "referral__requester_practitioner")
        .order_by("at", "pk")
    )
    moments: dict[int, dict[str, datetime.datetime]] = {}
    referrals: dict[int, Referral] = {}
    for event in events:
        first = moments.setdefault(event.referral_id, {})
        first.setdefault(event.to_status, event.at)
        referrals[event.referral_id] = event.referral
    first_visits = _first_visits(referrals.values())
    timelines = []
    for referral_id, first in moments.items():
        sent_at = first.get(ReferralStatus.REQUESTED)
        if sent_at is None or not since <= sent_at < until:
            continue
        referral = referrals[referral_id]
        timelines.append(
            Timeline(
                kind=referral.kind,
                discipline=referral.receiving_discipline,
                sent_at=sent_at,
                accepted_at=first.get(ReferralStatus.ACCEPTED),
                scheduled_at=_first_visit_after(
                    first_visits.get((referral.patient_id, referral.receiving_discipline), []),
                    first.get(ReferralStatus.ACCEPTED),
                )
                or first.get(ReferralStatus.READY),
            )
        )
    return TurnaroundReport(start, end, turnaround_rows(timelines))


def _first_visits(referrals: Iterable[Referral]) -> dict[tuple[int, str], list[datetime.datetime]]:
    """Start times of the booked (or attended) visits of the referred patients, per patient and discipline.

    The scheduling app records the visits; it is looked up by name because scheduling builds on referrals,
    not the other way round.
    """
    wanted = {(r.patient_id, r.receiving_discipline) for r in referrals if r.receiving_discipline}
    if not wanted:
        return {}
    appointment = apps.get_model("scheduling", "Appointment")
    starts: dict[tuple[int, str], list[datetime.datetime]] = {}
    rows = (
        appointment.objects.filter(
            patient_id__in={p for p, _ in wanted},
            discipline__in={d for _, d in wanted},
            status__in=("booked", "arrived", "fulfilled"),
        )
        .order_by("starts_at")
        .values_list("patient_id", "discipline", "starts_at")
    )
    for patient_id, discipline, starts_at in rows:
        starts.setdefault((patient_id, discipline), []).append(starts_at)
    return starts


def _first_visit_after(
    starts: list[datetime.datetime], accepted_at: datetime.datetime | None
) -> datetime.datetime | None:
    """The first visit booked for the referral: the first at or after its acceptance."""
    if accepted_at is None:
        return None
    return next((moment for moment in starts if moment >= accepted_at), None)
