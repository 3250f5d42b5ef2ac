"""Care plans under /api/v1/: plans, goals, activities, approvals, sequence rules and versions.

Reads need clinical access to the patient (care team or break-the-glass); writes need a DC or PT on the care
team (access functions with edit=True); approving is checked by the service (the plan's supervisor only).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tandem.audit.services import audit_read
from tandem.careplans import services
from tandem.careplans.access import (
    access_activity,
    access_careplan,
    access_goal,
    access_sequence_rule,
)
from tandem.careplans.models import MAX_VERSION_NUMBER, CarePlan, PlanVersion
from tandem.careplans.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    ActivityRemove,
    CarePlanDetailOut,
    CarePlanIn,
    CarePlanOut,
    CarePlanPatch,
    CompareOut,
    GoalIn,
    GoalOut,
    GoalPatch,
    SequenceRuleIn,
    SequenceRuleOut,
    VersionDetailOut,
    VersionOut,
)
from tandem.careplans.selectors import careplan_list_for_patient, versions_of
from tandem.careplans.versioning import diff
from tandem.core.http import request_user as _user
from tandem.patients.access import access_patient

router = Router(tags=["careplans"])


def _read(
    request: HttpRequest, object_type: str, object_id: object, patient_id: int, detail: str = ""
) -> None:
    audit_read(
        actor=_user(request),
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        detail=detail,
    )


def _changes(payload: Schema) -> dict[str, Any]:
    return payload.dict(exclude_unset=True)


# Plans -------------------------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/careplans", response=list[CarePlanOut])
def careplan_list(request: HttpRequest, patient_id: int) -> list[CarePlan]:
    patient = access_patient(_user(request), patient_id)
    _read(request, "CarePlan", "*", patient.pk)
    return list(careplan_list_for_patient(patient).prefetch_related("problems"))


@router.post("/patients/{patient_id}/careplans", response={201: CarePlanDetailOut})
def careplan_create(request: HttpRequest, patient_id: int, payload: CarePlanIn) -> Status[CarePlan]:
    patient = access_patient(_user(request), patient_id)
    data = payload.dict()
    if data["supervising_practitioner"] is None:
        del data["supervising_practitioner"]
    return Status(201, services.careplan_create(actor=_user(request), patient=patient, data=data))


@router.get("/careplans/{plan_id}", response=CarePlanDetailOut)
def careplan_read(request: HttpRequest, plan_id: int) -> CarePlan:
    plan = access_careplan(_user(request), plan_id)
    _read(request, "CarePlan", plan.pk, plan.patient_id)
    return plan


@router.patch("/careplans/{plan_id}", response=CarePlanDetailOut)
def careplan_update(request: HttpRequest, plan_id: int, payload: CarePlanPatch) -> CarePlan:
    plan = access_careplan(_user(request), plan_id, edit=True)
    data = _changes(payload)
    for name in ("title", "supervising_practitioner", "period_start_on", "problems", "status"):
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be emptied."})
    return services.careplan_update(actor=_user(request), plan=plan, data=data)


@router.post("/careplans/{plan_id}/activate", response=CarePlanDetailOut)
def careplan_activate(request: HttpRequest, plan_id: int) -> CarePlan:
    plan = access_careplan(_user(request), plan_id, edit=True)
    return services.careplan_activate(actor=_user(request), plan=plan)


# Goals -------------------------------------------------------------------------------------------------


@router.get("/careplans/{plan_id}/goals", response=list[GoalOut])
def goal_list(request: HttpRequest, plan_id: int) -> list[Any]:
    plan = access_careplan(_user(request), plan_id)
    _read(request, "Goal", "*", plan.patient_id, detail=f"plan {plan.pk}")
    return list(plan.goals.order_by("id"))


@router.post("/careplans/{plan_id}/goals", response={201: GoalOut})
def goal_add(request: HttpRequest, plan_id: int, payload: GoalIn) -> Status[Any]:
    plan = access_careplan(_user(request), plan_id, edit=True)
    return Status(201, services.goal_add(actor=_user(request), plan=plan, data=payload.dict()))


@router.patch("/careplan-goals/{goal_id}", response=GoalOut)
def goal_update(request: HttpRequest, goal_id: int, payload: GoalPatch) -> Any:
    goal = access_goal(_user(request), goal_id, edit=True)
    return services.goal_update(actor=_user(request), goal=goal, data=_changes(payload))


# Activities --------------------------------------------------------------------------------------------


@router.get("/careplans/{plan_id}/activities", response=list[ActivityOut])
def activity_list(request: HttpRequest, plan_id: int) -> list[Any]:
    plan = access_careplan(_user(request), plan_id)
    _read(request, "Activity", "*", plan.patient_id, detail=f"plan {plan.pk}")
    return list(plan.activities.order_by("id"))


@router.post("/careplans/{plan_id}/activities", response={201: ActivityOut})
def activity_add(request: HttpRequest, plan_id: int, payload: ActivityIn) -> Status[Any]:
    plan = access_careplan(_user(request), plan_id, edit=True)
    data = payload.dict()
    reason = data.pop("override_reason")
    activity = services.activity_add(actor=_user(request), plan=plan, data=data, override_reason=reason)
    return Status(201, activity)


@router.get("/careplan-activities/{activity_id}", response=ActivityOut)
def activity_read(request: HttpRequest, activity_id: int) -> Any:
    activity = access_activity(_user(request), activity_id)
    _read(request, "Activity", activity.pk, activity.plan.patient_id)
    return activity


@router.patch("/careplan-activities/{activity_id}", response=ActivityOut)
def activity_update(request: HttpRequest, activity_id: int, payload: ActivityPatch) -> Any:
    activity = access_activity(_user(request), activity_id, edit=True)
    data = _changes(payload)
    reason = data.pop("override_reason", "")
    for name in ("kind", "techniques", "body_sites", "visits_per_week", "weeks", "visit_minutes", "status"):
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be emptied."})
    return services.activity_update(
        actor=_user(request), activity=activity, data=data, override_reason=reason
    )


@router.post("/careplan-activities/{activity_id}/remove", response=ActivityOut)
def activity_remove(request: HttpRequest, activity_id: int, payload: ActivityRemove) -> Any:
    activity = access_activity(_user(request), activity_id, edit=True)
    return services.activity_remove(actor=_user(request), activity=activity, status=payload.status)


@router.post("/careplan-activities/{activity_id}/approve", response=ActivityOut)
def activity_approve(request: HttpRequest, activity_id: int) -> Any:
    activity = access_activity(_user(request), activity_id)
    return services.activity_approve(actor=_user(request), activity=activity)


# Sequence rules ----------------------------------------------------------------------------------------


@router.get("/careplans/{plan_id}/sequence-rules", response=list[SequenceRuleOut])
def sequence_rule_list(request: HttpRequest, plan_id: int) -> list[Any]:
    plan = access_careplan(_user(request), plan_id)
    _read(request, "SequenceRule", "*", plan.patient_id, detail=f"plan {plan.pk}")
    return list(plan.sequence_rules.filter(removed_at__isnull=True).order_by("id"))


@router.post("/careplans/{plan_id}/sequence-rules", response={201: SequenceRuleOut})
def sequence_rule_add(request: HttpRequest, plan_id: int, payload: SequenceRuleIn) -> Status[Any]:
    plan = access_careplan(_user(request), plan_id, edit=True)
    return Status(201, services.sequence_rule_add(actor=_user(request), plan=plan, data=payload.dict()))


@router.post("/careplan-sequence-rules/{rule_id}/remove", response=SequenceRuleOut)
def sequence_rule_remove(request: HttpRequest, rule_id: int) -> Any:
    rule = access_sequence_rule(_user(request), rule_id, edit=True)
    return services.sequence_rule_remove(actor=_user(request), rule=rule)


# Versions ----------------------------------------------------------------------------------------------


class CompareQuery(Schema):
    a: int = Field(..., ge=1, le=MAX_VERSION_NUMBER)
    b: int = Field(..., ge=1, le=MAX_VERSION_NUMBER)


def _version(plan: CarePlan, number: int, field: str) -> PlanVersion:
    found = plan.versions.select_related("created_by").filter(number=number).first()
    if found is None:
        raise ValidationError({field: f"This plan has no version {number}."})
    return found


@router.get("/careplans/{plan_id}/versions", response=list[VersionOut])
def version_list(request: HttpRequest, plan_id: int) -> list[Any]:
    plan = access_careplan(_user(request), plan_id)
    _read(request, "PlanVersion", "*", plan.patient_id, detail=f"plan {plan.pk}")
    return list(versions_of(plan))


@router.get("/careplans/{plan_id}/versions/compare", response=CompareOut)
def version_compare(request: HttpRequest, plan_id: int, query: Query[CompareQuery]) -> dict[str, Any]:
    """Two versions of the plan and what changed from `a` to `b` (added / removed / changed, per field)."""
    plan = access_careplan(_user(request), plan_id)
    a, b = _version(plan, query.a, "a"), _version(plan, query.b, "b")
    _read(request, "PlanVersion", f"{a.number}..{b.number}", plan.patient_id, detail=f"plan {plan.pk}")
    return {"a": a, "b": b, "changes": diff(a.snapshot, b.snapshot)}


@router.get("/careplans/{plan_id}/versions/{number}", response=VersionDetailOut)
def version_read(request: HttpRequest, plan_id: int, number: int) -> PlanVersion:
    plan = access_careplan(_user(request), plan_id)
    if not 1 <= number <= MAX_VERSION_NUMBER:
        raise Http404("No such version.")
    found = plan.versions.select_related("created_by").filter(number=number).first()
    if found is None:
        raise Http404("No such version.")
    _read(request, "PlanVersion", found.number, plan.patient_id, detail=f"plan {plan.pk}")
    return found
