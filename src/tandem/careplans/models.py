"""The shared plan of care (DESIGN.md §1.3): one plan per episode, owned by a supervising DC or PT, with
goals, the activities of every discipline, their same-day sequence, and a version for every change.

Names and status values follow FHIR R4 CarePlan and Goal.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from tandem.accounts.models import Discipline, Organization, Practitioner, User
from tandem.careplans.measures import instrument
from tandem.core.models import TimeStampedModel
from tandem.core.vocabularies import BODY_SITES, TECHNIQUES, label
from tandem.patients.models import Condition, Patient


class CarePlanStatus(models.TextChoices):
    """FHIR R4 request-status (CarePlan.status)."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    REVOKED = "revoked", "Revoked"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


# The legal moves of a plan's status (FHIR R4 request-status state machine). "active" is reached through
# careplan_activate only; a closed plan can only be said to have been entered in error.
PLAN_STATUS_MOVES: dict[str, frozenset[str]] = {
    CarePlanStatus.DRAFT: frozenset(
        {CarePlanStatus.ACTIVE, CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR}
    ),
    CarePlanStatus.ACTIVE: frozenset(
        {
            CarePlanStatus.ON_HOLD,
            CarePlanStatus.REVOKED,
            CarePlanStatus.COMPLETED,
            CarePlanStatus.ENTERED_IN_ERROR,
        }
    ),
    CarePlanStatus.ON_HOLD: frozenset(
        {CarePlanStatus.ACTIVE, CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR}
    ),
    CarePlanStatus.REVOKED: frozenset({CarePlanStatus.ENTERED_IN_ERROR}),
    CarePlanStatus.COMPLETED: frozenset({CarePlanStatus.ENTERED_IN_ERROR}),
    CarePlanStatus.ENTERED_IN_ERROR: frozenset(),
}
# Largest version number (PositiveIntegerField) the databases can hold.
MAX_VERSION_NUMBER = 2**31 - 1


class CarePlan(TimeStampedModel):
    """FHIR CarePlan: one episode of care for one patient, owned by its supervising practitioner."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="care_plans")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_plans")
    title = models.CharField(
        max_length=200, help_text="The episode, e.g. “Low back pain — concurrent care, Nov 2026”."
    )
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=CarePlanStatus.choices, default=CarePlanStatus.DRAFT)
    supervising_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="supervised_care_plans"
    )
    period_start_on = models.DateField()
    period_end_on = models.DateField(null=True, blank=True)
    problems = models.ManyToManyField(Condition, blank=True, related_name="care_plans")
    based_on_referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="care_plans"
    )
    version_number = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            # One active plan per episode: the same title (any case) may be active only once per patient.
            models.UniqueConstraint(
                F("patient"),
                Lower("title"),
                condition=Q(status="active"),
                name="careplan_one_active_per_episode",
            ),
            models.CheckConstraint(
                condition=Q(period_end_on__isnull=True) | Q(period_end_on__gte=F("period_start_on")),
                name="careplan_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="careplan_patient_status_idx")]

    def __str__(self) -> str:
        return self.title


class GoalLifecycleStatus(models.TextChoices):
    """FHIR R4 goal-status (Goal.lifecycleStatus)."""

    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    ACCEPTED = "accepted", "Accepted"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    REJECTED = "rejected", "Rejected"


class GoalDirection(models.TextChoices):
    DECREASE = "decrease", "Decrease (lower is better)"
    INCREASE = "increase", "Increase (higher is better)"


class GoalAchievement(models.TextChoices):
    """FHIR R4 goal-achievement (Goal.achievementStatus); set from the outcome scores by
    tandem.outcomes.goals (blank until a score can judge the goal)."""

    IN_PROGRESS = "in-progress", "In progress"
    IMPROVING = "improving", "Improving"
    WORSENING = "worsening", "Worsening"
    NO_CHANGE = "no-change", "No change"
    ACHIEVED = "achieved", "Achieved"
    NOT_ACHIEVED = "not-achieved", "Not achieved"


class Goal(TimeStampedModel):
    """FHIR Goal: a measurable target, e.g. ODI 48 → ≤ 30 in six weeks."""

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="goals")
    description = models.CharField(max_length=300)
    measure = models.CharField(
        max_length=100, help_text="An instrument (nprs, odi, ndi, rmdq, quickdash, psfs, lefs) or free text."
    )
    baseline_value = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    target_value = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    direction = models.CharField(max_length=10, choices=GoalDirection.choices, blank=True)
    due_on = models.DateField(null=True, blank=True)
    lifecycle_status = models.CharField(
        max_length=20, choices=GoalLifecycleStatus.choices, default=GoalLifecycleStatus.PROPOSED
    )
    achievement_status = models.CharField(max_length=20, choices=GoalAchievement.choices, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]

    @property
    def patient_id(self) -> int:
        return self.plan.patient_id

    @property
    def unit(self) -> str:
        """The unit of the goal's values as written ("%" for ODI and NDI goals); "" for free-text measures."""
        found = instrument(self.measure)
        return "" if found is None or found.unit == "points" else found.unit

    def __str__(self) -> str:
        return self.description


