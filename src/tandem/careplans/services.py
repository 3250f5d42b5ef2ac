"""Every change to a plan of care. Each service checks who acts, validates, writes, audits and records a new
version of the whole plan, in one transaction: a refused change leaves nothing behind, not even a version.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tandem.accounts.models import Practitioner, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.careplans import measures, sequencing
from tandem.careplans.access import EDITING_DISCIPLINES, can_edit_careplan, can_edit_plans_of, is_supervisor
from tandem.careplans.models import (
    DISCIPLINE_OF_KIND,
    PLAN_STATUS_MOVES,
    REMOVED_ACTIVITY_STATUSES,
    Activity,
    ActivityKind,
    ActivityStatus,
    Approval,
    CarePlan,
    CarePlanStatus,
    Goal,
    GoalLifecycleStatus,
    MassagePressure,
    PlanVersion,
    SequenceRelation,
    SequenceRule,
)
from tandem.careplans.safety_checks import gate_activity
from tandem.core.ids import parse_id
from tandem.core.vocabularies import (
    BODY_SITE_CODES,
    BODY_SITES,
    SPINAL_REGIONS_FOR_CMT,
    TECHNIQUES,
    label,
    technique,
)
from tandem.patients.models import CareTeamMember, Condition, Patient
from tandem.referrals.models import Referral

PLAN_FIELDS = (
    "title",
    "description",
    "supervising_practitioner",
    "period_start_on",
    "period_end_on",
    "problems",
    "based_on_referral",
    "status",
)
GOAL_FIELDS = (
    "description",
    "measure",
    "baseline_value",
    "target_value",
    "direction",
    "due_on",
    "lifecycle_status",
)
ACTIVITY_FIELDS = (
    "discipline",
    "kind",
    "techniques",
    "body_sites",
    "technique_notes",
    "exercises",
    "massage_pressure",
    "visits_per_week",
    "weeks",
    "visit_minutes",
    "preferred_practitioner",
    "status",
)
RULE_FIELDS = ("first_activity", "second_activity", "relation", "min_gap_minutes", "max_gap_minutes")
# Changing one of these on an approved massage sends it back to the supervisor.
APPROVAL_FIELDS = ("techniques", "body_sites", "massage_pressure")
# Changing one of these runs the safety gate again (the engine checks the pressure as well).
SAFETY_FIELDS = ("techniques", "body_sites", "massage_pressure")
CLOSED_PLAN_STATUSES = (CarePlanStatus.REVOKED, CarePlanStatus.COMPLETED, CarePlanStatus.ENTERED_IN_ERROR)
EXERCISE_KEYS = {"name", "sets", "repetitions", "notes"}
LIMITS = {"visits_per_week": (1, 7), "weeks": (1, 52), "visit_minutes": (5, 180)}
FIELD_LABELS = {
    "period_start_on": "start",
    "period_end_on": "end",
    "supervising_practitioner": "supervisor",
    "baseline_value": "baseline",
    "target_value": "target",
    "due_on": "due date",
    "lifecycle_status": "status",
    "massage_pressure": "pressure",
    "visits_per_week": "visits per week",
    "visit_minutes": "minutes per visit",
    "preferred_practitioner": "preferred practitioner",
    "technique_notes": "technique notes",
    "body_sites": "body sites",
    "override_reason": "override reason",
}


# Who acts ----------------------------------------------------------------------------------------------


def _require_editor(actor: User, plan: CarePlan) -> None:
    if not can_edit_careplan(actor, plan):
        raise ValidationError(
            {"__all__": "Only a chiropractor or physical therapist on the care team may change this plan."}
        )


def _require_open(plan: CarePlan) -> None:
    if plan.status in CLOSED_PLAN_STATUSES:
        raise ValidationError(
            {"__all__": f"This plan is {plan.get_status_display().lower()}; it can no longer change."}
        )


def _team_practitioner(value: object, patient: Patient, field: str) -> Practitioner:
    """A practitioner of the patient's clinic who is on the care team today."""
    practitioner = value if isinstance(value, Practitioner) else None
    if practitioner is None:
        try:
            practitioner = Practitioner.objects.select_related("user").get(pk=parse_id(value))
        except (Practitioner.DoesNotExist, ValueError, OverflowError):
            raise ValidationError({field: "Choose a practitioner on the care team."}) from None
    on_team = (
        CareTeamMember.objects.active_on(timezone.localdate())
        .filter(patient=patient, practitioner=practitioner)
        .exists()
    )
    if practitioner.user.organization_id != patient.organization_id or not on_team:
        raise ValidationError({field: f"{practitioner.display_name} is not on this patient's care team."})
    return practitioner


# Versions ----------------------------------------------------------------------------------------------


