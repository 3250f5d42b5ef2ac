"""The demo clinic's outcome measures (issue #6 item 5): questionnaires answered along each plan's past
visits, with trajectories that depend on the care received and, with `tandem demo --effect
INSTRUMENT:POINTS`, an injected extra effect of concurrent care that the clinic's evidence
(outcomes.episodes) should recover.

Which measures: for every plan with finished visits, the instrument of its problem (ODI for low back, NDI for
neck, QuickDASH for upper limb, LEFS for lower limb) and the NPRS for all: a baseline at the first finished
visit, a follow-up at the first visit on or after each 2-week mark and one at the last past visit. Each is
recorded through outcomes.services.response_record (a paper form entered by the plan's supervising
clinician, authored at the visit's start).

The trajectory of an episode (profiles from outcomes.synthetic.PROFILES, on the instrument's own scale):
- baseline ~ Normal(profile mean, sd), kept in range;
- change at the last follow-up = mean change x dose(visits) + slope x (baseline - mean) + effect + noise,
  where dose(visits) = 1 - exp(-visits / 3) saturates after a handful of visits (a patient with 2 visits
  improves less than one with 8), the slope is the regression to the mean and noise ~ Normal(0, profile
  noise sd);
- the injected effect: POINTS is the extra change of "all three disciplines" over one discipline; two
  disciplines get half of it; one discipline none. Without --effect there is none at all, so the
  combinations differ only through their visits and chance;
- intermediate follow-ups follow a concave path towards the last one, with a little noise of their own.
Answers are generated item by item so that the instrument's own scoring lands on the nearest reachable score
(the scores are linear in the item sum when every item is answered: the sum is spread over the items at
random). Everything is seeded per episode (the patient's MRN and the plan's place among the patient's plans):
the same seed gives the same answers, whatever the day.

The demo's own plans with past visits are too few (about a dozen) for a confidence interval to exclude 0, so
with --effect the
demo also imports an *archive*: `ARCHIVE_PER_COHORT` completed plans per cohort (one discipline, dc+lmt,
dc+pt, pt+lmt, all three) for each instrument given, with their fulfilled appointments and finished visits,
in the year before the demo's booked weeks. Like the patients, they are bulk-written (the records of past
years a clinic brings along); their measures go through response_record. Visit counts in the archive are
drawn the same way for every combination, so without an injected effect (e.g. --effect odi:0, or the NPRS
that every archived episode also records) the combinations do not differ. The one-discipline cohort is split
evenly between dc, pt and lmt. The archive cycles through the patients whose condition matches the instrument,
so in a small demo one patient has several earlier episodes; the analysis treats episodes as independent.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Discipline, Organization, Practitioner, Room
from tandem.careplans.models import KIND_OF_DISCIPLINE, Activity, ActivityStatus, CarePlan, CarePlanStatus
from tandem.charting.models import Encounter, EncounterStatus
from tandem.demo.specs import ProgressStart
from tandem.outcomes.episodes import GROUP_OF_SITE
from tandem.outcomes.models import Response, ResponseSource, Timepoint
from tandem.outcomes.scoring import INSTRUMENTS, score
from tandem.outcomes.services import response_record
from tandem.outcomes.synthetic import PROFILES
from tandem.patients.models import CareTeamMember, CareTeamRole, Condition, Patient
from tandem.scheduling.models import Appointment, AppointmentStatus

INSTRUMENT_OF_GROUP = {"lumbar": "odi", "cervical": "ndi", "upper-limb": "quickdash", "lower-limb": "lefs"}
MEASURED = (*INSTRUMENT_OF_GROUP.values(), "nprs")  # the instruments the demo records (and --effect accepts)
FOLLOW_UP_EVERY = datetime.timedelta(weeks=2)
DOSE_VISITS = 3.0
TAU_DAYS = 21.0
SHARE_OF_EFFECT = {1: 0.0, 2: 0.5, 3: 1.0}  # by the number of disciplines
ARCHIVE_PER_COHORT = 30
ARCHIVE_COHORTS: tuple[tuple[str, ...], ...] = (
    ("chiropractic",),
    ("physical-therapy",),
    ("massage-therapy",),
    ("chiropractic", "massage-therapy"),
    ("chiropractic", "physical-therapy"),
    ("physical-therapy", "massage-therapy"),
    ("chiropractic", "physical-therapy", "massage-therapy"),
)
ARCHIVE_TITLE = "Earlier episode of care (archive)"
VISIT_MINUTES = 45
ARCHIVED = "archived_plans"  # the count of archived plans of care, in the demo's result


@dataclass(frozen=True)
class Visit:
    at: datetime.datetime
    discipline: str


# --- Answers from a wanted score ----------------------------------------------------------------------------


def answers_for(code: str, target: float, rng: random.Random) -> list[int]:
    """Complete answers whose score (scoring.score) is the reachable score nearest `target`."""
    definition = INSTRUMENTS[code]
    items = definition.max_items
    low_score = score(code, [definition.item_min] * items).score
    high_score = score(code, [definition.item_max] * items).score
    assert low_score is not None and high_score is not None
    span = items * (definition.item_max - definition.item_min)
    # The score is linear in the item sum: invert it (higher_score may be below low_score for none here).
    extra = round((target - low_score) / (high_score - low_score) * span)
    extra = min(max(extra, 0), span)
    values = [definition.item_min] * items
    open_items = list(range(items))
    for _ in range(extra):
        index = rng.choice(open_items)
        values[index] += 1
        if values[index] == definition.item_max:
            open_items.remove(index)
    return values


# --- Trajectories ------------------------------------------------------------------------------------------


def trajectory(
    code: str,
    *,
    days: Sequence[int],
    visits: int,
    disciplines: int,
    effect: float,
    rng: random.Random,
) -> list[float]:
    """The wanted scores at `days` (0 first: the baseline), on the instrument's scale, before rounding."""
    profile = PROFILES[code]
    low, high = INSTRUMENTS[code].score_range
    baseline = min(max(rng.gauss(profile.baseline_mean, profile.baseline_sd), low), high)
    change = (
        profile.mean_change * (1 - math.exp(-visits / DOSE_VISITS))
        + profile.slope * (baseline - profile.baseline_mean)
        + SHARE_OF_EFFECT[disciplines] * effect
        + rng.gauss(0.0, profile.noise_sd)
    )
    wanted = [baseline]
    last = days[-1] if len(days) > 1 else 1
    for index, day in enumerate(days[1:], start=1):
        if index == len(days) - 1:
            value = baseline + change
        else:
            progress = (1 - math.exp(-day / TAU_DAYS)) / (1 - math.exp(-last / TAU_DAYS))
            value = baseline + change * progress + rng.gauss(0.0, profile.noise_sd / 3)
        wanted.append(min(max(value, low), high))
    return wanted