class ActivityKind(models.TextChoices):
    CHIROPRACTIC_ADJUSTMENT = "chiropractic-adjustment", "Chiropractic adjustment"
    THERAPEUTIC_EXERCISE = "therapeutic-exercise", "Therapeutic exercise"
    MEDICAL_MASSAGE = "medical-massage", "Medical massage"


KIND_OF_DISCIPLINE: dict[str, str] = {
    Discipline.CHIROPRACTIC: ActivityKind.CHIROPRACTIC_ADJUSTMENT,
    Discipline.PHYSICAL_THERAPY: ActivityKind.THERAPEUTIC_EXERCISE,
    Discipline.MASSAGE_THERAPY: ActivityKind.MEDICAL_MASSAGE,
}
DISCIPLINE_OF_KIND: dict[str, str] = {kind: discipline for discipline, kind in KIND_OF_DISCIPLINE.items()}


class ActivityStatus(models.TextChoices):
    """FHIR R4 care-plan-activity-status."""

    NOT_STARTED = "not-started", "Not started"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    STOPPED = "stopped", "Stopped"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


REMOVED_ACTIVITY_STATUSES = (ActivityStatus.CANCELLED, ActivityStatus.ENTERED_IN_ERROR)


class Approval(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    NOT_REQUIRED = "not-required", "Not required"


class MassagePressure(models.TextChoices):
    LIGHT = "light", "Light"
    MODERATE = "moderate", "Moderate"
    FIRM = "firm", "Firm"
    DEEP = "deep", "Deep"


class Activity(TimeStampedModel):
    """FHIR CarePlan.activity: what one discipline does, how often and for how long."""

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="activities")
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    kind = models.CharField(max_length=30, choices=ActivityKind.choices)
    techniques = models.JSONField(default=list, blank=True, help_text="Technique codes of the discipline.")
    body_sites = models.JSONField(
        default=list, blank=True, help_text="Body-site codes; spinal regions for adjustments."
    )
    technique_notes = models.TextField(blank=True, help_text="Adjustment technique notes.")
    exercises = models.JSONField(default=list, blank=True, help_text="[{name, sets, repetitions, notes}]")
    massage_pressure = models.CharField(max_length=10, choices=MassagePressure.choices, blank=True)
    visits_per_week = models.PositiveSmallIntegerField()
    weeks = models.PositiveSmallIntegerField()
    visit_minutes = models.PositiveSmallIntegerField()
    preferred_practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(
        max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.NOT_STARTED
    )
    approval = models.CharField(max_length=15, choices=Approval.choices, default=Approval.NOT_REQUIRED)
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(
        blank=True, help_text="The supervising clinician's reason for going ahead despite a precaution."
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approval="approved", approved_by__isnull=False, approved_at__isnull=False)
                | (~Q(approval="approved") & Q(approved_by__isnull=True, approved_at__isnull=True)),
                name="careplan_activity_approval_recorded",
            ),
        ]

    @property
    def patient_id(self) -> int:
        return self.plan.patient_id

    @property
    def is_removed(self) -> bool:
        return self.status in REMOVED_ACTIVITY_STATUSES

    @property
    def technique_labels(self) -> list[str]:
        return [label(TECHNIQUES, code) for code in self.techniques]  # type: ignore[arg-type]

    @property
    def body_site_labels(self) -> list[str]:
        return [label(BODY_SITES, code) for code in self.body_sites]

    @property
    def title(self) -> str:
        """e.g. “Medical massage (deep tissue massage, lumbar spine)”."""
        details = [t.lower() for t in self.technique_labels] + [s.lower() for s in self.body_site_labels]
        kind = self.get_kind_display()
        return f"{kind} ({', '.join(details)})" if details else kind

    def __str__(self) -> str:
        return self.title


class SequenceRelation(models.TextChoices):
    IMMEDIATELY_BEFORE = "immediately-before", "Immediately before"
    WITHIN_AFTER = "within-after", "Within … minutes after"
    SAME_DAY = "same-day", "Same day"
    NOT_SAME_DAY = "not-same-day", "Not on the same day"


class SequenceRule(TimeStampedModel):
    """How two activities of a plan fall on the same day; data for the scheduler.

    `immediately-before`: the second starts when the first ends, after a gap of min..max minutes (0..0 by
    default). `within-after`: the second starts at most max_gap minutes after the first ends.
    Removing a rule stamps `removed_at`; the row stays, as the plan's versions refer to it.
    """

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="sequence_rules")
    first_activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+")
    second_activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(max_length=20, choices=SequenceRelation.choices)
    min_gap_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    max_gap_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_activity=F("second_activity")), name="careplan_rule_two_activities"
            ),
            models.CheckConstraint(
                condition=Q(min_gap_minutes__isnull=True)
                | Q(max_gap_minutes__isnull=True)
                | Q(min_gap_minutes__lte=F("max_gap_minutes")),
                name="careplan_rule_gap_ordered",
            ),
        ]

    @property
    def patient_id(self) -> int:
        return self.plan.patient_id

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class PlanVersion(models.Model):
    """A snapshot of the whole plan after one change, with a summary of that change."""

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    snapshot = models.JSONField()
    change_summary = models.CharField(max_length=500)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="planversion_number_unique")]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"
