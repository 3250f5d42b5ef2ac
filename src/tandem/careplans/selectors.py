"""Reads of plans, always scoped to the person asking; related rows fetched here so pages make no N+1."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from tandem.accounts.models import Discipline, User
from tandem.careplans.models import (
    REMOVED_ACTIVITY_STATUSES,
    Activity,
    ActivityKind,
    Approval,
    CarePlan,
    CarePlanStatus,
    PlanVersion,
    SequenceRule,
)
from tandem.careplans.services import rule_sentence
from tandem.patients.models import CareTeamMember, Patient

DISCIPLINE_ORDER = (Discipline.CHIROPRACTIC, Discipline.PHYSICAL_THERAPY, Discipline.MASSAGE_THERAPY)


def careplan_list_for_patient(patient: Patient) -> QuerySet[CarePlan]:
    """The patient's plans, newest first (the caller has passed access_patient)."""
    return (
        CarePlan.objects.filter(patient=patient)
        .select_related("supervising_practitioner__user")
        .order_by("-created_at", "-id")
    )


def _active_activities() -> QuerySet[Activity]:
    return Activity.objects.exclude(status__in=REMOVED_ACTIVITY_STATUSES).select_related(
        "preferred_practitioner__user", "approved_by"
    )


@dataclass
class DisciplineGroup:
    discipline: str
    label: str
    activities: list[Activity]


@dataclass
class PlanDetail:
    plan: CarePlan
    goals: list
    activities: list[Activity]
    removed_activities: list[Activity]
    groups: list[DisciplineGroup]
    rules: list[tuple[SequenceRule, str]]
    pending: list[Activity] = field(default_factory=list)


def careplan_for_builder(plan: CarePlan) -> PlanDetail:
    """Everything the plan builder shows: problems, goals, activities by discipline, rules in words."""
    every = list(plan.activities.select_related("preferred_practitioner__user", "approved_by").order_by("id"))
    activities = [a for a in every if not a.is_removed]
    groups = [
        DisciplineGroup(d, Discipline(d).label, [a for a in activities if a.discipline == d])
        for d in DISCIPLINE_ORDER
    ]
    rules = list(
        plan.sequence_rules.filter(removed_at__isnull=True).select_related(
            "first_activity", "second_activity"
        )
    )
    return PlanDetail(
        plan=plan,
        goals=list(plan.goals.order_by("id")),
        activities=activities,
        removed_activities=[a for a in every if a.is_removed],
        groups=[g for g in groups if g.activities],
        rules=[(rule, rule_sentence(rule, every)) for rule in rules],
        pending=[a for a in activities if a.approval == Approval.PENDING],
    )


def approval_queue_for(user: User) -> QuerySet[Activity]:
    """Massage activities waiting for approval on open plans the user supervises, of patients whose care
    team the user is on today."""
    if not user.is_clinician:
        return Activity.objects.none()
    on_team = CareTeamMember.objects.active_on(timezone.localdate()).filter(
        patient=OuterRef("plan__patient"), practitioner=user.practitioner
    )
    return (
        _active_activities()
        .filter(
            approval=Approval.PENDING,
            plan__supervising_practitioner=user.practitioner,
            plan__organization_id=user.organization_id,
            plan__status__in=(CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD),
        )
        .filter(Exists(on_team))
        .select_related("plan__patient", "created_by")
        .order_by("created_at", "id")
    )


def massage_orders_for(user: User) -> QuerySet[Activity]:
    """Approved massage activities on active plans of patients whose care team the user (an LMT) is on."""
    if not user.is_clinician:
        return Activity.objects.none()
    on_team = CareTeamMember.objects.active_on(timezone.localdate()).filter(
        patient=OuterRef("plan__patient"), practitioner=user.practitioner
    )
    return (
        _active_activities()
        .filter(
            kind=ActivityKind.MEDICAL_MASSAGE,
            approval=Approval.APPROVED,
            plan__organization_id=user.organization_id,
            plan__status=CarePlanStatus.ACTIVE,
        )
        .filter(Exists(on_team))
        .select_related("plan__patient", "plan__supervising_practitioner__user")
        .prefetch_related(Prefetch("plan__patient__medications"))
        .order_by("plan__patient__family_name", "plan__patient__given_name", "id")
    )


def versions_of(plan: CarePlan) -> QuerySet[PlanVersion]:
    return plan.versions.select_related("created_by").order_by("-number")
