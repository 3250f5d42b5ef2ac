"""The demo clinic's past weeks: the visits of plans that began before today, lived through with the real
services (issue #5 item 8).

Under `clock.replaying`, each past appointment is checked in a few minutes before it starts, its encounter is
opened, the note written from the plan's orders (demo.visits), the visit finished and the note signed ten
minutes after it ends (a few a couple of days later: late entries); a massage therapist's note is co-signed by
the plan's supervising clinician the next morning, and charges are posted once a note may be billed. A few
patients cancel the day before or do not come. What falls after the real present is left as it would be now:
a visit under way has an open encounter with a draft, a note due to be signed later today is still a draft, a
co-signature due tomorrow is in the supervisor's queue. The audit trail records the real time of every write.

Charges the billing rules refuse stay refused (a massage on the region adjusted the same day, billed under the
same clinician, is the NCCI edit of REFERENCE §3): they are counted, as a biller would see them.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.billing.services import charges_post, coverage_set
from tandem.careplans.models import Activity
from tandem.charting import services as charting
from tandem.charting.models import Encounter, Note, NoteStatus
from tandem.core import clock
from tandem.demo.specs import ProgressStart
from tandem.demo.visits import VisitContext, note_content, planned_visits
from tandem.patients.models import CareTeamRole, Patient
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.services import appointment_cancel, appointment_set_status

T = TypeVar("T")

CANCEL_SHARE = 0.04  # the patient calls the day before
NOSHOW_SHARE = 0.03
LATE_SHARE = 0.05  # the note signed two days later: a late entry
SIGN_AFTER = datetime.timedelta(minutes=10)
LATE_SIGN_AFTER = datetime.timedelta(days=2, hours=1)
CHECK_IN_BEFORE = datetime.timedelta(minutes=5)
CANCEL_BEFORE = datetime.timedelta(hours=20)
# Insurance of the patients whose visits are documented: payer name, payer id, group; one in five self-pay.
PAYERS: tuple[tuple[str, str, str], ...] = (
    ("Riverbend Health Plan", "RBHP1", "G-20417"),
    ("Lakeshore Mutual", "LKSM2", "LM-5531"),
    ("Northstar Insurance", "NSTR3", ""),
)
SELF_PAY_EVERY = 5
MEDICARE = ("Medicare Part B", "MCRB1", "")  # 65 and over; claim filing indicator MB
MEDICARE_AGE = 65
CANCEL_REASONS = ("Patient called in sick.", "Work conflict; will rebook.", "Car trouble.")


@dataclass
class _Tally:
    counts: Counter[str]
    problems: Counter[str]

    def refused(self, what: str, exc: ValidationError) -> None:
        message = "; ".join(exc.messages)[:160]
        self.counts[f"{what} refused"] += 1
        self.problems[f"{what}: {message}"] += 1


@dataclass(frozen=True)
class _Cosign:
    moment: datetime.datetime
    note: Note
    encounter: Encounter
    supervisor: User


def past_appointments(organization_id: int, until: datetime.datetime) -> list[Appointment]:
    """The demo's booked appointments that have started by `until`, oldest first."""
    return list(
        Appointment.objects.filter(
            organization_id=organization_id,
            status=AppointmentStatus.BOOKED,
            starts_at__lt=until,
            activity__isnull=False,
        )
        .select_related("patient", "practitioner__user", "activity__plan")
        .order_by("starts_at", "pk")
    )


def demo_history_load(
    *, organization_id: int, seed: int, progress: ProgressStart | None = None
) -> tuple[Counter[str], Counter[str]]:
    """Live through the booked appointments that have started by now. Answers what was written and, by
    message, what the services refused (nothing refused is written)."""
    now = timezone.now()
    dana = User.objects.get(username="dana")
    tally = _Tally(Counter(), Counter())
    appointments = past_appointments(organization_id, now)
    _insure({a.patient for a in appointments}, seed, tally)
    numbers: Counter[tuple[int, int]] = Counter()  # (patient, activity) -> visits so far
    advance = progress(len(appointments), "past visits") if progress and appointments else None
    cosigns: list[_Cosign] = []
    for appointment in appointments:
        _live_through(appointment, seed, now, dana, numbers, tally, cosigns)
        if advance:
            advance(1)
    # Co-signatures the next morning, after the same day's other visits were signed and charged: in the
    # order a clinic lives it, so a bundling edit refuses the massage rather than the adjustment.
    for cosign in sorted(cosigns, key=lambda c: (c.moment, c.note.pk)):
        _cosign_and_post(cosign, now, tally)
    return tally.counts, tally.problems


def _insure(patients: set[Patient], seed: int, tally: _Tally) -> None:
    for patient in sorted(patients, key=lambda p: p.mrn):
        if patient.coverages.exists():
            continue
        rng = random.Random(f"{seed}:coverage:{patient.mrn}")
        indicator = "CI"  # commercial insurance
        if patient.age_on(timezone.localdate()) >= MEDICARE_AGE:
            (payer, payer_id, group), indicator = MEDICARE, "MB"
        elif int(patient.mrn[1:]) % SELF_PAY_EVERY == 0:
            continue  # self-pay: a superbill, no claim
        else:
            payer, payer_id, group = PAYERS[rng.randrange(len(PAYERS))]
        lead = patient.care_team.filter(role=CareTeamRole.LEAD).select_related("practitioner__user").first()
        if lead is None:
            continue
        try:
            coverage_set(
                actor=lead.practitioner.user,
                patient=patient,
                data={
                    "payer_name": payer,
                    "payer_id": payer_id,
                    "member_id": f"{payer_id[:2]}{rng.randrange(10**8, 10**9)}",
                    "group_number": group,
                    "claim_filing_indicator": indicator,
                },
            )
            tally.counts["insurance coverages"] += 1
        except ValidationError as exc:
            tally.refused("insurance", exc)


