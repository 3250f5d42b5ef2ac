"""Goals follow the scores: each plan goal whose measure is an instrument gets its FHIR achievement status
(careplans.Goal.achievement_status) from tandem.outcomes.progress.goal_status.

- `goal_statuses_update(actor=, patient=, plan=)` runs inside response_record's transaction whenever a score
  is recorded: the goals of the response's plan (or, without a plan, of the patient's running plans) measured
  by that instrument.
- `goal_statuses_review(today=)` runs daily (`tandem review_goal_status`, huey): goals whose due date has
  passed are judged again, so a missed target becomes not-achieved without a new score.

The scores of a goal are the current (not replaced) valid scores of its instrument recorded against its plan,
plus those recorded without a plan during the plan's period. The baseline is the goal's recorded baseline
value when there is one (else the earliest score), the MCID the instrument's default in points or percent.
Goal values are written as clinicians speak (an NDI goal in percent, 0-100) while scores keep the instrument's
scale (the NDI raw 0-50): `goal_values` converts them once, with careplans.measures.goal_value_on_score_scale,
before they meet any score (goal status, the chart's goal line and MCID band, the report).
A goal without a target, or with cancelled / rejected / entered-in-error lifecycle, is left alone. Every
change of status is audited on the goal; an unchanged status writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.careplans.measures import goal_value_on_score_scale
from tandem.careplans.measures import instrument as goal_instrument
from tandem.careplans.models import CarePlan, CarePlanStatus, Goal, GoalLifecycleStatus
from tandem.outcomes.charts import ChartError, progress_chart_svg
from tandem.outcomes.models import Score
from tandem.outcomes.progress import ProgressError, goal_status
from tandem.outcomes.scoring import INSTRUMENTS, ScoringError, for_display
from tandem.patients.models import Patient

RUNNING_PLANS = (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)
JUDGED_PLANS = (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD, CarePlanStatus.COMPLETED)
SKIPPED_LIFECYCLES = (
    GoalLifecycleStatus.CANCELLED,
    GoalLifecycleStatus.REJECTED,
    GoalLifecycleStatus.ENTERED_IN_ERROR,
)


def goal_code(goal: Goal) -> str | None:
    """The instrument code of the goal's measure ("ODI " -> "odi"), None for a free-text measure."""
    found = goal_instrument(goal.measure)
    return found.code if found is not None and found.code in INSTRUMENTS else None


def goal_values(goal: Goal) -> tuple[Decimal | None, Decimal | None]:
    """The goal's (baseline, target) on the scale of its instrument's scores (an NDI goal of 20 % -> 10)."""
    return (
        goal_value_on_score_scale(goal.measure, goal.baseline_value),
        goal_value_on_score_scale(goal.measure, goal.target_value),
    )


def plan_scores(plan: CarePlan, code: str) -> QuerySet[Score]:
    """Current valid scores of `code` for the plan (see the module docstring), oldest first."""
    unplanned = Q(plan__isnull=True, effective_at__date__gte=plan.period_start_on)
    if plan.period_end_on is not None:
        unplanned &= Q(effective_at__date__lte=plan.period_end_on)
    return Score.objects.filter(
        Q(plan=plan) | unplanned,
        patient_id=plan.patient_id,
        instrument=code,
        valid=True,
        response__replaced_by__isnull=True,
    ).order_by("effective_at", "id")


def judge(goal: Goal, today: datetime.date) -> str | None:
    """The goal's achievement status now, or None when it cannot be judged from scores."""
    code = goal_code(goal)
    if code is None or goal.target_value is None or goal.lifecycle_status in SKIPPED_LIFECYCLES:
        return None
    definition = INSTRUMENTS[code]
    found = plan_scores(goal.plan, code)
    scores = [(timezone.localdate(s.effective_at), s.value) for s in found if s.value is not None]
    baseline, target = goal_values(goal)
    try:
        mcid = definition.mcid() if definition.default_mcid else None
        return goal_status(
            target,
            goal.direction or definition.direction,
            goal.due_on,
            scores,
            today,
            mcid,
            baseline=baseline,
        )
    except (ProgressError, ScoringError):
        # A goal the scores cannot judge (e.g. a target on another scale) keeps its status.
        return None