def measure_times(visits: Sequence[Visit]) -> list[datetime.datetime]:
    """Baseline at the first visit, a follow-up at the first visit on or after each 2-week mark, and the
    last visit."""
    times = [visits[0].at]
    mark = visits[0].at + FOLLOW_UP_EVERY
    for visit in visits[1:]:
        if visit.at >= mark:
            times.append(visit.at)
            while mark <= visit.at:
                mark += FOLLOW_UP_EVERY
    if len(visits) > 1 and times[-1] != visits[-1].at:
        times.append(visits[-1].at)
    return times


def instruments_of(sites: Sequence[str]) -> list[str]:
    groups = sorted({GROUP_OF_SITE.get(site, "") for site in sites} - {""})
    specific = [INSTRUMENT_OF_GROUP[g] for g in groups if g in INSTRUMENT_OF_GROUP][:1]
    return specific + ["nprs"]


# --- Loading -----------------------------------------------------------------------------------------------


def demo_outcomes_load(
    *,
    organization: Organization,
    seed: int,
    effects: Mapping[str, float] | None = None,
    progress: ProgressStart | None = None,
) -> Counter[str]:
    """Record the measures of every plan with finished visits that has none yet; with `effects`, first import
    the archive of earlier episodes for those instruments. Safe to run again: measured plans are skipped."""
    effects = dict(effects or {})
    counts: Counter[str] = Counter()
    if effects:
        counts.update(_archive(organization, seed, effects, progress))
    measured = set(
        Response.objects.filter(plan__organization=organization).values_list("plan_id", flat=True).distinct()
    )
    plans = {
        p.pk: p
        for p in CarePlan.objects.filter(
            organization=organization, status__in=(CarePlanStatus.ACTIVE, CarePlanStatus.COMPLETED)
        )
        .exclude(pk__in=measured)
        .select_related("patient", "supervising_practitioner__user")
    }
    visits: dict[int, list[Visit]] = defaultdict(list)
    for plan_id, started_at, discipline in (
        Encounter.objects.filter(activity__plan_id__in=list(plans), status=EncounterStatus.FINISHED)
        .order_by("started_at", "pk")
        .values_list("activity__plan_id", "started_at", "discipline")
    ):
        visits[plan_id].append(Visit(started_at, discipline))
    sites: dict[int, list[str]] = defaultdict(list)
    for plan_id, site in CarePlan.problems.through.objects.filter(careplan_id__in=list(visits)).values_list(
        "careplan_id", "condition__body_site"
    ):
        sites[plan_id].append(site)
    for plan_id in list(visits):
        if not sites[plan_id]:  # a plan without problems listed: the patient's conditions
            sites[plan_id] = list(
                Condition.objects.filter(patient_id=plans[plan_id].patient_id).values_list(
                    "body_site", flat=True
                )
            )
    # Each plan's place among its patient's plans keys its random draws: the same on any day the demo is
    # loaded (visit times move with today), so the demo's evidence does not change from day to day.
    ordinals: dict[int, int] = {}
    so_far: Counter[int] = Counter()
    for plan_id, patient_id in (
        CarePlan.objects.filter(organization=organization)
        .order_by("patient_id", "period_start_on", "pk")
        .values_list("pk", "patient_id")
    ):
        ordinals[plan_id] = so_far[patient_id]
        so_far[patient_id] += 1
    advance = progress(len(visits), "plans measured") if progress and visits else None
    for plan_id in sorted(visits):
        plan = plans[plan_id]
        key = f"{seed}:outcome:{plan.patient.mrn}:{ordinals[plan_id]}"
        counts.update(_measure(plan, visits[plan_id], sites[plan_id], key, effects))
        if advance:
            advance(1)
    return counts


