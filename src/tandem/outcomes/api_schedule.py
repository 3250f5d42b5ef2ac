"""Measure schedules under /api/v1/ (joined to the outcomes router in api.py):

- GET /careplans/{plan_id}/measure-schedule: which instruments the plan measures and when (baseline, every N
  visits or weeks, discharge); `configured` is false, with the form's defaults, before one is set.
- PUT /careplans/{plan_id}/measure-schedule: set it, through outcomes.services.schedule_set (the same rules,
  messages and audit as the chart panel's form).
- GET /patients/{patient_id}/measures/due: the measures due or overdue on the patient's scheduled plans
  (outcomes.selectors.measures_due_for_patient).

Clinical content: the clinicians who may see the patient's chart; anyone else gets 404. Reads are audited.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import StrictBool, StrictInt

from tandem.audit.services import audit_read
from tandem.careplans.models import CarePlan
from tandem.core.http import request_user
from tandem.outcomes.access import access_patient_measures, access_plan_measures
from tandem.outcomes.models import MeasureSchedule
from tandem.outcomes.selectors import measures_due_for_patient
from tandem.outcomes.services import schedule_set

router = Router(tags=["outcomes"])


# Every field has a default, so an empty body reaches the access check (404 for a plan one may not see)
# before validation; the service then names what is wrong, as it does for the form.
class ScheduleIn(Schema):
    instruments: list[str] = Field(default_factory=list, max_length=20)
    at_baseline: StrictBool = True
    every_visits: StrictInt | None = None
    every_weeks: StrictInt | None = None
    at_discharge: StrictBool = True


class ScheduleOut(Schema):
    plan: int
    configured: bool
    instruments: list[str]
    at_baseline: bool
    every_visits: int | None
    every_weeks: int | None
    at_discharge: bool
    updated_at: datetime.datetime | None
    updated_by: str | None


class DueOut(Schema):
    plan: int
    plan_title: str
    instrument: str
    instrument_name: str
    timepoint: str
    due_on: datetime.date
    overdue: bool


def _schedule_out(plan: CarePlan, schedule: MeasureSchedule | None) -> dict[str, Any]:
    configured = schedule is not None
    shown = schedule if schedule is not None else MeasureSchedule(plan=plan)  # the model's defaults, unsaved
    return {
        "plan": plan.pk,
        "configured": configured,
        "instruments": list(shown.instruments),
        "at_baseline": shown.at_baseline,
        "every_visits": shown.every_visits,
        "every_weeks": shown.every_weeks,
        "at_discharge": shown.at_discharge,
        "updated_at": shown.updated_at if configured else None,
        "updated_by": shown.updated_by.username if configured else None,
    }


@router.get("/careplans/{plan_id}/measure-schedule", response=ScheduleOut)
def measure_schedule_read(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """The plan's measure schedule (audited read)."""
    user = request_user(request)
    plan = access_plan_measures(user, plan_id, object_type="MeasureSchedule")
    schedule = MeasureSchedule.objects.filter(plan=plan).select_related("updated_by").first()
    audit_read(
        actor=user,
        object_type="MeasureSchedule",
        object_id=schedule.pk if schedule is not None else "*",
        patient_id=plan.patient_id,
        detail=f"api, plan {plan.pk}",
    )
    return _schedule_out(plan, schedule)


@router.put("/careplans/{plan_id}/measure-schedule", response=ScheduleOut)
def measure_schedule_put(request: HttpRequest, plan_id: int, payload: ScheduleIn) -> dict[str, Any]:
    """Set the plan's measure schedule (created or replaced, audited by the service); 422 naming the field."""
    user = request_user(request)
    plan = access_plan_measures(user, plan_id, object_type="MeasureSchedule")
    schedule = schedule_set(
        actor=user,
        plan=plan,
        instruments=payload.instruments,
        at_baseline=payload.at_baseline,
        every_visits=payload.every_visits,
        every_weeks=payload.every_weeks,
        at_discharge=payload.at_discharge,
    )
    return _schedule_out(plan, schedule)


@router.get("/patients/{patient_id}/measures/due", response=list[DueOut])
def measures_due(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """Measures due or overdue on the patient's scheduled plans, earliest first (audited read)."""
    user = request_user(request)
    patient = access_patient_measures(user, patient_id)
    audit_read(
        actor=user, object_type="MeasureSchedule", object_id="*", patient_id=patient.pk, detail="api, due"
    )
    return [
        {
            "plan": due.plan.pk,
            "plan_title": due.plan.title,
            "instrument": due.instrument,
            "instrument_name": due.instrument_name,
            "timepoint": due.timepoint,
            "due_on": due.due_on,
            "overdue": due.overdue,
        }
        for due in measures_due_for_patient(patient)
    ]