def _live_through(
    appointment: Appointment,
    seed: int,
    now: datetime.datetime,
    dana: User,
    numbers: Counter[tuple[int, int]],
    tally: _Tally,
    cosigns: list[_Cosign],
) -> None:
    rng = random.Random(f"{seed}:visit:{appointment.patient.mrn}:{appointment.starts_at.isoformat()}")
    roll = rng.random()
    try:
        if roll < CANCEL_SHARE:
            with transaction.atomic(), clock.replaying(appointment.starts_at - CANCEL_BEFORE):
                appointment_cancel(actor=dana, appointment=appointment, reason=rng.choice(CANCEL_REASONS))
            tally.counts["visits cancelled"] += 1
            return
        if roll < CANCEL_SHARE + NOSHOW_SHARE:
            if appointment.ends_at <= now:
                with transaction.atomic(), clock.replaying(appointment.ends_at):
                    appointment_set_status(actor=dana, appointment=appointment, to=AppointmentStatus.NOSHOW)
                tally.counts["no-shows"] += 1
            return
        with transaction.atomic(), clock.replaying(appointment.starts_at - CHECK_IN_BEFORE):
            appointment_set_status(actor=dana, appointment=appointment, to=AppointmentStatus.ARRIVED)
    except ValidationError as exc:
        tally.refused("check-in", exc)
        return
    activity = appointment.activity
    assert activity is not None
    key = (appointment.patient_id, activity.pk)
    if key not in numbers:  # visits of the activity documented by an earlier run count too
        numbers[key] = Encounter.objects.filter(activity=activity, notes__status=NoteStatus.FINAL).count()
    numbers[key] += 1
    clinician = appointment.practitioner.user
    try:
        with transaction.atomic(), clock.replaying(appointment.starts_at):
            encounter = charting.encounter_start(actor=clinician, appointment=appointment)
            note = charting.note_start(actor=clinician, encounter=encounter)
        content = note_content(_context(appointment, activity, seed, numbers))
        changes = {"data": content.data, "body_marks": content.body_marks, **content.soap}
        note = _step(
            appointment.ends_at - datetime.timedelta(minutes=2),
            now,
            lambda: charting.note_save_draft(actor=clinician, note=note, changes=changes),
            note,
        )
        if appointment.ends_at > now:
            tally.counts["visits under way"] += 1
            return
        encounter = _step(
            appointment.ends_at,
            now,
            lambda: charting.encounter_finish(actor=clinician, encounter=encounter),
            encounter,
        )
        tally.counts["visits documented"] += 1
        signed_at = appointment.ends_at + (LATE_SIGN_AFTER if rng.random() < LATE_SHARE else SIGN_AFTER)
        note = _step(signed_at, now, lambda: charting.note_sign(actor=clinician, note=note), note)
    except ValidationError as exc:
        tally.refused("note", exc)
        return
    if note.status != NoteStatus.FINAL:
        tally.counts["notes waiting to be signed"] += 1
        return
    tally.counts["notes signed"] += 1
    tally.counts["late entries"] += note.late_entry
    if note.needs_cosign:
        cosigner = note.cosigner
        assert cosigner is not None
        next_morning = datetime.datetime.combine(
            timezone.localtime(signed_at).date() + datetime.timedelta(days=1),
            datetime.time(8, 15),
            tzinfo=timezone.get_current_timezone(),
        )
        cosigns.append(_Cosign(next_morning, note, encounter, cosigner.user))
        return
    _post(encounter, clinician, tally)


def _cosign_and_post(cosign: _Cosign, now: datetime.datetime, tally: _Tally) -> None:
    try:
        note = _step(
            cosign.moment,
            now,
            lambda: charting.note_cosign(actor=cosign.supervisor, note=cosign.note),
            cosign.note,
        )
    except ValidationError as exc:
        tally.refused("co-signature", exc)
        return
    if note.cosigned_at is None:
        tally.counts["notes in a co-sign queue"] += 1
        return
    tally.counts["notes co-signed"] += 1
    _post(cosign.encounter, cosign.supervisor, tally)


def _step(moment: datetime.datetime, now: datetime.datetime, do: Callable[[], T], unchanged: T) -> T:
    """Run a service as of `moment` in its own transaction; before then, answer `unchanged`."""
    if moment > now:
        return unchanged
    with transaction.atomic(), clock.replaying(moment):
        return do()


def _post(encounter: Encounter, biller: User, tally: _Tally) -> None:
    try:
        with transaction.atomic():
            charges = charges_post(actor=biller, encounter=encounter)
        tally.counts["visits with charges"] += 1
        tally.counts["charge lines"] += len(charges)
    except ValidationError as exc:
        tally.refused("charges", exc)


def _context(
    appointment: Appointment, activity: Activity, seed: int, numbers: Counter[tuple[int, int]]
) -> VisitContext:
    plan = activity.plan
    goal = plan.goals.order_by("pk").values_list("description", flat=True).first() or ""
    return VisitContext(
        key=f"{seed}:note:{appointment.patient.mrn}:{appointment.starts_at.isoformat()}",
        discipline=appointment.discipline,
        minutes=round((appointment.ends_at - appointment.starts_at).total_seconds() / 60),
        number=numbers[(appointment.patient_id, activity.pk)],
        planned=planned_visits(activity.visits_per_week, activity.weeks),
        techniques=tuple(activity.techniques or ()),
        body_sites=tuple(activity.body_sites or ()),
        pressure=activity.massage_pressure or "",
        exercises=tuple(e for e in activity.exercises or () if isinstance(e, dict)),
        goal=goal,
    )