def _short_technique(code: str) -> str:
    text = label(TECHNIQUES, code).lower()  # type: ignore[arg-type]
    return text.removesuffix(" massage").removesuffix(" adjustment") or text


def _short_site(code: str) -> str:
    return label(BODY_SITES, code).lower().removesuffix(" spine")


def activity_label(activity: Activity) -> str:
    """e.g. “Medical massage (deep tissue, lumbar)”."""
    details = [_short_technique(c) for c in activity.techniques] + [
        _short_site(c) for c in activity.body_sites
    ]
    kind = activity.get_kind_display()
    return f"{kind} ({', '.join(details)})" if details else kind


def rule_sentence(rule: SequenceRule, activities: Iterable[Activity]) -> str:
    """The rule in plain language; activities are named by kind unless the plan has two of that kind."""
    active = [a for a in activities if not a.is_removed]

    def name(activity: Activity) -> str:
        twins = [a for a in active if a.kind == activity.kind]
        return activity_label(activity) if len(twins) > 1 else activity.get_kind_display()

    return sequencing.describe(
        rule.relation,
        name(rule.first_activity),
        name(rule.second_activity),
        rule.min_gap_minutes,
        rule.max_gap_minutes,
    )


def _text(value: Any) -> Any:
    if isinstance(value, datetime.date | Decimal):
        return str(value) if not isinstance(value, Decimal) else format(value.normalize(), "f")
    return value


def snapshot_of(plan: CarePlan) -> dict[str, Any]:
    """The whole plan as JSON: plan fields, goals, activities (removed ones with their status) and the
    sequence rules in force."""
    supervisor = plan.supervising_practitioner
    problems = sorted(f"{c.code} {c.text}" for c in plan.problems.all())
    activities = list(
        plan.activities.select_related("preferred_practitioner__user", "approved_by__practitioner").order_by(
            "id"
        )
    )
    rules = plan.sequence_rules.filter(removed_at__isnull=True).select_related(
        "first_activity", "second_activity"
    )
    return {
        "plan": {
            "label": plan.title,
            "title": plan.title,
            "description": plan.description,
            "status": plan.status,
            "supervising_practitioner": supervisor.display_name,
            "period_start_on": _text(plan.period_start_on),
            "period_end_on": _text(plan.period_end_on),
            "problems": problems,
            "based_on_referral": plan.based_on_referral_id,
        },
        "goals": {
            str(goal.pk): {
                "label": goal.description,
                "description": goal.description,
                "measure": goal.measure,
                "baseline_value": _text(goal.baseline_value),
                "target_value": _text(goal.target_value),
                "direction": goal.direction,
                "due_on": _text(goal.due_on),
                "lifecycle_status": goal.lifecycle_status,
            }
            for goal in plan.goals.order_by("id")
        },
        "activities": {
            str(a.pk): {
                "label": activity_label(a),
                "discipline": a.discipline,
                "kind": a.kind,
                "techniques": list(a.techniques),
                "body_sites": list(a.body_sites),
                "technique_notes": a.technique_notes,
                "exercises": list(a.exercises),
                "massage_pressure": a.massage_pressure,
                "visits_per_week": a.visits_per_week,
                "weeks": a.weeks,
                "visit_minutes": a.visit_minutes,
                "preferred_practitioner": (
                    a.preferred_practitioner.display_name if a.preferred_practitioner else None
                ),
                "status": a.status,
                "approval": a.approval,
                "approved_by": a.approved_by.display_name if a.approved_by else None,
                "override_reason": a.override_reason,
            }
            for a in activities
        },
        "sequence_rules": {
            str(rule.pk): {
                "label": rule_sentence(rule, activities),
                "first_activity": rule.first_activity_id,
                "second_activity": rule.second_activity_id,
                "relation": rule.relation,
                "min_gap_minutes": rule.min_gap_minutes,
                "max_gap_minutes": rule.max_gap_minutes,
            }
            for rule in rules
        },
    }


def _version(plan: CarePlan, *, actor: User, summary: str) -> PlanVersion:
    """Record the plan as it now stands as its next version, in the caller's transaction."""
    # An UPDATE … SET n = n + 1 takes the row lock, so two concurrent changes get two numbers.
    CarePlan.objects.filter(pk=plan.pk).update(version_number=F("version_number") + 1)
    plan.version_number = CarePlan.objects.values_list("version_number", flat=True).get(pk=plan.pk)
    return PlanVersion.objects.create(
        plan=plan,
        number=plan.version_number,
        created_at=timezone.now(),
        created_by=actor,
        snapshot=snapshot_of(plan),
        change_summary=summary[:500],
    )