def _measure(
    plan: CarePlan, visits: list[Visit], sites: Sequence[str], key: str, effects: Mapping[str, float]
) -> Counter[str]:
    counts: Counter[str] = Counter()
    actor = plan.supervising_practitioner.user
    times = measure_times(visits)
    disciplines = len({v.discipline for v in visits})
    for code in instruments_of(sites):
        rng = random.Random(f"{key}:{code}")
        days = [(t - times[0]).days for t in times]
        wanted = trajectory(
            code,
            days=days,
            visits=len(visits),
            disciplines=disciplines,
            effect=effects.get(code, 0.0),
            rng=rng,
        )
        for index, (moment, target) in enumerate(zip(times, wanted, strict=True)):
            try:
                response_record(
                    actor=actor,
                    patient=plan.patient,
                    instrument_code=code,
                    source=ResponseSource.PAPER,
                    answers=answers_for(code, target, rng),
                    plan=plan,
                    timepoint=Timepoint.BASELINE if index == 0 else Timepoint.FOLLOW_UP,
                    authored_at=moment,
                )
                counts["outcome responses"] += 1
            except ValidationError as exc:
                counts[f"outcome responses refused: {'; '.join(exc.messages)[:80]}"] += 1
    return counts


# --- The archive of earlier episodes (only with --effect) --------------------------------------------------


