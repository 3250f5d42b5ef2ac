"""The demo clinic's care coordination: external contacts, referrals, shared plans of care and screenings.

Unlike the patient batches, everything here goes through the real services (tandem.referrals,
tandem.careplans, tandem.safety), so each step is validated, audited, versioned and passed through the safety
gate exactly as if a clinician had clicked it. Only the times of the referral workflow are moved afterwards:
the services stamp "now", and the demo back-dates the referral's own timestamps and its ReferralEvent rows
(not the audit trail, which honestly says when the demo was loaded) so that the turnaround report shows
realistic days. The report back of a completed referral keeps its real time, as its stored PDF letter is dated
the day it was written.

The step touches a bounded set of patients, whatever N is: the five key patients with hand-written scenarios
(every referral status among them), and generated patients D0000006 to D0000065 (those that exist) with
scenarios drawn from (seed, index). A patient that already has a referral, a plan of care or an intake
screening is left alone, so running the demo again adds nothing and a larger N adds only what is missing.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tandem.accounts.models import Discipline, Organization, User
from tandem.careplans.models import Activity, ActivityKind, CarePlan, SequenceRelation
from tandem.careplans.safety_checks import planned
from tandem.careplans.services import (
    activity_add,
    activity_approve,
    careplan_activate,
    careplan_create,
    careplan_update,
    goal_add,
    sequence_rule_add,
)
from tandem.core.vocabularies import SPINAL_REGIONS_FOR_CMT
from tandem.demo.specs import ProgressStart, mrn
from tandem.patients.models import CareTeamMember, Condition, Patient
from tandem.referrals.models import (
    RESPONSE_TIME,
    SCHEDULING_TIME,
    ExternalProvider,
    Referral,
    ReferralEvent,
    ReferralKind,
    ReferralStatus,
)
from tandem.referrals.services import contact_create, referral_create, referral_transition
from tandem.safety.models import IntakeScreening
from tandem.safety.services import safety_check, screening_record

KEY_PATIENT_COUNT = 5
GENERATED_FIRST, GENERATED_LAST = 6, 65  # generated patients that get care-coordination scenarios

# --- External contacts ------------------------------------------------------------------------------------

FAMILY_PHYSICIAN = "Dr Helen Cole"
SPINE_SURGEON = "Dr Elena Vasquez"
PHYSIATRIST = "Dr Aisha Rahman"
SPORTS_ORTHOPEDIST = "Dr Peter Lindgren"

CONTACTS: tuple[dict[str, Any], ...] = (
    {
        "name": FAMILY_PHYSICIAN,
        "credentials": "MD",
        "specialty": "Family physician",
        "practice_name": "Hawthorne Family Medicine",
        "phone": "503-555-0110",
        "fax": "503-555-0111",
        "email": "referrals@hawthornefm.example",
        "address": "3510 SE Hawthorne Blvd\nPortland, OR 97214",
        "npi": "1902000011",
    },
    {
        "name": SPINE_SURGEON,
        "credentials": "MD",
        "specialty": "Orthopedic spine surgeon",
        "practice_name": "Cascade Orthopedic & Spine Center",
        "phone": "503-555-0130",
        "fax": "503-555-0131",
        "email": "intake@cascadespine.example",
        "address": "1200 NW Lovejoy St, Suite 400\nPortland, OR 97209",
        "npi": "1902000029",
    },
    {
        "name": PHYSIATRIST,
        "credentials": "DO",
        "specialty": "Physical medicine and rehabilitation",
        "practice_name": "Willamette Pain & Rehabilitation",
        "phone": "503-555-0150",
        "fax": "503-555-0151",
        "email": "",
        "address": "2800 N Vancouver Ave\nPortland, OR 97227",
        "npi": "1902000037",
    },
    {
        "name": SPORTS_ORTHOPEDIST,
        "credentials": "MD",
        "specialty": "Orthopedic surgeon (shoulder and knee)",
        "practice_name": "Rose City Sports Orthopedics",
        "phone": "503-555-0170",
        "fax": "503-555-0171",
        "email": "",
        "address": "9155 SW Barnes Rd\nPortland, OR 97225",
        "npi": "1902000045",
    },
)


class DemoScenarioError(Exception):
    """A scenario was refused by a service: the demo's data and the clinic's rules disagree (a bug here)."""


@dataclass
class _Context:
    organization: Organization
    seed: int
    today: datetime.date
    now: datetime.datetime
    users: dict[str, User]
    contacts: dict[str, ExternalProvider]
    created: Counter[str] = field(default_factory=Counter)

    def user(self, username: str) -> User:
        return self.users[username]


def demo_care_load(
    *,
    organization: Organization,
    seed: int,
    today: datetime.date,
    total: int,
    progress: ProgressStart | None = None,
) -> Counter[str]:
    """Add the care-coordination scenarios that are missing; answer what was created, by kind."""
    created: Counter[str] = Counter()
    with transaction.atomic():
        contacts = _contacts(organization, created)
    last = min(total, GENERATED_LAST)
    wanted = [mrn(i) for i in range(1, last + 1)]
    patients = list(
        Patient.objects.filter(organization=organization, mrn__in=wanted)
        .annotate(
            has_care=Exists(Referral.objects.filter(patient=OuterRef("pk")))
            | Exists(CarePlan.objects.filter(patient=OuterRef("pk")))
            | Exists(IntakeScreening.objects.filter(patient=OuterRef("pk")))
        )
        .filter(has_care=False)
        .order_by("mrn")
    )
    if not patients:
        return created
    users = {
        u.username: u
        for u in User.objects.filter(organization=organization).select_related("practitioner", "organization")
    }
    context = _Context(organization, seed, today, timezone.now(), users, contacts, created)
    advance = progress(len(patients), "care scenarios") if progress else None
    for patient in patients:
        index = int(patient.mrn[1:])
        with transaction.atomic():
            try:
                if index <= KEY_PATIENT_COUNT:
                    KEY_SCENARIOS[index - 1](context, patient)
                else:
                    _generated(context, patient, index)
            except ValidationError as exc:
                raise DemoScenarioError(f"Demo scenario for {patient.mrn} was refused: {exc}") from exc
        if advance:
            advance(1)
    return created


def _contacts(organization: Organization, created: Counter[str]) -> dict[str, ExternalProvider]:
    admin = User.objects.get(username="admin")
    existing = {c.name: c for c in ExternalProvider.objects.filter(organization=organization)}
    for data in CONTACTS:
        if data["name"] not in existing:
            existing[data["name"]] = contact_create(actor=admin, data=data)
            created["external_contacts"] += 1
    return existing


# --- Time -------------------------------------------------------------------------------------------------


def _moment(context: _Context, days_ago: float, hour: int, minute: int = 0) -> datetime.datetime:
    day = context.today - datetime.timedelta(days=int(days_ago))
    naive = datetime.datetime.combine(day, datetime.time(hour, minute))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def _times(
    context: _Context, start: datetime.datetime, gaps_hours: Sequence[float]
) -> list[datetime.datetime]:
    """The moments of a referral's steps: `start`, then each gap later; moved back whole if any would fall
    within ten minutes of now (the last one is the latest)."""
    moments = [start.astimezone(datetime.UTC)]  # elapsed hours, also across a change of the clocks
    for gap in gaps_hours:
        moments.append(moments[-1] + datetime.timedelta(hours=gap))
    latest = context.now - datetime.timedelta(minutes=10)
    if moments[-1] > latest:
        shift = moments[-1] - latest
        moments = [m - shift for m in moments]
    return moments


# Which timestamp of the referral each workflow status sets.
STAMP = {
    ReferralStatus.REQUESTED: "sent_at",
    ReferralStatus.ACCEPTED: "accepted_at",
    ReferralStatus.REJECTED: "declined_at",
    ReferralStatus.READY: "scheduled_at",
    ReferralStatus.IN_PROGRESS: "started_at",
    ReferralStatus.COMPLETED: "completed_at",
    ReferralStatus.CANCELLED: "cancelled_at",
}


def _backdate(referral: Referral, moments: list[datetime.datetime], *, keep_last: bool) -> None:
    """Move the referral's workflow events to `moments` (creation first), and its timestamps with them.

    With `keep_last` the final step keeps its real time (a completed referral's letter is dated today).
    """
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "pk"))
    if len(events) != len(moments):
        raise DemoScenarioError(f"Referral {referral.pk}: {len(events)} events for {len(moments)} moments.")
    if keep_last:
        moments = [*moments[:-1], events[-1].at]
    changes: dict[str, Any] = {"created_at": moments[0], "updated_at": moments[-1]}
    for event, at in zip(events, moments, strict=True):
        ReferralEvent.objects.filter(pk=event.pk).update(at=at)
        stamp = STAMP.get(event.to_status)
        if stamp:
            changes[stamp] = at
        if event.to_status == ReferralStatus.REQUESTED:
            changes["response_due_at"] = at + RESPONSE_TIME[referral.priority]
        if event.to_status == ReferralStatus.ACCEPTED:
            changes["scheduling_due_at"] = at + SCHEDULING_TIME
    Referral.objects.filter(pk=referral.pk).update(**changes)


# --- Referral and plan helpers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One workflow action after the draft: who takes it, how many hours after the previous step, and the
    text it needs (reason for decline/cancel, report for complete, or a note)."""

    action: str
    by: str
    hours: float
    text: dict[str, str] = field(default_factory=dict)


def _refer(
    context: _Context,
    patient: Patient,
    *,
    author: str,
    data: dict[str, Any],
    start: datetime.datetime,
    steps: Sequence[Step] = (),
    override_reason: str = "",
) -> Referral:
    """Write a referral as `author` and take it through `steps`, then back-date its workflow."""
    referral = referral_create(
        actor=context.user(author), patient=patient, data=data, override_reason=override_reason
    )
    for step in steps:
        referral = referral_transition(
            actor=context.user(step.by), referral=referral, action=step.action, body=step.text
        )
    moments = _times(context, start, [s.hours for s in steps])
    letter = referral.status == ReferralStatus.COMPLETED and referral.kind != ReferralKind.EXTERNAL_OUT
    _backdate(referral, moments, keep_last=letter)
    context.created["referrals"] += 1
    context.created["referral_letters"] += letter
    return referral


def _sent(by: str, hours: float = 0.3, note: str = "") -> Step:
    return Step("send", by, hours, {"note": note} if note else {})


def _conditions(patient: Patient, *codes: str) -> list[int]:
    found = Condition.objects.filter(patient=patient)
    if codes:
        found = found.filter(code__in=codes)
    return list(found.order_by("pk").values_list("pk", flat=True))


def _plan(
    context: _Context,
    patient: Patient,
    *,
    author: str,
    data: dict[str, Any],
    goals: Sequence[dict[str, Any]] = (),
) -> CarePlan:
    plan = careplan_create(actor=context.user(author), patient=patient, data=data)
    for goal in goals:
        goal_add(actor=context.user(author), plan=plan, data=goal)
    context.created["care_plans"] += 1
    context.created["goals"] += len(goals)
    return plan


def _activity(
    context: _Context, plan: CarePlan, *, by: str, data: dict[str, Any], override_reason: str = ""
) -> Activity:
    activity = activity_add(actor=context.user(by), plan=plan, data=data, override_reason=override_reason)
    context.created["plan_activities"] += 1
    return activity


def _screen(context: _Context, patient: Patient, *, by: str, data: dict[str, Any]) -> None:
    screening_record(actor=context.user(by), patient=patient, data=data)
    context.created["screenings"] += 1


def _practitioner_id(context: _Context, username: str) -> int:
    return context.user(username).practitioner.pk


# --- Key patients -----------------------------------------------------------------------------------------

ROBERT_MASSAGE_OVERRIDE = (
    "INR stable at 2.1-2.6 for six months (Dr Cole, last check 2.4). Light-pressure Swedish only: no deep "
    "tissue, myofascial or trigger-point work; stop if any bruising. Discussed with the patient."
)
ROBERT_EPISODE = "Lumbar disc degeneration: concurrent care"


def _robert_hale(context: _Context, patient: Patient) -> None:
    """Dr Cole refers him to alice; alice orders light massage from maya; the shared plan of all three."""
    _screen(
        context,
        patient,
        by="alice",
        data={
            "red_flags": [],
            "factors": [],
            "notes": "Intake: no saddle anaesthesia, bladder or bowel change, night pain, weight loss or "
            "fever. Warfarin, INR 2.4 last week.",
        },
    )
    disc, spasm = _conditions(patient, "M51.362"), _conditions(patient, "M62.830")
    _refer(
        context,
        patient,
        author="alice",
        data={
            "kind": ReferralKind.EXTERNAL_IN,
            "requester_contact": context.contacts[FAMILY_PHYSICIAN].pk,
            "recipient_practitioner": _practitioner_id(context, "alice"),
            "reason": "Chronic low back pain; MRI 2026-03-02 shows advanced L4-L5 disc degeneration. Please "
            "evaluate and treat conservatively. On warfarin (INR 2-3): no high-velocity manipulation.",
            "conditions": disc,
        },
        start=_moment(context, 34, 9, 10),
        steps=[
            _sent("alice", 0.2, "Fax from Hawthorne Family Medicine, recorded at intake."),
            Step("accept", "alice", 3.5),
            Step("schedule", "alice", 1.0, {"note": "New-patient exam booked for Thursday."}),
            Step("start", "alice", 50),
        ],
    )
    massage = _refer(
        context,
        patient,
        author="alice",
        data={
            "kind": ReferralKind.MASSAGE_ORDER,
            "recipient_practitioner": _practitioner_id(context, "maya"),
            "reason": "Paraspinal guarding and muscle spasm around the degenerated L4-L5 segment, limiting "
            "his exercise program.",
            "conditions": disc + spasm,
            "techniques": ["massage-swedish"],
            "body_sites": ["thoracic", "lumbar"],
            "pressure_limit": "light",
            "precautions": "On warfarin: light pressure only, no deep tissue or myofascial work; watch for "
            "bruising. Position side-lying if prone extension hurts.",
            "session_count": 6,
            "sessions_per_week": 1,
            "goals": "Less guarding before his adjustments; NPRS 7 to 3.",
        },
        override_reason=ROBERT_MASSAGE_OVERRIDE,
        start=_moment(context, 21, 16, 40),
        steps=[
            _sent("alice", 0.4),
            Step("accept", "maya", 26.5, {"note": "Happy to. First session before his Tuesday adjustment."}),
            Step("schedule", "maya", 19),
            Step("start", "maya", 118),
        ],
    )
    start_on = context.today - datetime.timedelta(days=20)
    plan = _plan(
        context,
        patient,
        author="alice",
        data={
            "title": ROBERT_EPISODE,
            "description": "Shared plan of chiropractic, physical therapy and massage for chronic low back "
            "pain with MRI-confirmed advanced L4-L5 disc degeneration. On warfarin: no HVLA, light-pressure "
            "massage only.",
            "supervising_practitioner": _practitioner_id(context, "alice"),
            "period_start_on": start_on,
            "period_end_on": start_on + datetime.timedelta(weeks=6),
            "problems": disc + spasm,
            "based_on_referral": massage.pk,
        },
        goals=[
            {
                "description": "Oswestry Disability Index from 48 to 30 or lower in six weeks",
                "measure": "odi",
                "baseline_value": 48,
                "target_value": 30,
                "due_on": start_on + datetime.timedelta(weeks=6),
                "lifecycle_status": "active",
            },
            {
                "description": "Low back pain (NPRS) from 7 to 3",
                "measure": "nprs",
                "baseline_value": 7,
                "target_value": 3,
                "due_on": start_on + datetime.timedelta(weeks=6),
                "lifecycle_status": "active",
            },
        ],
    )
    adjustment = _activity(
        context,
        plan,
        by="alice",
        data={
            "kind": ActivityKind.CHIROPRACTIC_ADJUSTMENT,
            "techniques": ["chiro-activator", "chiro-flexion-distraction"],
            "body_sites": ["thoracic", "lumbar"],
            "technique_notes": "No HVLA or drop-table: manipulation on warfarin is a precaution (Hawk 2020). "
            "Instrument-assisted adjustments and flexion-distraction at L4-L5 only.",
            "visits_per_week": 2,
            "weeks": 6,
            "visit_minutes": 20,
            "preferred_practitioner": _practitioner_id(context, "alice"),
            "status": "in-progress",
        },
    )
    exercise = _activity(
        context,
        plan,
        by="ben",
        data={
            "kind": ActivityKind.THERAPEUTIC_EXERCISE,
            "techniques": ["pt-therapeutic-exercise"],
            "body_sites": ["lumbar"],
            "exercises": [
                {"name": "Pelvic tilts", "sets": 2, "repetitions": 10, "notes": "Supine, slow."},
                {"name": "Bird dog", "sets": 3, "repetitions": 8, "notes": "Hold 5 s each side."},
                {"name": "Dead bug", "sets": 3, "repetitions": 10, "notes": ""},
                {"name": "Glute bridge", "sets": 3, "repetitions": 12, "notes": "No lumbar extension."},
                {"name": "McGill curl-up", "sets": 3, "repetitions": 6, "notes": "Hold 8 s."},
            ],
            "visits_per_week": 1,
            "weeks": 6,
            "visit_minutes": 45,
            "preferred_practitioner": _practitioner_id(context, "ben"),
            "status": "in-progress",
        },
    )
    massage_activity = _activity(
        context,
        plan,
        by="alice",
        data={
            "kind": ActivityKind.MEDICAL_MASSAGE,
            "techniques": ["massage-swedish"],
            "body_sites": ["thoracic", "lumbar"],
            "massage_pressure": "light",
            "visits_per_week": 1,
            "weeks": 6,
            "visit_minutes": 45,
            "preferred_practitioner": _practitioner_id(context, "maya"),
            "status": "in-progress",
        },
        override_reason=ROBERT_MASSAGE_OVERRIDE,
    )
    activity_approve(actor=context.user("alice"), activity=massage_activity)
    sequence_rule_add(
        actor=context.user("alice"),
        plan=plan,
        data={
            "first_activity": massage_activity.pk,
            "second_activity": adjustment.pk,
            "relation": SequenceRelation.IMMEDIATELY_BEFORE,
        },
    )
    sequence_rule_add(
        actor=context.user("alice"),
        plan=plan,
        data={
            "first_activity": adjustment.pk,
            "second_activity": exercise.pk,
            "relation": SequenceRelation.WITHIN_AFTER,
            "max_gap_minutes": 30,
        },
    )
    context.created["sequence_rules"] += 2
    careplan_activate(actor=context.user("alice"), plan=plan)


def _linda_park(context: _Context, patient: Patient) -> None:
    """Dr Cole's referral to ben, completed with a letter; ben's surgical referral, cancelled."""
    cuff = _conditions(patient)
    _refer(
        context,
        patient,
        author="ben",
        data={
            "kind": ReferralKind.EXTERNAL_IN,
            "requester_contact": context.contacts[FAMILY_PHYSICIAN].pk,
            "recipient_practitioner": _practitioner_id(context, "ben"),
            "reason": "Left rotator cuff strain after lifting a suitcase; please evaluate and treat.",
            "conditions": cuff,
        },
        start=_moment(context, 55, 10, 5),
        steps=[
            _sent("ben", 0.1),
            Step("accept", "ben", 2.2),
            Step("schedule", "ben", 5.5),
            Step("start", "ben", 70),
            Step(
                "complete",
                "ben",
                24 * 40,
                {
                    "report": "Ten visits of physical therapy: rotator-cuff isometrics progressing to "
                    "resisted external rotation, scapular stabilisation, and a home program.",
                    "outcome": "Pain 6/10 to 1/10; QuickDASH 45 to 11; full active elevation.",
                    "recommendations": "Continue the home program three times a week; review if pain "
                    "returns.",
                },
            ),
        ],
    )
    _refer(
        context,
        patient,
        author="ben",
        data={
            "kind": ReferralKind.EXTERNAL_OUT,
            "recipient_contact": context.contacts[SPORTS_ORTHOPEDIST].pk,
            "reason": "Persistent weakness in external rotation after four weeks; please assess for a "
            "full-thickness tear.",
            "conditions": cuff,
        },
        start=_moment(context, 30, 14, 30),
        steps=[
            _sent("ben", 0.5),
            Step(
                "cancel",
                "ben",
                24 * 17,
                {
                    "reason": "Strength and range now improving with therapy; surgical opinion no longer "
                    "needed (agreed with Dr Cole and the patient)."
                },
            ),
        ],
    )


def _maria_gonzalez(context: _Context, patient: Patient) -> None:
    """ben's draft massage order and draft plan; maya's structural referral to alice, declined."""
    fascia, back = _conditions(patient, "M72.2"), _conditions(patient, "M54.50")
    _refer(
        context,
        patient,
        author="ben",
        data={
            "kind": ReferralKind.MASSAGE_ORDER,
            "recipient_practitioner": _practitioner_id(context, "maya"),
            "reason": "Right plantar fasciitis with tight calf: soft-tissue work to support her stretching.",
            "conditions": fascia,
            "techniques": ["massage-myofascial-release", "massage-trigger-point"],
            "body_sites": ["ankle-foot-right", "lower-leg-right"],
            "pressure_limit": "moderate",
            "precautions": "LATEX ALLERGY (hives and wheezing): nitrile gloves and latex-free products only.",
            "session_count": 4,
            "sessions_per_week": 1,
            "goals": "First-step pain in the morning from 6 to 2.",
        },
        start=_moment(context, 1, 17, 15),
    )
    _refer(
        context,
        patient,
        author="maya",
        data={
            "kind": ReferralKind.STRUCTURAL,
            "recipient_practitioner": _practitioner_id(context, "alice"),
            "reason": "Low back pain flaring during massage sessions; please assess.",
            "findings": "Left lumbar paraspinal hypertonicity L3-L5, reduced flexion, pain reproduced on "
            "extension; suspect facet irritation. No leg symptoms.",
            "conditions": back,
        },
        start=_moment(context, 16, 11, 45),
        steps=[
            _sent("maya", 0.2),
            Step(
                "decline",
                "alice",
                30,
                {
                    "reason": "Her low back pain is managed in ben's physical-therapy plan; no chiropractic "
                    "indication now. Please raise it with ben, who leads her care."
                },
            ),
        ],
    )
    start_on = context.today + datetime.timedelta(days=3)
    plan = _plan(
        context,
        patient,
        author="ben",
        data={
            "title": "Right plantar fasciitis: PT and massage",
            "description": "Draft: to discuss with María (in Spanish) at her next visit.",
            "period_start_on": start_on,
            "problems": fascia,
        },
        goals=[
            {
                "description": "First-step pain (NPRS) from 6 to 2",
                "measure": "nprs",
                "baseline_value": 6,
                "target_value": 2,
                "due_on": start_on + datetime.timedelta(weeks=8),
                "lifecycle_status": "proposed",
            },
            {
                "description": "LEFS from 52 to 70",
                "measure": "lefs",
                "baseline_value": 52,
                "target_value": 70,
                "due_on": start_on + datetime.timedelta(weeks=8),
                "lifecycle_status": "proposed",
            },
        ],
    )
    _activity(
        context,
        plan,
        by="ben",
        data={
            "kind": ActivityKind.THERAPEUTIC_EXERCISE,
            "techniques": ["pt-therapeutic-exercise"],
            "body_sites": ["ankle-foot-right", "lower-leg-right"],
            "exercises": [
                {
                    "name": "Plantar fascia stretch",
                    "sets": 3,
                    "repetitions": 10,
                    "notes": "Before first steps.",
                },
                {"name": "Wall calf stretch", "sets": 3, "repetitions": 3, "notes": "Hold 30 s."},
                {"name": "Eccentric heel drops", "sets": 3, "repetitions": 15, "notes": ""},
                {"name": "Towel curls", "sets": 2, "repetitions": 15, "notes": ""},
            ],
            "visits_per_week": 1,
            "weeks": 8,
            "visit_minutes": 40,
        },
    )


def _thomas_nguyen(context: _Context, patient: Patient) -> None:
    """maya's structural referral to alice, completed with a letter; alice's massage order, accepted."""
    whiplash = _conditions(patient, "S13.4XXA")
    headache = _conditions(patient, "G44.209")
    _refer(
        context,
        patient,
        author="maya",
        data={
            "kind": ReferralKind.STRUCTURAL,
            "recipient_practitioner": _practitioner_id(context, "alice"),
            "reason": "Neck pain and headaches since the collision; please assess the cervical spine before "
            "further massage.",
            "findings": "Right cervical rotation limited to about 50 degrees; hypertonic right upper "
            "trapezius and levator scapulae; suboccipital tenderness reproduces his headache. No arm "
            "symptoms, no dizziness.",
            "conditions": whiplash + headache,
        },
        start=_moment(context, 12, 13, 20),
        steps=[
            _sent("maya", 0.2),
            Step("accept", "alice", 4.5),
            Step("schedule", "alice", 2.5),
            Step("start", "alice", 22),
            Step(
                "complete",
                "alice",
                24 * 6,
                {
                    "report": "Cervical examination; Canadian C-Spine Rule negative. Activator adjustments "
                    "C5-C6 and upper thoracic, three visits.",
                    "outcome": "Rotation now 70 degrees each way; headaches down from daily to twice a week.",
                    "recommendations": "Light to moderate massage of the upper trapezius and suboccipitals "
                    "is fine; no cervical HVLA for now. Tell me if dizziness or arm symptoms appear.",
                },
            ),
        ],
    )
    _refer(
        context,
        patient,
        author="alice",
        data={
            "kind": ReferralKind.MASSAGE_ORDER,
            "recipient_practitioner": _practitioner_id(context, "maya"),
            "reason": "Whiplash-associated neck pain with tension-type headaches.",
            "conditions": whiplash + headache,
            "techniques": ["massage-swedish", "massage-trigger-point"],
            "body_sites": ["cervical", "thoracic"],
            "pressure_limit": "moderate",
            "precautions": "No end-range cervical stretching; stop if dizziness or arm symptoms.",
            "session_count": 4,
            "sessions_per_week": 1,
            "goals": "Headache days per week from 2 to 0; NDI below 10%.",
        },
        start=_moment(context, 3, 9, 30),
        steps=[_sent("alice", 0.3), Step("accept", "maya", 20)],
    )


GRACE_MASSAGE_OVERRIDE = (
    "Apixaban 5 mg twice daily, stable; light Swedish only, no deep work, no pressure over bony "
    "prominences (osteoporosis on alendronate)."
)


def _grace_whitaker(context: _Context, patient: Patient) -> None:
    """A red flag at intake and an urgent referral to the spine surgeon (scheduled); alice's massage order to
    maya, sent and overdue; an earlier plan of ben's, completed; the current plan with a massage that waits
    for alice's approval until the surgeon has seen her."""
    stenosis, knee = _conditions(patient, "M48.062"), _conditions(patient, "M17.12")
    _refer(
        context,
        patient,
        author="alice",
        data={
            "kind": ReferralKind.MASSAGE_ORDER,
            "recipient_practitioner": _practitioner_id(context, "maya"),
            "reason": "Lumbar stenosis and left knee osteoarthritis with quadriceps and paraspinal guarding.",
            "conditions": stenosis + knee,
            "techniques": ["massage-swedish"],
            "body_sites": ["lumbar", "thigh-left", "knee-left"],
            "pressure_limit": "light",
            "precautions": "On apixaban and alendronate: light pressure only. NSAID and arnica allergies: no "
            "arnica or NSAID gels.",
            "session_count": 6,
            "sessions_per_week": 1,
            "goals": "Walk to the mailbox and back without stopping.",
        },
        override_reason=GRACE_MASSAGE_OVERRIDE,
        start=_moment(context, 9, 15, 0),
        steps=[_sent("alice", 0.4)],
    )
    _screen(
        context,
        patient,
        by="alice",
        data={
            "red_flags": ["minor-trauma-osteoporosis-steroids"],
            "factors": [],
            "notes": "Slipped on her front step five days ago; new mid and low back pain since. On "
            "alendronate. Urgent referral for imaging before further manual therapy of the spine.",
        },
    )
    _refer(
        context,
        patient,
        author="alice",
        data={
            "kind": ReferralKind.EXTERNAL_OUT,
            "priority": "urgent",
            "recipient_contact": context.contacts[SPINE_SURGEON].pk,
            "reason": "Minor fall five days ago with new thoracolumbar pain, on alendronate and apixaban; "
            "known severe L3-L5 stenosis. Please assess for a fragility fracture and review surgical "
            "options.",
            "conditions": stenosis,
        },
        start=_moment(context, 2, 8, 40),
        steps=[
            _sent("alice", 0.2, "Faxed with the 2025 MRI report."),
            Step("accept", "alice", 6, {"note": "Dr Vasquez's office called back: they will see her."}),
            Step("schedule", "alice", 20, {"note": "Appointment with imaging on Monday."}),
        ],
    )
    earlier = context.today - datetime.timedelta(days=300)
    done = _plan(
        context,
        patient,
        author="ben",
        data={
            "title": "Left knee osteoarthritis: strengthening",
            "description": "Eight weeks of knee strengthening and walking tolerance.",
            "period_start_on": earlier,
            "problems": knee,
        },
        goals=[
            {
                "description": "LEFS from 34 to 50",
                "measure": "lefs",
                "baseline_value": 34,
                "target_value": 50,
                "due_on": earlier + datetime.timedelta(weeks=8),
                "lifecycle_status": "completed",
            }
        ],
    )
    _activity(
        context,
        done,
        by="ben",
        data={
            "kind": ActivityKind.THERAPEUTIC_EXERCISE,
            "techniques": ["pt-therapeutic-exercise"],
            "body_sites": ["knee-left", "thigh-left"],
            "exercises": [
                {"name": "Sit-to-stand", "sets": 3, "repetitions": 8, "notes": "From a high chair."},
                {"name": "Straight-leg raise", "sets": 3, "repetitions": 10, "notes": ""},
                {"name": "Step-ups", "sets": 2, "repetitions": 8, "notes": "10 cm step, rail."},
            ],
            "visits_per_week": 2,
            "weeks": 8,
            "visit_minutes": 40,
            "status": "completed",
        },
    )
    careplan_activate(actor=context.user("ben"), plan=done)
    careplan_update(
        actor=context.user("ben"),
        plan=done,
        data={"status": "completed", "period_end_on": earlier + datetime.timedelta(weeks=8)},
    )
    start_on = context.today - datetime.timedelta(days=30)
    plan = _plan(
        context,
        patient,
        author="alice",
        data={
            "title": "Lumbar stenosis and knee OA: concurrent care",
            "description": "Flexion-based care for neurogenic claudication, knee strengthening, light "
            "massage. Spinal manual therapy on hold until the spine surgeon has seen her after the fall.",
            "period_start_on": start_on,
            "problems": stenosis + knee,
        },
        goals=[
            {
                "description": "Oswestry Disability Index from 42 to 28",
                "measure": "odi",
                "baseline_value": 42,
                "target_value": 28,
                "due_on": start_on + datetime.timedelta(weeks=8),
                "lifecycle_status": "active",
            }
        ],
    )
    _activity(
        context,
        plan,
        by="alice",
        data={
            "kind": ActivityKind.CHIROPRACTIC_ADJUSTMENT,
            "techniques": ["chiro-flexion-distraction"],
            "body_sites": ["lumbar"],
            "technique_notes": "Flexion-distraction only: no HVLA on apixaban with osteoporosis.",
            "visits_per_week": 1,
            "weeks": 8,
            "visit_minutes": 20,
            "status": "on-hold",
        },
    )
    _activity(
        context,
        plan,
        by="ben",
        data={
            "kind": ActivityKind.THERAPEUTIC_EXERCISE,
            "techniques": ["pt-therapeutic-exercise"],
            "body_sites": ["lumbar", "knee-left"],
            "exercises": [
                {"name": "Seated flexion stretch", "sets": 3, "repetitions": 5, "notes": "Hold 20 s."},
                {"name": "Recumbent bike", "sets": 1, "repetitions": 1, "notes": "10 minutes, easy."},
                {"name": "Sit-to-stand", "sets": 3, "repetitions": 8, "notes": ""},
            ],
            "visits_per_week": 2,
            "weeks": 8,
            "visit_minutes": 40,
            "preferred_practitioner": _practitioner_id(context, "ben"),
        },
    )
    # alice writes the massage and overrides its precaution, but approves it only once the spine surgeon has
    # seen Grace: it waits in her approval queue.
    _activity(
        context,
        plan,
        by="alice",
        data={
            "kind": ActivityKind.MEDICAL_MASSAGE,
            "techniques": ["massage-swedish"],
            "body_sites": ["lumbar", "thigh-left", "knee-left"],
            "massage_pressure": "light",
            "visits_per_week": 1,
            "weeks": 6,
            "visit_minutes": 30,
            "preferred_practitioner": _practitioner_id(context, "maya"),
        },
        override_reason=GRACE_MASSAGE_OVERRIDE,
    )
    careplan_activate(actor=context.user("alice"), plan=plan)


KEY_SCENARIOS: tuple[Callable[[_Context, Patient], None], ...] = (
    _robert_hale,
    _linda_park,
    _maria_gonzalez,
    _thomas_nguyen,
    _grace_whitaker,
)


# --- Generated patients -----------------------------------------------------------------------------------

# Referral statuses of generated patients, and how often each is drawn.
STATUS_WEIGHTS: dict[str, float] = {
    ReferralStatus.DRAFT: 0.5,
    ReferralStatus.REQUESTED: 2.0,
    ReferralStatus.ACCEPTED: 1.5,
    ReferralStatus.REJECTED: 0.6,
    ReferralStatus.READY: 2.0,
    ReferralStatus.IN_PROGRESS: 2.0,
    ReferralStatus.COMPLETED: 1.2,
    ReferralStatus.CANCELLED: 0.6,
}
# The actions that lead from a draft to each status.
PATHS: dict[str, tuple[str, ...]] = {
    ReferralStatus.DRAFT: (),
    ReferralStatus.REQUESTED: ("send",),
    ReferralStatus.ACCEPTED: ("send", "accept"),
    ReferralStatus.REJECTED: ("send", "decline"),
    ReferralStatus.READY: ("send", "accept", "schedule"),
    ReferralStatus.IN_PROGRESS: ("send", "accept", "schedule", "start"),
    ReferralStatus.COMPLETED: ("send", "accept", "schedule", "start", "complete"),
    ReferralStatus.CANCELLED: ("send", "cancel"),
}
MASSAGE_CHOICES: tuple[tuple[str, ...], ...] = (
    ("massage-swedish",),
    ("massage-swedish", "massage-trigger-point"),
    ("massage-myofascial-release",),
    ("massage-deep-tissue",),
    ("massage-swedish", "massage-myofascial-release"),
)
# Where an adjustment goes for a problem of a limb.
NEAREST_SPINE = {
    "head": "cervical",
    "shoulder": "cervical",
    "upper-arm": "cervical",
    "elbow": "cervical",
    "forearm": "cervical",
    "wrist-hand": "cervical",
    "rib-cage": "thoracic",
    "abdomen": "lumbar",
    "hip": "pelvis",
    "thigh": "lumbar",
    "knee": "lumbar",
    "lower-leg": "lumbar",
    "ankle-foot": "lumbar",
}
EXERCISES: dict[str, list[dict[str, Any]]] = {
    "spine": [
        {"name": "Bird dog", "sets": 3, "repetitions": 8, "notes": ""},
        {"name": "Chin tucks", "sets": 3, "repetitions": 10, "notes": ""},
        {"name": "Side plank", "sets": 3, "repetitions": 3, "notes": "Hold 20 s."},
    ],
    "upper": [
        {"name": "Resisted external rotation", "sets": 3, "repetitions": 12, "notes": "Light band."},
        {"name": "Scapular retraction", "sets": 3, "repetitions": 12, "notes": ""},
        {"name": "Wall slides", "sets": 2, "repetitions": 10, "notes": ""},
    ],
    "lower": [
        {"name": "Sit-to-stand", "sets": 3, "repetitions": 10, "notes": ""},
        {"name": "Calf raises", "sets": 3, "repetitions": 15, "notes": ""},
        {"name": "Clamshells", "sets": 3, "repetitions": 12, "notes": ""},
    ],
}
DECLINE_REASONS = (
    "No capacity for new patients this month; please send it to the discipline's inbox instead.",
    "Outside my scope for this presentation; the current plan already covers it.",
)
CANCEL_REASONS = (
    "Symptoms resolved before the first visit.",
    "The patient chose to postpone treatment.",
    "Sent to the wrong clinician; a new referral follows.",
)


@dataclass(frozen=True)
class _Team:
    lead: User
    members: tuple[User, ...]  # open members other than the lead

    def of(self, discipline: str) -> list[User]:
        return [u for u in self.members if u.practitioner.discipline == discipline]


def _team(context: _Context, patient: Patient) -> _Team | None:
    lead, members = None, []
    memberships = CareTeamMember.objects.active_on(context.today).filter(patient=patient).order_by("pk")
    by_practitioner = {u.practitioner.pk: u for u in context.users.values() if hasattr(u, "practitioner")}
    for member in memberships:
        user = by_practitioner.get(member.practitioner_id)
        if user is None:
            continue
        if member.role == "lead":
            lead = user
        else:
            members.append(user)
    if lead is None or lead.practitioner.discipline == Discipline.MASSAGE_THERAPY:
        return None
    return _Team(lead, tuple(members))


def _sites(conditions: Sequence[Condition]) -> list[str]:
    found: list[str] = []
    for condition in conditions:
        for code in condition.body_site_codes or ([condition.body_site] if condition.body_site else []):
            if code not in found:
                found.append(code)
    return found[:3] or ["lumbar"]


def _spinal(conditions: Sequence[Condition]) -> list[str]:
    found: list[str] = []
    for condition in conditions:
        region = condition.body_site if condition.body_site in SPINAL_REGIONS_FOR_CMT else None
        region = region or NEAREST_SPINE.get(condition.body_site, "")
        if region and region not in found:
            found.append(region)
    return found[:2] or ["lumbar"]


def _safe(
    patient: Patient, techniques: Sequence[str], sites: Sequence[str], pressure: str = ""
) -> tuple[list[str], list[str]]:
    """The techniques the safety engine does not contraindicate at `sites` and `pressure`, and the messages
    of the precautions it raises for them (asked exactly as the plan of care asks it)."""
    allowed, precautions = [], []
    for code in techniques:
        probe = Activity(techniques=[code], body_sites=list(sites), massage_pressure=pressure)
        findings = safety_check(patient=patient, activities=planned(probe))
        if any(f.severity == "contraindicated" for f in findings):
            continue
        allowed.append(code)
        precautions += [f.message for f in findings if f.severity == "precaution"]
    return allowed, list(dict.fromkeys(precautions))


def _massage_choice(
    patient: Patient, rng: random.Random, sites: Sequence[str]
) -> tuple[list[str], str, list[str]] | None:
    """Drawn massage techniques and pressure the engine allows here (lighter if it must); None if none."""
    wanted = rng.choice(MASSAGE_CHOICES)
    for pressure in (rng.choice(["moderate", "firm"]), "light"):
        techniques, precautions = _safe(patient, wanted, sites, pressure)
        if techniques and (pressure == "light" or not precautions):
            return techniques, pressure, precautions
    techniques, precautions = _safe(patient, ("massage-swedish",), sites, "light")
    return (techniques, "light", precautions) if techniques else None


def _override_reason(lead: User, precautions: Sequence[str]) -> str:
    if not precautions:
        return ""
    return (
        f"Reviewed by {lead.display_name}: {precautions[0]} Medication and history confirmed stable; "
        "proceed as ordered with light to moderate pressure and check in at each visit."
    )


def _generated(context: _Context, patient: Patient, index: int) -> None:
    """A drawn scenario for generated patient `index`: a referral in a drawn status, perhaps a plan."""
    rng = random.Random(f"{context.seed}/care/{index}")
    team = _team(context, patient)
    if team is None:
        return
    conditions = list(Condition.objects.filter(patient=patient).order_by("pk"))
    kinds = ["external-in", "external-out"]
    weights = [2.0, 1.0]
    if team.of(Discipline.MASSAGE_THERAPY):
        kinds += ["massage-order", "structural"]
        weights += [4.0, 1.5]
    kinds.append("none")
    weights.append(1.2)
    kind = rng.choices(kinds, weights)[0]
    status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
    if kind != "none":
        _generated_referral(context, patient, rng, team, conditions, kind, status)
    if rng.random() < 0.4 and conditions:
        _generated_plan(context, patient, rng, team, conditions)


def _generated_referral(
    context: _Context,
    patient: Patient,
    rng: random.Random,
    team: _Team,
    conditions: list[Condition],
    kind: str,
    status: str,
) -> None:
    lead = team.lead
    problem = rng.choice(conditions) if conditions else None
    about = problem.text if problem else "musculoskeletal pain"
    data: dict[str, Any] = {"kind": kind, "conditions": [problem.pk] if problem else []}
    override = ""
    if kind == "massage-order":
        lmt = rng.choice(team.of(Discipline.MASSAGE_THERAPY))
        sites = _sites([problem] if problem else [])
        choice = _massage_choice(patient, rng, sites)
        if choice is None:
            return  # massage is contraindicated for this patient: no order
        techniques, pressure, precautions = choice
        override = _override_reason(lead, precautions)
        to_inbox = rng.random() < 0.25
        data.update(
            recipient_practitioner=None if to_inbox else lmt.practitioner.pk,
            recipient_discipline=Discipline.MASSAGE_THERAPY if to_inbox else "",
            reason=f"Soft-tissue work for {about.lower()}.",
            techniques=techniques,
            body_sites=sites,
            pressure_limit=pressure,
            precautions="; ".join(precautions),
            session_count=rng.choice([4, 6, 8]),
            sessions_per_week=1,
            goals="Less pain and guarding; better tolerance of the exercise program.",
        )
        author, recipient = lead, lmt
    elif kind == "structural":
        lmt = rng.choice(team.of(Discipline.MASSAGE_THERAPY))
        data.update(
            recipient_practitioner=lead.practitioner.pk,
            reason=f"Pain not settling with massage ({about.lower()}); please assess.",
            findings=rng.choice(
                [
                    "Marked hypertonicity and guarding over the area; pain reproduced on active movement.",
                    "Reduced range of motion and tenderness over the joint line; swelling after sessions.",
                    "Radiating symptoms on pressure; possible nerve-root involvement.",
                ]
            ),
        )
        author, recipient = lmt, lead
    elif kind == "external-in":
        source = rng.choice([FAMILY_PHYSICIAN, FAMILY_PHYSICIAN, PHYSIATRIST])
        data.update(
            requester_contact=context.contacts[source].pk,
            recipient_practitioner=lead.practitioner.pk,
            reason=f"{about}: please evaluate and treat.",
        )
        author, recipient = lead, lead
        if status == ReferralStatus.CANCELLED:
            status = ReferralStatus.REJECTED  # an external provider's referral is declined, not cancelled
    else:  # external-out
        target = rng.choice([SPINE_SURGEON, PHYSIATRIST, SPORTS_ORTHOPEDIST])
        data.update(
            recipient_contact=context.contacts[target].pk,
            reason=f"{about}: not improving with conservative care; please advise.",
        )
        author, recipient = lead, lead  # the requester records an external provider's answers
    if status == ReferralStatus.COMPLETED and kind != "external-out" and rng.random() < 0.5:
        status = ReferralStatus.IN_PROGRESS  # keep the letters (one PDF each) few
    steps, gaps = _path(rng, status, author.username, recipient.username, about)
    start = _moment(context, rng.randint(4, 80), rng.randint(8, 17), rng.choice([0, 10, 20, 30, 40, 50]))
    if status == ReferralStatus.REQUESTED:
        overdue = rng.random() < 0.4
        days = rng.randint(7, 14) if overdue else rng.choice([0, 1])
        start = _moment(context, days, rng.randint(8, 17), rng.choice([0, 15, 30, 45]))
    if status == ReferralStatus.ACCEPTED:  # mostly waiting to be booked; a few overdue
        start = _moment(context, rng.randint(1, 9), rng.randint(8, 17), rng.choice([0, 15, 30, 45]))
    if status == ReferralStatus.DRAFT:
        start = _moment(context, rng.randint(0, 3), rng.randint(8, 17))
    _refer(
        context,
        patient,
        author=author.username,
        data=data,
        start=start,
        steps=[Step(a, by, gap, text) for (a, by, text), gap in zip(steps, gaps, strict=True)],
        override_reason=override,
    )


def _path(
    rng: random.Random, status: str, author: str, recipient: str, about: str
) -> tuple[list[tuple[str, str, dict[str, str]]], list[float]]:
    """The steps to `status` (action, username, text) and the hours before each."""
    steps: list[tuple[str, str, dict[str, str]]] = []
    gaps: list[float] = []
    for action in PATHS[status]:
        text: dict[str, str] = {}
        if action == "send":
            by, gap = author, rng.uniform(0.05, 1.5)
        elif action == "accept":
            by, gap = recipient, rng.lognormvariate(2.8, 0.9)  # median ~16 h, a long tail
        elif action == "schedule":
            by, gap = recipient, rng.lognormvariate(3.3, 0.8)  # median ~27 h
        elif action == "start":
            by, gap = recipient, rng.uniform(24, 24 * 8)
        elif action == "decline":
            by, gap = recipient, rng.lognormvariate(2.5, 0.8)
            text = {"reason": rng.choice(DECLINE_REASONS)}
        elif action == "cancel":
            by, gap = author, rng.uniform(24, 24 * 10)
            text = {"reason": rng.choice(CANCEL_REASONS)}
        else:  # complete
            by, gap = recipient, rng.uniform(24 * 7, 24 * 30)
            text = {
                "report": f"Treated {about.lower()} over {rng.randint(4, 8)} visits as requested.",
                "outcome": f"Pain down from {rng.randint(6, 8)}/10 to {rng.randint(1, 3)}/10.",
                "recommendations": "Home program; review if symptoms return.",
            }
        steps.append((action, by, text))
        gaps.append(round(gap, 2))
    return steps, gaps


def _generated_plan(
    context: _Context, patient: Patient, rng: random.Random, team: _Team, conditions: list[Condition]
) -> None:
    lead = team.lead
    problem = conditions[0]
    status = rng.choices(["draft", "active", "completed"], [1.0, 2.5, 1.0])[0]
    start_on = context.today - datetime.timedelta(days=rng.randint(5, 60) if status != "completed" else 200)
    baseline = rng.randint(5, 8)
    plan = _plan(
        context,
        patient,
        author=lead.username,
        data={
            "title": f"{problem.text[:150]}: plan of care",
            "period_start_on": start_on,
            "problems": [c.pk for c in conditions[:2]],
        },
        goals=[
            {
                "description": f"Pain (NPRS) from {baseline} to {baseline - 3}",
                "measure": "nprs",
                "baseline_value": baseline,
                "target_value": baseline - 3,
                "due_on": start_on + datetime.timedelta(weeks=6),
                "lifecycle_status": "active" if status != "completed" else "completed",
            }
        ],
    )
    if lead.practitioner.discipline == Discipline.CHIROPRACTIC:
        sites = _spinal(conditions[:2])
        techniques, precautions = _safe(patient, ["chiro-hvla"], sites)
        if precautions or not techniques:  # e.g. on an anticoagulant: instrument-assisted instead
            techniques = _safe(patient, ["chiro-activator"], sites)[0]
        if techniques:
            _activity(
                context,
                plan,
                by=lead.username,
                data={
                    "kind": ActivityKind.CHIROPRACTIC_ADJUSTMENT,
                    "techniques": techniques,
                    "body_sites": sites,
                    "visits_per_week": rng.choice([1, 2]),
                    "weeks": 6,
                    "visit_minutes": 20,
                },
            )
    else:
        sites = _sites(conditions[:1])
        region = "spine" if sites[0] in SPINAL_REGIONS_FOR_CMT + ("head",) else "lower"
        if any(s.startswith(("shoulder", "upper-arm", "elbow", "forearm", "wrist")) for s in sites):
            region = "upper"
        _activity(
            context,
            plan,
            by=lead.username,
            data={
                "kind": ActivityKind.THERAPEUTIC_EXERCISE,
                "techniques": ["pt-therapeutic-exercise"],
                "body_sites": sites,
                "exercises": EXERCISES[region],
                "visits_per_week": 2,
                "weeks": 6,
                "visit_minutes": 45,
            },
        )
    lmts = team.of(Discipline.MASSAGE_THERAPY)
    if lmts and status != "completed":
        sites = _sites(conditions[:1])
        pressure = "moderate"
        techniques, precautions = _safe(patient, ["massage-swedish"], sites, pressure)
        if precautions or not techniques:
            pressure = "light"
            techniques, precautions = _safe(patient, ["massage-swedish"], sites, pressure)
        if techniques:
            massage = _activity(
                context,
                plan,
                by=lead.username,
                data={
                    "kind": ActivityKind.MEDICAL_MASSAGE,
                    "techniques": techniques,
                    "body_sites": sites,
                    "massage_pressure": pressure,
                    "visits_per_week": 1,
                    "weeks": 6,
                    "visit_minutes": 45,
                    "preferred_practitioner": lmts[0].practitioner.pk,
                },
                override_reason=_override_reason(lead, precautions),
            )
            if rng.random() < 0.7:
                activity_approve(actor=lead, activity=massage)
    if status in ("active", "completed"):
        careplan_activate(actor=lead, plan=plan)
    if status == "completed":
        careplan_update(
            actor=lead,
            plan=plan,
            data={"status": "completed", "period_end_on": start_on + datetime.timedelta(weeks=6)},
        )
