"""Template tags of outcome measures.

`{% load outcomes_tags %}{% outcomes_chart_panel patient %}` on the patient chart: each instrument's latest
score with its band, the change from baseline and whether the MCID is reached, below it the instrument's
progress chart (MCID band, the line of the plan goal measured by it, the goal's achievement status), the
overdue and due measures, and the actions (send a link, fill on this tablet, enter a paper form). Scores are
clinical content (shown to those who may see the chart); the front desk sees only the actions that send the
form.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.careplans.models import CarePlan, CarePlanStatus
from tandem.outcomes.access import can_see_measures, can_send_measures
from tandem.outcomes.goals import goal_for, measure_chart_svg
from tandem.outcomes.models import MeasureSchedule, Timepoint
from tandem.outcomes.scoring import INSTRUMENTS
from tandem.outcomes.selectors import (
    MeasureSummary,
    measure_summaries,
    measures_due_for_patient,
    scores_for_patient,
)
from tandem.outcomes.services import MEASURABLE_PLAN_STATUSES
from tandem.patients.models import Patient

register = template.Library()


@register.inclusion_tag("outcomes/_chart_panel.html", takes_context=True)
def outcomes_chart_panel(context: dict[str, Any], patient: Patient, user: Any = None) -> dict[str, Any]:
    if user is None:
        user = context["request"].user
    if not isinstance(user, User) or not can_send_measures(user, patient):
        return {"visible": False, "patient": patient}
    clinical = can_see_measures(user, patient)
    panel: dict[str, Any] = {
        "visible": True,
        "clinical": clinical,
        "patient": patient,
        "instruments": [(code, d.name) for code, d in INSTRUMENTS.items()],
        "timepoints": Timepoint.choices,
        "plans": list(
            CarePlan.objects.filter(patient=patient, status__in=MEASURABLE_PLAN_STATUSES).order_by("-id")
        ),
    }
    if clinical:
        audit_read(
            actor=user, object_type="Observation", object_id="*", patient_id=patient.pk, detail="chart panel"
        )
        due = measures_due_for_patient(patient)
        open_plans = CarePlan.objects.filter(
            patient=patient, status__in=[*MEASURABLE_PLAN_STATUSES, CarePlanStatus.DRAFT]
        ).order_by("-id")
        schedules = {s.plan_id: s for s in MeasureSchedule.objects.filter(plan__patient=patient)}
        summaries = measure_summaries(patient)
        panel.update(
            schedule_plans=[(p, schedules.get(p.pk)) for p in open_plans],
            summaries=summaries,
            progress=_progress(patient, summaries),
            overdue=[d for d in due if d.overdue],
            due=[d for d in due if not d.overdue],
        )
    return panel


# A compact chart: the panel shows one per instrument.
PANEL_CHART = {"width": 560, "height": 210}


def _progress(patient: Patient, summaries: list[MeasureSummary]) -> list[dict[str, Any]]:
    """Per summary: the instrument's chart (SVG built and escaped by tandem.outcomes.charts) and its goal."""
    by_code: dict[str, list[Any]] = {}
    for found in scores_for_patient(patient):
        if found.valid:
            by_code.setdefault(found.instrument, []).append(found)
    rows: list[dict[str, Any]] = []
    for summary in summaries:
        goal = goal_for(patient, summary.instrument)
        baseline = summary.baseline.value if summary.baseline is not None else None
        svg = measure_chart_svg(
            summary.instrument, by_code.get(summary.instrument, []), goal, baseline=baseline, **PANEL_CHART
        )
        rows.append(
            {
                "summary": summary,
                "chart": mark_safe(svg),  # noqa: S308 - built by charts.py, every text in it escaped
                "goal": goal,
                "at_least": INSTRUMENTS[summary.instrument].direction == "higher-is-better",
            }
        )
    return rows