def _archive(
    organization: Organization, seed: int, effects: Mapping[str, float], progress: ProgressStart | None
) -> Counter[str]:
    counts: Counter[str] = Counter()
    if CarePlan.objects.filter(organization=organization, title__startswith=ARCHIVE_TITLE).exists():
        return counts  # imported by an earlier run
    first = (
        Appointment.objects.filter(organization=organization)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    ).first()
    end = timezone.localdate(first) if first else timezone.localdate() - datetime.timedelta(days=90)
    end -= datetime.timedelta(days=7)
    start = end - datetime.timedelta(weeks=52)
    practitioners: dict[str, list[Practitioner]] = defaultdict(list)
    for practitioner in Practitioner.objects.filter(user__organization=organization).select_related("user"):
        practitioners[practitioner.discipline].append(practitioner)
    if any(not practitioners[d] for d in Discipline.values):
        return counts
    rooms = {
        p.pk: Room.objects.filter(location__in=p.locations.all()).order_by("pk").first()
        for group in practitioners.values()
        for p in group
    }
    leads = {
        m.patient_id: m.practitioner
        for m in CareTeamMember.objects.filter(
            patient__organization=organization, role=CareTeamRole.LEAD, ended_on__isnull=True
        ).select_related("practitioner__user")
    }
    by_instrument: dict[str, list[tuple[Patient, list[int]]]] = defaultdict(list)
    conditions: dict[int, list[Condition]] = defaultdict(list)
    for condition in Condition.objects.filter(patient__organization=organization, patient_id__in=list(leads)):
        conditions[condition.patient_id].append(condition)
    patients = Patient.objects.in_bulk(list(conditions))
    for patient_id in sorted(conditions, key=lambda pk: patients[pk].mrn):
        for code in instruments_of([c.body_site for c in conditions[patient_id]]):
            by_instrument[code].append((patients[patient_id], [c.pk for c in conditions[patient_id]]))
    taken: set[tuple[datetime.date, int]] = set()  # one archive visit per slot: never double-booked
    rng = random.Random(f"{seed}:archive")
    sizes = [ARCHIVE_PER_COHORT // 3 if len(c) == 1 else ARCHIVE_PER_COHORT for c in ARCHIVE_COHORTS]
    planned = sum(sizes) * sum(1 for code in effects if by_instrument.get(code))
    advance = progress(planned, "archived plans") if progress and planned else None
    for code in sorted(effects):
        candidates = by_instrument.get(code, [])
        if not candidates:
            continue
        serial = 0
        for cohort, size in zip(ARCHIVE_COHORTS, sizes, strict=True):
            for _ in range(size):
                patient, problem_ids = candidates[serial % len(candidates)]
                serial += 1
                with transaction.atomic():
                    _archive_episode(
                        organization,
                        patient,
                        problem_ids,
                        leads[patient.pk],
                        cohort,
                        practitioners,
                        rooms,
                        start,
                        rng,
                        taken,
                    )
                counts[ARCHIVED] += 1
                if advance:
                    advance(1)
    return counts


def _archive_episode(
    organization: Organization,
    patient: Patient,
    problem_ids: list[int],
    lead: Practitioner,
    cohort: tuple[str, ...],
    practitioners: Mapping[str, list[Practitioner]],
    rooms: Mapping[int, Room | None],
    start: datetime.date,
    rng: random.Random,
    taken: set[tuple[datetime.date, int]],
) -> None:
    began = start + datetime.timedelta(days=rng.randrange(0, 270))
    visit_count = rng.randint(4, 12)  # the same for every combination
    weeks = rng.randint(4, 8)
    plan = CarePlan.objects.create(
        organization=organization,
        patient=patient,
        title=f"{ARCHIVE_TITLE} {began:%b %Y}",
        status=CarePlanStatus.COMPLETED,
        supervising_practitioner=lead,
        period_start_on=began,
        period_end_on=began + datetime.timedelta(weeks=weeks),
        created_by=lead.user,
    )
    plan.problems.set(problem_ids)
    activities = {
        d: Activity.objects.create(
            plan=plan,
            discipline=d,
            kind=KIND_OF_DISCIPLINE[d],
            visits_per_week=max(1, math.ceil(visit_count / weeks / len(cohort))),
            weeks=weeks,
            visit_minutes=VISIT_MINUTES,
            status=ActivityStatus.COMPLETED,
            created_by=lead.user,
        )
        for d in cohort
    }
    zone = timezone.get_current_timezone()
    appointments: list[Appointment] = []
    for index in range(visit_count):
        discipline = cohort[index % len(cohort)]
        practitioner = practitioners[discipline][rng.randrange(len(practitioners[discipline]))]
        room = rooms[practitioner.pk]
        if room is None:
            continue
        day = began + datetime.timedelta(days=round(index * weeks * 7 / visit_count))
        while day.weekday() >= 5 or all((day, hour) in taken for hour in range(8, 18)):
            day += datetime.timedelta(days=1)
        hour = next(h for h in range(8, 18) if (day, h) not in taken)
        taken.add((day, hour))
        starts = datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)
        appointments.append(
            Appointment(
                organization=organization,
                location=room.location,
                patient=patient,
                practitioner=practitioner,
                room=room,
                discipline=discipline,
                activity=activities[discipline],
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=VISIT_MINUTES),
                status=AppointmentStatus.FULFILLED,
                arrived_at=starts - datetime.timedelta(minutes=5),
                created_by=lead.user,
            )
        )
    for appointment in appointments:
        appointment.save()  # one at a time: the database checks each against double-booking
    Encounter.objects.bulk_create(
        [
            Encounter(
                organization=organization,
                appointment=a,
                patient=patient,
                practitioner=a.practitioner,
                discipline=a.discipline,
                activity=a.activity,
                status=EncounterStatus.FINISHED,
                started_at=a.starts_at,
                ended_at=a.ends_at,
                created_by=a.practitioner.user,
            )
            for a in appointments
        ]
    )
