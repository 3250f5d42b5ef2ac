"""The plan's link to the safety engine (tandem.safety): the gate on every new or changed activity, the
findings shown to the massage therapist, and the overrides shown on the plan."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tandem.accounts.models import User
from tandem.careplans.models import Activity, CarePlan
from tandem.safety.engine import Finding, PlannedActivity
from tandem.safety.models import SafetyOverride
from tandem.safety.services import overrides_for_patient, safety_check, safety_gate


def planned(activity: Activity) -> list[PlannedActivity]:
    """Each technique of the activity at all of its body sites, at the massage pressure ("" when none)."""
    return [
        PlannedActivity(code, tuple(activity.body_sites), activity.massage_pressure or "")
        for code in activity.techniques
    ]


def gate_activity(*, actor: User, activity: Activity, override_reason: str) -> list[Finding]:
    """Invariant 5: raises ValidationError({"safety": [...]}) for a contraindication, or for a precaution
    without an override on record or a reason now; records the override otherwise."""
    return safety_gate(
        actor=actor,
        patient=activity.plan.patient,
        activities=planned(activity),
        override_reason=override_reason.strip(),
        subject=f"careplan-activity:{activity.pk}",
    )


def findings_for_activity(user: User, activity: Activity) -> list[Finding]:
    """What the safety engine says today about an activity (for display; the caller checked access)."""
    try:
        return safety_check(patient=activity.plan.patient, activities=planned(activity))
    except ValueError:  # a code the engine no longer knows: nothing to show rather than a broken page
        return []


def overrides_for_plan(plan: CarePlan) -> list[dict[str, Any]]:
    """The patient's safety overrides, newest first, each marked when it was given for this plan."""
    ids = {f"careplan-activity:{pk}" for pk in plan.activities.values_list("pk", flat=True)}
    overrides: QuerySet[SafetyOverride] = overrides_for_patient(plan.patient)
    return [{"override": o, "this_plan": o.subject in ids} for o in overrides]