def _audit(actor: User, action: str, obj: Any, plan: CarePlan, detail: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.pk,
        patient_id=plan.patient_id,
        detail=f"{detail} (plan {plan.pk} v{plan.version_number})",
    )


def _changed_text(changed: Iterable[str]) -> str:
    return ", ".join(FIELD_LABELS.get(name, name.replace("_", " ")) for name in changed)


# Applying input ----------------------------------------------------------------------------------------


def _unknown(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})


def _set(instance: Any, name: str, value: Any, changed: list[str]) -> None:
    if isinstance(value, str):
        value = value.strip()
    if getattr(instance, name) != value:
        setattr(instance, name, value)
        changed.append(name)


def _full_clean(instance: Any, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(
            {field: " ".join(str(m) for m in messages) for field, messages in exc.message_dict.items()}
        ) from None


# Plans -------------------------------------------------------------------------------------------------


def _problems(patient: Patient, values: Iterable[object]) -> list[Condition]:
    ids = []
    for value in values:
        try:
            ids.append(value.pk if isinstance(value, Condition) else parse_id(value))
        except (ValueError, OverflowError):
            raise ValidationError({"problems": f"{value} is not a condition id."}) from None
    found = list(Condition.objects.filter(patient=patient, pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError({"problems": "Choose conditions of this patient's problem list."})
    return found


def _referral(patient: Patient, value: object) -> Referral | None:
    if value in (None, ""):
        return None
    try:
        referral_id = value.pk if isinstance(value, Referral) else parse_id(value)
    except (ValueError, OverflowError):
        raise ValidationError({"based_on_referral": "Give a referral id."}) from None
    found = Referral.objects.filter(pk=referral_id, patient=patient).first()
    if found is None:
        raise ValidationError({"based_on_referral": "Choose a referral of this patient."})
    return found


def _apply_plan(
    plan: CarePlan, data: Mapping[str, Any], actor: User
) -> tuple[list[str], list[Condition] | None]:
    _unknown(data, PLAN_FIELDS)
    changed: list[str] = []
    problems = None
    for name, value in data.items():
        if name == "problems":
            problems = _problems(plan.patient, value or [])
            current = set(plan.problems.values_list("pk", flat=True)) if plan.pk else set()
            if {c.pk for c in problems} != current:
                changed.append("problems")
        elif name == "based_on_referral":
            referral = _referral(plan.patient, value)
            if plan.based_on_referral_id != (referral.pk if referral else None):
                plan.based_on_referral = referral
                changed.append(name)
        elif name == "supervising_practitioner":
            supervisor = _team_practitioner(value, plan.patient, name)
            if supervisor.discipline not in EDITING_DISCIPLINES:
                raise ValidationError({name: "The supervising practitioner must be a chiropractor or a PT."})
            if plan.supervising_practitioner_id != supervisor.pk:
                if plan.pk and not is_supervisor(actor, plan):
                    current = plan.supervising_practitioner.display_name
                    raise ValidationError(
                        {name: f"Only the current supervising clinician ({current}) may hand the plan over."}
                    )
                plan.supervising_practitioner = supervisor
                changed.append(name)
        else:
            _set(plan, name, "" if value is None and name in ("title", "description") else value, changed)
    return changed, problems


def _clean_plan(plan: CarePlan) -> None:
    _full_clean(
        plan,
        exclude=[
            "organization",
            "patient",
            "created_by",
            "supervising_practitioner",
            "problems",
            "based_on_referral",
        ],
    )
    if plan.period_end_on and plan.period_start_on and plan.period_end_on < plan.period_start_on:
        raise ValidationError({"period_end_on": "The plan ends before it starts."})


@transaction.atomic
def careplan_create(*, actor: User, patient: Patient, data: Mapping[str, Any]) -> CarePlan:
    """Start a plan of care (status draft) for one episode; its supervisor is a DC or PT on the care team."""
    if not can_edit_plans_of(actor, patient):
        raise ValidationError(
            {"__all__": "Only a chiropractor or physical therapist on the care team may start a plan."}
        )
    if data.get("status", CarePlanStatus.DRAFT) != CarePlanStatus.DRAFT:
        raise ValidationError({"status": "A new plan starts as a draft; activate it once it is complete."})
    values = {k: v for k, v in data.items() if k != "status"}
    values.setdefault("supervising_practitioner", actor.practitioner)
    plan = CarePlan(organization_id=patient.organization_id, patient=patient, created_by=actor)
    if not values.get("period_start_on"):
        values["period_start_on"] = timezone.localdate()
    _changed, problems = _apply_plan(plan, values, actor)
    _clean_plan(plan)
    plan.save()
    if problems:
        plan.problems.set(problems)
    _version(plan, actor=actor, summary=f"Created plan: {plan.title}")
    _audit(actor, AuditAction.CREATE, plan, plan, "created")
    return plan


@transaction.atomic
def careplan_update(*, actor: User, plan: CarePlan, data: Mapping[str, Any]) -> CarePlan:
    """Change the plan's own fields. Activation goes through careplan_activate; a closed plan stays closed."""
    _require_editor(actor, plan)
    status = data.get("status")
    if plan.status in CLOSED_PLAN_STATUSES:
        # A closed plan stays as it was; the one change left is to say it was entered in error.
        if not (set(data) == {"status"} and status == CarePlanStatus.ENTERED_IN_ERROR):
            _require_open(plan)
    if status is not None and status != plan.status:
        _check_status_move(plan, str(status))
    before = plan.status
    changed, problems = _apply_plan(plan, data, actor)
    _clean_plan(plan)
    if not changed:
        return plan
    if plan.status == CarePlanStatus.ACTIVE and "title" in changed:
        duplicate = _active_duplicate(plan)
        if duplicate is not None:
            raise ValidationError(
                {"title": f"“{duplicate.title}” is already an active plan of this patient."}
            )
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:  # a concurrent activation of the same episode
        raise ValidationError({"title": "Another active plan of this patient has that title."}) from None
    if problems is not None:
        plan.problems.set(problems)
    summary = f"Changed plan: {_changed_text(changed)}"
    if "status" in changed:
        summary += f" (status {before} → {plan.status})"
    _version(plan, actor=actor, summary=summary)
    _audit(actor, AuditAction.UPDATE, plan, plan, "changed: " + ", ".join(changed))
    return plan


def _status_name(status: str) -> str:
    return CarePlanStatus(status).label.lower() if status in CarePlanStatus.values else repr(status)


def _check_status_move(plan: CarePlan, status: str) -> None:
    """Refuse a status change that PLAN_STATUS_MOVES does not allow (activation has its own service)."""
    if status not in CarePlanStatus.values:
        raise ValidationError({"status": f"Status must be one of: {', '.join(CarePlanStatus.values)}."})
    if status == CarePlanStatus.ACTIVE and status in PLAN_STATUS_MOVES[plan.status]:
        raise ValidationError({"status": "Use “activate” to make a plan active."})
    allowed = PLAN_STATUS_MOVES[plan.status]
    if status not in allowed:
        options = sorted(_status_name(s) for s in allowed if s != CarePlanStatus.ACTIVE)
        hint = []
        if CarePlanStatus.ACTIVE in allowed:
            hint.append("activate it")
        if options:
            hint.append("make it " + " or ".join(options))
        raise ValidationError(
            {
                "status": f"A {_status_name(plan.status)} plan cannot become {_status_name(status)}"
                + (f"; you may {', or '.join(hint)}." if hint else "; it can no longer change.")
            }
        )


def _active_duplicate(plan: CarePlan) -> CarePlan | None:
    """Another active plan of the patient for the same episode (title, any case)."""
    return (
        CarePlan.objects.filter(patient=plan.patient, status=CarePlanStatus.ACTIVE, title__iexact=plan.title)
        .exclude(pk=plan.pk)
        .first()
    )


@transaction.atomic
def careplan_activate(*, actor: User, plan: CarePlan) -> CarePlan:
    """Make a draft or on-hold plan active. One active plan per episode (same title) and patient."""
    _require_editor(actor, plan)
    if CarePlanStatus.ACTIVE not in PLAN_STATUS_MOVES[plan.status]:
        raise ValidationError(
            {"status": f"A plan that is {plan.get_status_display().lower()} cannot be activated."}
        )
    # Invariant 5 again: the patient's record may have changed since the activities were planned.
    for activity in plan.activities.exclude(status__in=REMOVED_ACTIVITY_STATUSES).order_by("pk"):
        activity_recheck_safety(actor, activity, "activate the plan")
    duplicate = _active_duplicate(plan)
    message = "This episode already has an active plan ({}); complete or hold that one first."
    if duplicate is not None:
        raise ValidationError({"status": message.format(f"“{duplicate.title}”, #{duplicate.pk}")})
    before = plan.status
    try:
        # The database constraint settles a race between two activations that both passed the check above;
        # the status condition makes a double submission of this one activate (and version) once.
        with transaction.atomic():
            updated = CarePlan.objects.filter(pk=plan.pk, status=before).update(
                status=CarePlanStatus.ACTIVE, updated_at=timezone.now()
            )
    except IntegrityError:
        raise ValidationError({"status": message.format("another plan")}) from None
    if not updated:
        raise ValidationError({"status": "The plan changed meanwhile; reload it."})
    plan.status = CarePlanStatus.ACTIVE
    _version(plan, actor=actor, summary=f"Activated plan (status {before} → active)")
    _audit(actor, AuditAction.UPDATE, plan, plan, "activated")
    return plan


# Goals -------------------------------------------------------------------------------------------------


def _decimal(value: object, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: "Enter a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Enter a number."})
    return number


def _apply_goal(goal: Goal, data: Mapping[str, Any]) -> list[str]:
    _unknown(data, GOAL_FIELDS)
    changed: list[str] = []
    for name, value in data.items():
        if name in ("baseline_value", "target_value"):
            value = _decimal(value, name)
        elif value is None and name in ("description", "measure", "direction"):
            value = ""
        _set(goal, name, value, changed)
    if isinstance(goal.measure, str) and measures.instrument(goal.measure):
        goal.measure = goal.measure.strip().lower()
    direction, errors = measures.check_goal(
        goal.measure or "", goal.baseline_value, goal.target_value, goal.direction or ""
    )
    if errors:
        raise ValidationError(errors)
    if goal.direction != direction:
        goal.direction = direction
        if "direction" not in changed and goal.pk:
            changed.append("direction")
    _full_clean(goal, exclude=["plan", "created_by"])
    return changed


def _goal_text(goal: Goal) -> str:
    found = measures.instrument(goal.measure)
    name = found.code.upper() if found else goal.measure
    if goal.baseline_value is not None and goal.target_value is not None:
        return f"{name} {_text(goal.baseline_value)} → {_text(goal.target_value)}"
    return goal.description


@transaction.atomic
def goal_add(*, actor: User, plan: CarePlan, data: Mapping[str, Any]) -> Goal:
    """Add a measurable goal. An instrument sets the direction and the score range (measures.py)."""
    _require_editor(actor, plan)
    _require_open(plan)
    goal = Goal(plan=plan, created_by=actor)
    _apply_goal(goal, data)
    goal.save()
    _version(plan, actor=actor, summary=f"Added goal: {_goal_text(goal)}")
    _audit(actor, AuditAction.CREATE, goal, plan, "added goal")
    return goal


@transaction.atomic
def goal_update(*, actor: User, goal: Goal, data: Mapping[str, Any]) -> Goal:
    plan = goal.plan
    _require_editor(actor, plan)
    _require_open(plan)
    changed = _apply_goal(goal, data)
    if not changed:
        return goal
    goal.save()
    _version(plan, actor=actor, summary=f"Changed goal: {_goal_text(goal)} ({_changed_text(changed)})")
    _audit(actor, AuditAction.UPDATE, goal, plan, "changed: " + ", ".join(changed))
    return goal


# Activities --------------------------------------------------------------------------------------------


def _codes(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: "Give a list of codes."})
    codes = [v.strip() for v in value if v.strip()]
    if len(set(codes)) != len(codes):
        raise ValidationError({field: "Each code once, please."})
    return codes


def _exercises(value: object) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"exercises": "Give a list of exercises."})
    cleaned = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) - EXERCISE_KEYS:
            raise ValidationError({"exercises": f"Exercise {number}: give name, sets, repetitions, notes."})
        name = str(item.get("name") or "").strip()
        sets, repetitions = item.get("sets"), item.get("repetitions")
        if not name or len(name) > 100:
            raise ValidationError({"exercises": f"Exercise {number}: give a name (up to 100 characters)."})
        for what, count, high in (("sets", sets, 20), ("repetitions", repetitions, 100)):
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= high:
                raise ValidationError(
                    {"exercises": f"{name}: {what} must be a whole number from 1 to {high}."}
                )
        cleaned.append(
            {
                "name": name,
                "sets": sets,
                "repetitions": repetitions,
                "notes": str(item.get("notes") or "").strip(),
            }
        )
    return cleaned


