"""Administered outcome measures (DESIGN.md §5): the patient's answers as a FHIR QuestionnaireResponse, the
score as an Observation, the single-use links that let a patient answer without signing in, and each plan's
schedule of measures.

Responses and scores are append-only in spirit: nothing here is edited after it is written. A correction is
a new response that names the one it replaces (`replaces`); the replaced one stays, marked by the reverse
relation `replaced_by`.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tandem.accounts.models import Location, Organization, Practitioner, User
from tandem.careplans.models import CarePlan
from tandem.patients.models import Patient


class ResponseSource(models.TextChoices):
    """How the answers reached the clinic."""

    PATIENT_LINK = "patient-link", "Patient link"
    TABLET = "tablet", "Clinic tablet"
    PAPER = "paper", "Paper form"
    API = "api", "API"


class Timepoint(models.TextChoices):
    """Where in the episode of care a measure was taken."""

    BASELINE = "baseline", "Baseline"
    FOLLOW_UP = "follow-up", "Follow-up"
    DISCHARGE = "discharge", "Discharge"


class LinkChannel(models.TextChoices):
    LINK = "link", "Link sent to the patient"
    TABLET = "tablet", "Clinic tablet"


class MeasureRequest(models.Model):
    """A single-use, expiring link to one instrument for one patient (FHIR Task). Only a SHA-256 digest of the
    token is stored, as for API tokens; the token itself is shown once, in the URL."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measure_requests")
    plan = models.ForeignKey(
        CarePlan, on_delete=models.PROTECT, related_name="measure_requests", null=True, blank=True
    )
    instrument = models.CharField(max_length=20)
    timepoint = models.CharField(max_length=20, choices=Timepoint.choices, default=Timepoint.FOLLOW_UP)
    channel = models.CharField(max_length=10, choices=LinkChannel.choices, default=LinkChannel.LINK)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="link_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} link {self.prefix}…"

    @staticmethod
    def digest_of(token: str) -> str:
        # 256 random bits per token: a fast hash is enough, there is nothing to brute-force.
        return hashlib.sha256(token.encode()).hexdigest()

    def is_open(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.used_at is None and self.expires_at > moment  # type: ignore[operator]


class Response(models.Model):
    """FHIR QuestionnaireResponse: one completed (or partly completed) instrument."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcome_responses")
    plan = models.ForeignKey(
        CarePlan, on_delete=models.PROTECT, related_name="outcome_responses", null=True, blank=True
    )
    instrument = models.CharField(max_length=20)
    questionnaire_version = models.CharField(max_length=20)
    questionnaire_response = models.JSONField(help_text="The FHIR R4 QuestionnaireResponse as answered.")
    answers = models.JSONField(help_text="Item values in the questionnaire's order, null when unanswered.")
    authored_at = models.DateTimeField(help_text="QuestionnaireResponse.authored")
    source = models.CharField(max_length=20, choices=ResponseSource.choices)
    timepoint = models.CharField(max_length=20, choices=Timepoint.choices, default=Timepoint.FOLLOW_UP)
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    request = models.OneToOneField(
        MeasureRequest, on_delete=models.PROTECT, related_name="response", null=True, blank=True
    )
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, related_name="replaced_by", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-authored_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "authored_at"], name="response_patient_instr")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source__in=["paper", "api"]) | Q(entered_by__isnull=False),
                name="response_entered_by_staff",
            ),
            models.CheckConstraint(
                condition=~Q(source__in=["patient-link", "tablet"]) | Q(request__isnull=False),
                name="response_link_has_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.timepoint} {self.authored_at:%Y-%m-%d}"


class Score(models.Model):
    """FHIR Observation: the score of one response, at full precision (`value`, and `exact` as a fraction
    such as "320/9"); display rounding is tandem.outcomes.scoring.for_display's job."""

    response = models.OneToOneField(Response, on_delete=models.PROTECT, related_name="score")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcome_scores")
    plan = models.ForeignKey(
        CarePlan, on_delete=models.PROTECT, related_name="outcome_scores", null=True, blank=True
    )
    instrument = models.CharField(max_length=20)
    timepoint = models.CharField(max_length=20, choices=Timepoint.choices)
    effective_at = models.DateTimeField(help_text="Observation.effectiveDateTime (the response's authored)")
    loinc_code = models.CharField(
        max_length=20, blank=True, help_text="Observation.code, where LOINC has one"
    )
    value = models.FloatField(null=True, blank=True, help_text="None when the response cannot be scored")
    exact = models.CharField(max_length=60, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    band = models.CharField(max_length=40, blank=True)
    items_answered = models.PositiveSmallIntegerField()
    items_total = models.PositiveSmallIntegerField()
    valid = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    raw_sum = models.IntegerField(null=True, blank=True)
    mcid_key = models.CharField(max_length=60, blank=True, help_text="The instrument's default MCID then")
    policy = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-effective_at", "-id"]
        indexes = [models.Index(fields=["patient", "instrument", "effective_at"], name="score_patient_instr")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(valid=True) | Q(value__isnull=False), name="score_valid_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.value} ({self.band or 'no band'})"


class MeasureSchedule(models.Model):
    """When a plan's measures are due: at baseline (the plan starts), every N finished visits of the plan or
    every N weeks, and at discharge (the plan completes)."""

    plan = models.OneToOneField(CarePlan, on_delete=models.PROTECT, related_name="measure_schedule")
    instruments = models.JSONField(default=list)
    at_baseline = models.BooleanField(default=True)
    every_visits = models.PositiveSmallIntegerField(null=True, blank=True)
    every_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    at_discharge = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(every_visits__isnull=True) | Q(every_weeks__isnull=True),
                name="schedule_visits_or_weeks",
            ),
            models.CheckConstraint(
                condition=(Q(every_visits__isnull=True) | Q(every_visits__gte=1))
                & (Q(every_weeks__isnull=True) | Q(every_weeks__gte=1)),
                name="schedule_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Measures of plan {self.plan_id}: {', '.join(self.instruments)}"


class PlanSummary(models.Model):
    """Derived data for the clinic's evidence (tandem.outcomes.episodes): per plan, what the episode query
    reads besides the scores, so that it reads one row per plan instead of every encounter. From the finished
    visits (the encounters of its activities): three discipline flags, their count and their location (the
    lowest location id when there are several); from the plan: its patient, its supervising practitioner and
    the body site of its problems (the first by name; blank when none has one). Rebuilt for a whole clinic at
    once by services.plan_summary_refresh (a huey task every 10 minutes, `tandem refresh_evidence`), so a
    visit finished or cancelled, or a plan changed, since `refreshed_at` counts from the next refresh. Every
    plan of the clinic has a row (visits 0 when none is finished)."""

    plan = models.OneToOneField(CarePlan, on_delete=models.CASCADE, related_name="evidence_summary")
    # The plan's clinic, copied so that a refresh replaces and the page dates one clinic's rows directly.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    supervisor = models.ForeignKey(
        Practitioner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body_site = models.CharField(max_length=20, blank=True)  # patients.Condition.body_site
    dc = models.BooleanField()
    pt = models.BooleanField()
    lmt = models.BooleanField()
    visits = models.PositiveIntegerField()
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "refreshed_at"], name="plan_summary_org_time"),
            # The episode query reads a clinic's plans in plan order, beside the score index in the same order
            # (a merge join: the scores stay in the order of its window, no sort).
            models.Index(fields=["organization", "plan", "visits"], name="plan_summary_org_plan"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.plan_id}: {self.visits} finished visit(s), {self.refreshed_at:%Y-%m-%d %H:%M}"