def _apply(goal: Goal, status: str, actor: User | None, why: str) -> bool:
    if goal.achievement_status == status:
        return False
    before = goal.achievement_status or "none"
    goal.achievement_status = status
    goal.save(update_fields=["achievement_status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="Goal",
        object_id=goal.pk,
        patient_id=goal.plan.patient_id,
        detail=f"achievement {before} -> {status} ({why})",
    )
    return True


def goal_statuses_update(
    *,
    actor: User | None,
    patient: Patient,
    code: str,
    plan: CarePlan | None = None,
    today: datetime.date | None = None,
) -> list[Goal]:
    """Judge again the goals measured by `code` of `plan` (or of the patient's running plans) after a score;
    answers the goals whose status changed. Call it inside the transaction that wrote the score."""
    today = today or timezone.localdate()
    plans = (
        [plan]
        if plan is not None
        else list(CarePlan.objects.filter(patient=patient, status__in=RUNNING_PLANS))
    )
    changed: list[Goal] = []
    for each in plans:
        for goal in each.goals.select_related("plan").order_by("id"):
            if goal_code(goal) != code:
                continue
            status = judge(goal, today)
            if status is not None and _apply(goal, status, actor, f"{code} score recorded"):
                changed.append(goal)
    return changed


def goal_statuses_review(*, today: datetime.date | None = None) -> list[Goal]:
    """Daily: goals of running or completed plans whose due date has passed and that are not yet settled
    (achieved or not-achieved) are judged again; answers the goals whose status changed."""
    today = today or timezone.localdate()
    due = (
        Goal.objects.filter(due_on__lt=today, plan__status__in=JUDGED_PLANS, target_value__isnull=False)
        .exclude(achievement_status__in=["achieved", "not-achieved"])
        .exclude(lifecycle_status__in=SKIPPED_LIFECYCLES)
        .select_related("plan")
        .order_by("id")
    )
    changed: list[Goal] = []
    for goal in due:
        with transaction.atomic():
            status = judge(goal, today)
            if status is not None and _apply(goal, status, None, f"due {goal.due_on.isoformat()} passed"):
                changed.append(goal)
    return changed


# Charts -----------------------------------------------------------------------------------------------------


def mcid_points(code: str, baseline: float | Decimal | None) -> Fraction | None:
    """The instrument's default MCID in points; a relative MCID (percent of the baseline) is converted with
    the baseline. None when there is none, or a relative one without a non-zero baseline."""
    definition = INSTRUMENTS[code]
    if not definition.default_mcid:
        return None
    mcid = definition.mcid()
    if mcid.points is not None:
        return mcid.points
    if mcid.relative_pct is not None and baseline:
        return abs(Fraction(str(baseline))) * mcid.relative_pct / 100
    return None


def goal_for(patient: Patient, code: str) -> Goal | None:
    """The goal measured by `code` in the patient's most recent judged plan (running plans first)."""
    goals = (
        Goal.objects.filter(plan__patient=patient, plan__status__in=JUDGED_PLANS)
        .exclude(lifecycle_status__in=SKIPPED_LIFECYCLES)
        .select_related("plan")
        .order_by("-plan__period_start_on", "-plan_id", "id")
    )
    found = [g for g in goals if goal_code(g) == code]
    running = [g for g in found if g.plan.status in RUNNING_PLANS]
    preferred = running or found
    return preferred[0] if preferred else None


def chart_title(code: str, goal: Goal | None = None) -> str:
    """The chart's title: the instrument's name, and, when its goals are written on another scale than its
    scores (NDI: goals in percent, scores raw 0-50), the scale drawn and the goal's value on it ("NDI, raw
    0-50 (goal 20 % = 10)")."""
    definition = INSTRUMENTS[code]
    measure = goal_instrument(code)
    if measure is None or measure.goal_units_per_score_point == 1:
        return definition.name
    low, high = definition.score_range
    title = f"{definition.name}, raw {low}–{high}"
    target = goal_values(goal)[1] if goal is not None else None
    if goal is not None and goal.target_value is not None and target is not None:
        written = for_display(Fraction(str(goal.target_value)), 2).rstrip("0").rstrip(".")
        on_scale = for_display(Fraction(str(target)), 2).rstrip("0").rstrip(".")
        title += f" (goal {written} {measure.unit} = {on_scale})"
    return title


def measure_chart_svg(
    code: str,
    scores: Sequence[Score],
    goal: Goal | None = None,
    *,
    baseline: float | Decimal | None = None,
    width: int = 640,
    height: int = 280,
) -> str:
    """One instrument's progress chart (charts.progress_chart_svg) from its scores, with the MCID band from
    the baseline (the goal's baseline value, else `baseline`, else the first score) and the goal line, all on
    the scores' scale; `baseline` is on that scale too. When the goal is written on another scale (NDI:
    percent) the title says which scale is drawn and what the goal is on it."""
    definition = INSTRUMENTS[code]
    points = [
        (timezone.localdate(s.effective_at), s.value, s.band or None) for s in scores if s.value is not None
    ]
    goal_baseline, target = goal_values(goal) if goal is not None else (None, None)
    base = goal_baseline if goal_baseline is not None else baseline
    if base is None and points:
        base = points[0][1]
    arguments = {
        "instrument_range": definition.score_range,
        "direction": definition.direction,
        "mcid": mcid_points(code, base),
        "baseline": base,
        "title": chart_title(code, goal),
        "unit": definition.unit,
        "width": width,
        "height": height,
    }
    try:
        return progress_chart_svg(points, goal=target, **arguments)  # type: ignore[arg-type]
    except ChartError:
        # A goal or baseline off the instrument's scale (typed before the measure was fixed): draw the
        # scores alone rather than no chart.
        arguments.update(mcid=None, baseline=None)
        return progress_chart_svg(points, goal=None, **arguments)  # type: ignore[arg-type]