def _apply_activity(activity: Activity, data: Mapping[str, Any]) -> list[str]:
    _unknown(data, ACTIVITY_FIELDS)
    changed: list[str] = []
    for name, value in data.items():
        if name in ("techniques", "body_sites"):
            value = _codes(value, name)
        elif name == "exercises":
            value = _exercises(value)
        elif name == "preferred_practitioner":
            value = None if value in (None, "") else _team_practitioner(value, activity.plan.patient, name)
            if activity.preferred_practitioner_id != (value.pk if value else None):
                activity.preferred_practitioner = value
                changed.append(name)
            continue
        elif value is None and name in ("technique_notes", "massage_pressure", "discipline", "kind"):
            value = ""
        _set(activity, name, value, changed)
    if activity.kind in DISCIPLINE_OF_KIND and not activity.discipline:
        activity.discipline = DISCIPLINE_OF_KIND[activity.kind]
    _clean_activity(activity)
    return changed


def _clean_activity(activity: Activity) -> None:
    errors: dict[str, str] = {}
    kind, discipline = activity.kind, activity.discipline
    if kind not in ActivityKind.values:
        errors["kind"] = f"Kind must be one of: {', '.join(ActivityKind.values)}."
    elif DISCIPLINE_OF_KIND[kind] != discipline:
        errors["discipline"] = f"A {activity.get_kind_display().lower()} is {DISCIPLINE_OF_KIND[kind]} work."
    if not activity.techniques:
        errors["techniques"] = "Choose at least one technique."
    for code in activity.techniques:
        found = technique(code)
        if found is None:
            errors["techniques"] = f"{code} is not a technique of the vocabulary."
        elif found.discipline != discipline:
            errors["techniques"] = f"{found.label} is not a technique of {discipline or 'this discipline'}."
    if not activity.body_sites:
        errors["body_sites"] = "Choose at least one body site."
    for code in activity.body_sites:
        if code not in BODY_SITE_CODES:
            errors["body_sites"] = f"{code} is not a body site of the vocabulary."
        elif kind == ActivityKind.CHIROPRACTIC_ADJUSTMENT and code not in SPINAL_REGIONS_FOR_CMT:
            errors["body_sites"] = (
                "Adjustments name spinal regions: " + ", ".join(SPINAL_REGIONS_FOR_CMT) + "."
            )
    if kind == ActivityKind.MEDICAL_MASSAGE and not activity.massage_pressure:
        errors["massage_pressure"] = "Choose the pressure: light, moderate, firm or deep."
    if activity.massage_pressure and activity.massage_pressure not in MassagePressure.values:
        errors["massage_pressure"] = "Pressure is light, moderate, firm or deep."
    elif kind != ActivityKind.MEDICAL_MASSAGE and activity.massage_pressure:
        errors["massage_pressure"] = "Only a massage has a pressure."
    if kind != ActivityKind.THERAPEUTIC_EXERCISE and activity.exercises:
        errors["exercises"] = "Only therapeutic exercise lists exercises."
    for name, (low, high) in LIMITS.items():
        value = getattr(activity, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = f"Enter a whole number from {low} to {high}."
    preferred = activity.preferred_practitioner
    if preferred is not None and preferred.discipline != discipline:
        errors["preferred_practitioner"] = f"{preferred.display_name} does not practise {discipline}."
    if activity.status not in ActivityStatus.values:
        errors["status"] = f"Status must be one of: {', '.join(ActivityStatus.values)}."
    if errors:
        raise ValidationError(errors)
    _full_clean(
        activity,
        exclude=["plan", "created_by", "preferred_practitioner", "approved_by", "techniques", "body_sites"],
    )


def _check_override_author(actor: User, plan: CarePlan, override_reason: str) -> None:
    if override_reason.strip() and not is_supervisor(actor, plan):
        supervisor = plan.supervising_practitioner.display_name
        raise ValidationError(
            {
                "override_reason": (
                    f"Only the plan's supervising clinician ({supervisor}) may override a precaution."
                )
            }
        )


def activity_recheck_safety(actor: User, activity: Activity, doing: str) -> None:
    """Run the safety gate on a saved activity with today's record and no new reason: a contraindication,
    or a precaution without an override on record for this activity, refuses the step."""
    try:
        gate_activity(actor=actor, activity=activity, override_reason="")
    except ValidationError as exc:
        messages = exc.message_dict.get("safety") or [m for ms in exc.message_dict.values() for m in ms]
        label = activity_label(activity)
        raise ValidationError(
            {
                "safety": [f"{label}: {m}" for m in messages]
                + [
                    f"The safety check of {label} has to pass before you can {doing}: change the activity, "
                    "or (for a precaution) have the supervising clinician edit it giving a reason."
                ]
            }
        ) from None


@transaction.atomic
def activity_add(
    *, actor: User, plan: CarePlan, data: Mapping[str, Any], override_reason: str = ""
) -> Activity:
    """Plan one discipline's work. Checked by the safety engine; a massage waits for the supervisor."""
    _require_editor(actor, plan)
    _require_open(plan)
    _check_override_author(actor, plan, override_reason)
    status = data.get("status") or ActivityStatus.NOT_STARTED
    if status in REMOVED_ACTIVITY_STATUSES:
        raise ValidationError({"status": "A new activity cannot start cancelled or in error."})
    activity = Activity(plan=plan, created_by=actor)
    _apply_activity(activity, data)
    if activity.kind == ActivityKind.MEDICAL_MASSAGE:
        activity.approval = Approval.PENDING
    activity.save()
    gate_activity(actor=actor, activity=activity, override_reason=override_reason)
    if override_reason.strip():
        activity.override_reason = override_reason.strip()
        activity.save(update_fields=["override_reason", "updated_at"])
    _version(plan, actor=actor, summary=f"Added activity: {activity_label(activity)}")
    _audit(actor, AuditAction.CREATE, activity, plan, f"added {activity.kind}")
    return activity


@transaction.atomic
def activity_update(
    *, actor: User, activity: Activity, data: Mapping[str, Any], override_reason: str = ""
) -> Activity:
    """Change an activity. New techniques or sites are checked again by the safety engine; a change of an
    approved massage's techniques, sites or pressure sends it back to the supervisor."""
    plan = activity.plan
    _require_editor(actor, plan)
    _require_open(plan)
    _check_override_author(actor, plan, override_reason)
    if activity.is_removed:
        raise ValidationError({"status": "This activity was removed from the plan; add a new one instead."})
    if data.get("status") in REMOVED_ACTIVITY_STATUSES:
        raise ValidationError({"status": "Use “remove” to cancel an activity or mark it entered in error."})
    changed = _apply_activity(activity, data)
    reason = override_reason.strip()
    if not changed and not reason:
        return activity
    notes = []
    if activity.approval == Approval.APPROVED and set(changed) & set(APPROVAL_FIELDS):
        activity.approval, activity.approved_by, activity.approved_at = Approval.PENDING, None, None
        notes.append("back to pending approval")
    if activity.kind == ActivityKind.MEDICAL_MASSAGE and activity.approval == Approval.NOT_REQUIRED:
        activity.approval = Approval.PENDING
    if activity.kind != ActivityKind.MEDICAL_MASSAGE:
        activity.approval, activity.approved_by, activity.approved_at = Approval.NOT_REQUIRED, None, None
    # A reason alone (nothing else changed) records the supervisor's override for this activity, e.g. after
    # the patient's record changed and activation or approval was refused.
    gate_again = bool(set(changed) & set(SAFETY_FIELDS)) or bool(reason)
    if gate_again:
        activity.override_reason = reason or (activity.override_reason if not changed else "")
        if not changed:
            changed.append("override_reason")
    activity.save()
    if gate_again:
        gate_activity(actor=actor, activity=activity, override_reason=reason)
    summary = f"Changed activity: {activity_label(activity)} ({_changed_text(changed)}"
    summary += "; " + "; ".join(notes) + ")" if notes else ")"
    _version(plan, actor=actor, summary=summary)
    _audit(actor, AuditAction.UPDATE, activity, plan, "changed: " + ", ".join(changed))
    return activity


@transaction.atomic
def activity_remove(*, actor: User, activity: Activity, status: str = ActivityStatus.CANCELLED) -> Activity:
    """Take an activity off the plan: cancelled, or entered in error. Nothing is deleted; its sequence rules
    go with it."""
    plan = activity.plan
    _require_editor(actor, plan)
    _require_open(plan)
    if status not in REMOVED_ACTIVITY_STATUSES:
        raise ValidationError({"status": "Remove means cancelled or entered-in-error."})
    if activity.is_removed:
        raise ValidationError({"status": "This activity was already removed."})
    now = timezone.now()
    removed = (
        Activity.objects.filter(pk=activity.pk)
        .exclude(status__in=REMOVED_ACTIVITY_STATUSES)
        .update(status=status, updated_at=now)
    )
    if not removed:
        raise ValidationError({"status": "This activity was already removed."})
    activity.status = status
    rules = plan.sequence_rules.filter(removed_at__isnull=True)
    rules.filter(first_activity=activity).update(removed_at=now, removed_by=actor)
    rules.filter(second_activity=activity).update(removed_at=now, removed_by=actor)
    verb = "Cancelled" if status == ActivityStatus.CANCELLED else "Marked entered in error"
    _version(plan, actor=actor, summary=f"{verb} activity: {activity_label(activity)}")
    _audit(actor, AuditAction.UPDATE, activity, plan, f"removed: {status}")
    return activity


@transaction.atomic
def activity_approve(*, actor: User, activity: Activity) -> Activity:
    """The plan's supervising DC or PT approves a massage activity; nobody else may."""
    plan = activity.plan
    if not is_supervisor(actor, plan) or not can_edit_careplan(actor, plan):
        supervisor = plan.supervising_practitioner.display_name
        raise ValidationError(
            {"approval": f"Only the plan's supervising clinician ({supervisor}) may approve."}
        )
    _require_open(plan)
    if activity.is_removed:
        raise ValidationError({"approval": "This activity is not waiting for approval."})
    activity_recheck_safety(actor, activity, "approve it")
    now = timezone.now()
    # Conditional on still pending, so a double click (or two tabs) approves once and versions once.
    approved = (
        Activity.objects.filter(pk=activity.pk, approval=Approval.PENDING)
        .exclude(status__in=REMOVED_ACTIVITY_STATUSES)
        .update(approval=Approval.APPROVED, approved_by=actor, approved_at=now, updated_at=now)
    )
    if not approved:
        raise ValidationError({"approval": "This activity is not waiting for approval."})
    activity.approval, activity.approved_by, activity.approved_at = Approval.APPROVED, actor, now
    _version(plan, actor=actor, summary=f"Approved activity: {activity_label(activity)}")
    _audit(actor, AuditAction.UPDATE, activity, plan, "approved")
    return activity


# Sequence rules ----------------------------------------------------------------------------------------


def _plan_activity(plan: CarePlan, value: object, field: str) -> Activity:
    try:
        activity_id = value.pk if isinstance(value, Activity) else parse_id(value)
        found = Activity.objects.get(pk=activity_id)
    except (Activity.DoesNotExist, ValueError, OverflowError):
        raise ValidationError({field: "Choose an activity of this plan."}) from None
    if found.plan_id != plan.pk:
        raise ValidationError({field: "That activity belongs to another plan."})
    if found.is_removed:
        raise ValidationError({field: "That activity was removed from the plan."})
    return found


def _gap(value: object, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError({field: "Enter whole minutes."})
    try:
        return int(str(value))
    except ValueError:
        raise ValidationError({field: "Enter whole minutes."}) from None


def _spec(rule: SequenceRule) -> sequencing.RuleSpec:
    return sequencing.RuleSpec(
        rule.first_activity_id,
        rule.second_activity_id,
        rule.relation,
        rule.min_gap_minutes,
        rule.max_gap_minutes,
    )


@transaction.atomic
def sequence_rule_add(*, actor: User, plan: CarePlan, data: Mapping[str, Any]) -> SequenceRule:
    """Say how two activities of the plan fall on one day. Refuses activities of another plan and rules
    that contradict the plan's others (sequencing.contradiction)."""
    _require_editor(actor, plan)
    _require_open(plan)
    _unknown(data, RULE_FIELDS)
    missing = {
        f: "This field is required."
        for f in ("first_activity", "second_activity", "relation")
        if not data.get(f)
    }
    if missing:
        raise ValidationError(missing)
    first = _plan_activity(plan, data["first_activity"], "first_activity")
    second = _plan_activity(plan, data["second_activity"], "second_activity")
    if first.pk == second.pk:
        raise ValidationError({"second_activity": "Choose two different activities."})
    relation = str(data["relation"])
    if relation not in SequenceRelation.values:
        raise ValidationError({"relation": f"Relation must be one of: {', '.join(SequenceRelation.values)}."})
    low, high, errors = sequencing.normalise_gaps(
        relation,
        _gap(data.get("min_gap_minutes"), "min_gap_minutes"),
        _gap(data.get("max_gap_minutes"), "max_gap_minutes"),
    )
    if errors:
        raise ValidationError(errors)
    rule = SequenceRule(
        plan=plan,
        first_activity=first,
        second_activity=second,
        relation=relation,
        min_gap_minutes=low,
        max_gap_minutes=high,
        created_by=actor,
    )
    existing = [_spec(r) for r in plan.sequence_rules.filter(removed_at__isnull=True)]
    problem = sequencing.contradiction(existing, _spec(rule))
    if problem:
        raise ValidationError({"relation": problem})
    rule.save()
    sentence = rule_sentence(rule, plan.activities.all())
    _version(plan, actor=actor, summary=f"Added sequence rule: {sentence}")
    _audit(actor, AuditAction.CREATE, rule, plan, f"added rule {relation}")
    return rule


@transaction.atomic
def sequence_rule_remove(*, actor: User, rule: SequenceRule) -> SequenceRule:
    """Take a rule off the plan; the row stays, stamped with who removed it and when."""
    plan = rule.plan
    _require_editor(actor, plan)
    _require_open(plan)
    if rule.is_removed:
        raise ValidationError({"__all__": "This rule was already removed."})
    rule.removed_at, rule.removed_by = timezone.now(), actor
    rule.save(update_fields=["removed_at", "removed_by", "updated_at"])
    sentence = rule_sentence(rule, plan.activities.all())
    _version(plan, actor=actor, summary=f"Removed sequence rule: {sentence}")
    _audit(actor, AuditAction.UPDATE, rule, plan, "removed rule")
    return rule


__all__ = [
    "activity_add",
    "activity_approve",
    "activity_label",
    "activity_remove",
    "activity_update",
    "careplan_activate",
    "careplan_create",
    "careplan_update",
    "goal_add",
    "goal_update",
    "rule_sentence",
    "sequence_rule_add",
    "sequence_rule_remove",
    "snapshot_of",
    "GoalLifecycleStatus",
]
