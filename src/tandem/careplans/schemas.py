"""API shapes for plans of care, goals, activities, sequence rules and versions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from tandem.careplans.models import Activity, CarePlan, SequenceRule
from tandem.careplans.services import activity_label, rule_sentence

# Inputs take defaults for every field: the access check runs before the services say what is missing, so
# a caller who may not see the patient gets 404 whatever the body, never a validation answer.


class CarePlanIn(Schema):
    title: str = Field("", max_length=200)
    description: str = ""
    supervising_practitioner: int | None = None
    period_start_on: datetime.date | None = None
    period_end_on: datetime.date | None = None
    problems: list[int] = []
    based_on_referral: int | None = None


class CarePlanPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    supervising_practitioner: int | None = None
    period_start_on: datetime.date | None = None
    period_end_on: datetime.date | None = None
    problems: list[int] | None = None
    based_on_referral: int | None = None
    status: str | None = None


class GoalIn(Schema):
    description: str = Field("", max_length=300)
    measure: str = Field("", max_length=100)
    baseline_value: Decimal | None = None
    target_value: Decimal | None = None
    direction: str = ""
    due_on: datetime.date | None = None
    lifecycle_status: str = "proposed"


class GoalPatch(Schema):
    description: str | None = Field(None, min_length=1, max_length=300)
    measure: str | None = Field(None, min_length=1, max_length=100)
    baseline_value: Decimal | None = None
    target_value: Decimal | None = None
    direction: str | None = None
    due_on: datetime.date | None = None
    lifecycle_status: str | None = None


class GoalOut(Schema):
    id: int
    plan_id: int
    description: str
    measure: str
    baseline_value: float | None
    target_value: float | None
    direction: str
    due_on: datetime.date | None
    lifecycle_status: str


class ExerciseIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    sets: int
    repetitions: int
    notes: str = ""


class ActivityIn(Schema):
    kind: str = ""
    discipline: str = ""
    techniques: list[str] = []
    body_sites: list[str] = []
    technique_notes: str = ""
    exercises: list[ExerciseIn] = []
    massage_pressure: str = ""
    visits_per_week: int | None = None
    weeks: int | None = None
    visit_minutes: int | None = None
    preferred_practitioner: int | None = None
    status: str = "not-started"
    override_reason: str = ""


class ActivityPatch(Schema):
    kind: str | None = None
    discipline: str | None = None
    techniques: list[str] | None = None
    body_sites: list[str] | None = None
    technique_notes: str | None = None
    exercises: list[ExerciseIn] | None = None
    massage_pressure: str | None = None
    visits_per_week: int | None = None
    weeks: int | None = None
    visit_minutes: int | None = None
    preferred_practitioner: int | None = None
    status: str | None = None
    override_reason: str = ""


class ActivityRemove(Schema):
    status: str = "cancelled"


class ActivityOut(Schema):
    id: int
    plan_id: int
    label: str
    discipline: str
    kind: str
    techniques: list[str]
    body_sites: list[str]
    technique_notes: str
    exercises: list[dict[str, Any]]
    massage_pressure: str
    visits_per_week: int
    weeks: int
    visit_minutes: int
    preferred_practitioner: int | None = Field(None, alias="preferred_practitioner_id")
    status: str
    approval: str
    approved_by: int | None = Field(None, alias="approved_by_id")
    approved_at: datetime.datetime | None
    override_reason: str

    @staticmethod
    def resolve_label(obj: Activity) -> str:
        return activity_label(obj)


class SequenceRuleIn(Schema):
    first_activity: int | None = None
    second_activity: int | None = None
    relation: str = ""
    min_gap_minutes: int | None = None
    max_gap_minutes: int | None = None


class SequenceRuleOut(Schema):
    id: int
    plan_id: int
    first_activity: int = Field(alias="first_activity_id")
    second_activity: int = Field(alias="second_activity_id")
    relation: str
    min_gap_minutes: int | None
    max_gap_minutes: int | None
    removed_at: datetime.datetime | None
    text: str

    @staticmethod
    def resolve_text(obj: SequenceRule) -> str:
        return rule_sentence(obj, obj.plan.activities.all())


class CarePlanOut(Schema):
    id: int
    patient_id: int
    title: str
    description: str
    status: str
    supervising_practitioner: int = Field(alias="supervising_practitioner_id")
    supervising_practitioner_name: str
    period_start_on: datetime.date
    period_end_on: datetime.date | None
    problems: list[int]
    based_on_referral: int | None = Field(None, alias="based_on_referral_id")
    version_number: int
    created_at: datetime.datetime

    @staticmethod
    def resolve_supervising_practitioner_name(obj: CarePlan) -> str:
        return obj.supervising_practitioner.display_name

    @staticmethod
    def resolve_problems(obj: CarePlan) -> list[int]:
        return sorted(c.pk for c in obj.problems.all())


class CarePlanDetailOut(CarePlanOut):
    goals: list[GoalOut]
    activities: list[ActivityOut]
    sequence_rules: list[SequenceRuleOut]

    @staticmethod
    def resolve_goals(obj: CarePlan) -> list[Any]:
        return list(obj.goals.order_by("id"))

    @staticmethod
    def resolve_activities(obj: CarePlan) -> list[Any]:
        return list(obj.activities.order_by("id"))

    @staticmethod
    def resolve_sequence_rules(obj: CarePlan) -> list[Any]:
        return list(obj.sequence_rules.filter(removed_at__isnull=True).order_by("id"))


class VersionOut(Schema):
    number: int
    created_at: datetime.datetime
    created_by: str
    change_summary: str

    @staticmethod
    def resolve_created_by(obj: Any) -> str:
        return str(obj.created_by.display_name)


class VersionDetailOut(VersionOut):
    snapshot: dict[str, Any]


class FieldChangeOut(Schema):
    field: str
    before: Any
    after: Any


class ChangeOut(Schema):
    section: str
    id: str | None
    label: str
    change: str
    fields: list[FieldChangeOut]


class CompareOut(Schema):
    a: VersionDetailOut
    b: VersionDetailOut
    changes: list[ChangeOut]
