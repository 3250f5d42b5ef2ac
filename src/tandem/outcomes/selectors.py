"""Reads of administered measures: the latest scores for the chart, and which measures are due or overdue.

Due measures follow each plan's MeasureSchedule (DESIGN.md §1 step 6):
- baseline: due on the day the plan starts (period_start_on) until a baseline response is recorded;
- every N visits: one follow-up per N finished encounters of the plan (charting Encounter status finished,
  linked to the plan through its activity), due on the day the Nth, 2Nth... visit ended;
- every N weeks: one follow-up per N weeks since the plan started, due on start + N, 2N... weeks, while the
  plan runs;
- discharge: due when the plan completes (period_end_on, else the day it was completed) until recorded.
A measure is overdue once its due day has passed. A corrected response still counts as taken (its correction
replaces it, not the fact that it was taken).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import QuerySet
from django.utils import timezone

from tandem.careplans.models import CarePlan, CarePlanStatus
from tandem.charting.models import Encounter, EncounterStatus
from tandem.outcomes.models import MeasureRequest, MeasureSchedule, Response, Score, Timepoint
from tandem.outcomes.scoring import INSTRUMENTS, McidCheck, ScoringError, for_display, mcid_check
from tandem.patients.models import Patient

RUNNING = (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)


@dataclass(frozen=True)
class DueMeasure:
    plan: CarePlan
    instrument: str
    timepoint: str
    due_on: datetime.date
    overdue: bool

    @property
    def instrument_name(self) -> str:
        return INSTRUMENTS[self.instrument].name


@dataclass(frozen=True)
class MeasureSummary:
    """One instrument on the chart: its latest valid score against the baseline (the earliest valid score,
    a baseline-timepoint one first)."""

    instrument: str
    name: str
    unit: str
    latest: Score
    baseline: Score | None
    change: Fraction | None  # positive = better, in points
    mcid: McidCheck | None
    count: int

    @property
    def latest_display(self) -> str:
        return for_display(self.latest.value)

    @property
    def change_display(self) -> str:
        if self.change is None:
            return ""
        sign = "+" if self.change > 0 else ""
        return sign + for_display(self.change)


def current_responses(patient: Patient) -> QuerySet[Response]:
    """The patient's responses that no correction replaced."""
    return Response.objects.filter(patient=patient, replaced_by__isnull=True)


def scores_for_patient(patient: Patient) -> QuerySet[Score]:
    """Scores of the current (not replaced) responses, oldest first."""
    return (
        Score.objects.filter(patient=patient, response__replaced_by__isnull=True)
        .select_related("response__entered_by")
        .order_by("effective_at", "id")
    )


def measure_summaries(patient: Patient) -> list[MeasureSummary]:
    """Per instrument the patient answered: latest valid score, band, change from baseline, MCID reached."""
    by_instrument: dict[str, list[Score]] = {}
    for found in scores_for_patient(patient):
        if found.valid:
            by_instrument.setdefault(found.instrument, []).append(found)
    summaries: list[MeasureSummary] = []
    for code in INSTRUMENTS:
        scores = by_instrument.get(code)
        if not scores:
            continue
        latest = scores[-1]
        baselines = [s for s in scores if s.timepoint == Timepoint.BASELINE] or scores
        baseline = baselines[0] if baselines[0].pk != latest.pk else None
        change, check = None, None
        if baseline is not None:
            try:
                check = mcid_check(code, baseline.value, latest.value)
                change = check.improvement
            except (ScoringError, ValueError):
                check = None
        definition = INSTRUMENTS[code]
        summaries.append(
            MeasureSummary(
                code, definition.name, definition.unit, latest, baseline, change, check, len(scores)
            )
        )
    return summaries


def _finished_visit_days(plan: CarePlan) -> list[datetime.date]:
    ends = (
        Encounter.objects.filter(activity__plan=plan, status=EncounterStatus.FINISHED)
        .order_by("ended_at", "id")
        .values_list("ended_at", flat=True)
    )
    return [timezone.localdate(end) for end in ends if end is not None]


def _taken(plan: CarePlan) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for code, point in Response.objects.filter(plan=plan, replaces__isnull=True).values_list(
        "instrument", "timepoint"
    ):
        counts[(code, point)] = counts.get((code, point), 0) + 1
    return counts


def measures_due_for_plan(
    plan: CarePlan, schedule: MeasureSchedule, today: datetime.date | None = None
) -> list[DueMeasure]:
    """What the plan's schedule asks for and is not yet taken, each with its due day (module docstring)."""
    today = today or timezone.localdate()
    if plan.status not in (*RUNNING, CarePlanStatus.COMPLETED) or plan.period_start_on > today:
        return []
    taken = _taken(plan)
    wanted: list[tuple[str, str, datetime.date]] = []
    for code in schedule.instruments:
        if schedule.at_baseline and not taken.get((code, Timepoint.BASELINE)):
            wanted.append((code, Timepoint.BASELINE, plan.period_start_on))
        done = taken.get((code, Timepoint.FOLLOW_UP), 0)
        follow_ups: list[datetime.date] = []
        if plan.status in RUNNING and schedule.every_visits:
            follow_ups = _finished_visit_days(plan)[schedule.every_visits - 1 :: schedule.every_visits]
        elif plan.status in RUNNING and schedule.every_weeks:
            step = datetime.timedelta(weeks=schedule.every_weeks)
            on = plan.period_start_on + step
            while on <= today:
                follow_ups.append(on)
                on += step
        if len(follow_ups) > done:
            wanted.append((code, Timepoint.FOLLOW_UP, follow_ups[done]))
        if (
            schedule.at_discharge
            and plan.status == CarePlanStatus.COMPLETED
            and not taken.get((code, Timepoint.DISCHARGE))
        ):
            wanted.append(
                (code, Timepoint.DISCHARGE, plan.period_end_on or timezone.localdate(plan.updated_at))
            )
    return [DueMeasure(plan, code, point, on, on < today) for code, point, on in wanted]


def measures_due_for_patient(patient: Patient, today: datetime.date | None = None) -> list[DueMeasure]:
    """Due measures of every scheduled plan of the patient, earliest first."""
    schedules = MeasureSchedule.objects.filter(plan__patient=patient).select_related("plan__patient")
    due = [d for s in schedules for d in measures_due_for_plan(s.plan, s, today)]
    return sorted(due, key=lambda d: (d.due_on, d.instrument, d.timepoint))


def measures_overdue(organization_id: int, today: datetime.date | None = None) -> list[DueMeasure]:
    """Every overdue measure of the clinic's scheduled plans (for reminders and worklists)."""
    schedules = MeasureSchedule.objects.filter(
        plan__organization_id=organization_id,
        plan__status__in=[*RUNNING, CarePlanStatus.COMPLETED],
    ).select_related("plan__patient")
    due = [d for s in schedules for d in measures_due_for_plan(s.plan, s, today) if d.overdue]
    return sorted(due, key=lambda d: (d.due_on, d.plan.patient_id, d.instrument))


def open_link_for(due: DueMeasure) -> MeasureRequest | None:
    """An unexpired, unused link already sent for this due measure, if any."""
    return (
        MeasureRequest.objects.filter(
            plan=due.plan,
            instrument=due.instrument,
            timepoint=due.timepoint,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
