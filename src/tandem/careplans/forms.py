"""Forms of the plan builder. They present and parse; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from tandem.accounts.forms import ServiceForm
from tandem.accounts.models import Discipline, Practitioner
from tandem.careplans.access import EDITING_DISCIPLINES
from tandem.careplans.measures import INSTRUMENTS
from tandem.careplans.models import (
    KIND_OF_DISCIPLINE,
    PLAN_STATUS_MOVES,
    Activity,
    ActivityStatus,
    CarePlan,
    CarePlanStatus,
    Goal,
    GoalDirection,
    GoalLifecycleStatus,
    MassagePressure,
    SequenceRelation,
)
from tandem.careplans.services import activity_label
from tandem.core.ids import parse_id
from tandem.core.vocabularies import BODY_SITES, SPINAL_REGIONS_FOR_CMT, techniques_of
from tandem.patients.models import CareTeamMember, Condition, Patient
from tandem.referrals.models import Referral

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def team_practitioners(patient: Patient, disciplines: tuple[str, ...]) -> Any:
    today = timezone.localdate()
    ids = CareTeamMember.objects.active_on(today).filter(patient=patient).values("practitioner_id")
    return (
        Practitioner.objects.filter(pk__in=ids, discipline__in=disciplines)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


class _BoundedChoice(forms.ModelChoiceField):
    """A choice of one object whose submitted id is checked to fit the database first (10**30 is invalid)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not hasattr(value, "pk"):
            try:
                parse_id(value)
            except ValueError:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        return super().to_python(value)


class _BoundedMultipleChoice(forms.ModelMultipleChoiceField):
    """Several objects; every submitted id is checked to fit the database first (10**30 is invalid)."""

    def _check_values(self, value: Any) -> Any:
        for item in value:
            try:
                parse_id(item)
            except (ValueError, TypeError):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                ) from None
        return super()._check_values(value)


class _PractitionerChoice(_BoundedChoice):
    def label_from_instance(self, obj: Practitioner) -> str:
        return f"{obj.display_name} · {obj.get_discipline_display()}"


class CarePlanForm(ServiceForm):
    fieldsets = (
        ("Episode", ("title", "description", "supervising_practitioner", "status")),
        ("Period", ("period_start_on", "period_end_on")),
        ("Problems", ("problems", "based_on_referral")),
    )

    title = forms.CharField(
        max_length=200, help_text="The episode, e.g. “Low back pain — concurrent care, Nov 2026”."
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    supervising_practitioner = _PractitionerChoice(
        queryset=Practitioner.objects.none(),
        empty_label="Choose the supervising DC or PT",
        help_text="Owns the plan and approves massage activities.",
    )
    period_start_on = forms.DateField(label="Starts", widget=DATE, required=False, help_text="Empty: today.")
    period_end_on = forms.DateField(label="Ends", widget=DATE, required=False)
    problems = _BoundedMultipleChoice(
        queryset=Condition.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    based_on_referral = _BoundedChoice(
        label="Based on referral", queryset=Referral.objects.none(), required=False, empty_label="None"
    )

    def __init__(self, *args: Any, patient: Patient, plan: CarePlan | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        supervisor = self.fields["supervising_practitioner"]
        assert isinstance(supervisor, forms.ModelChoiceField)
        supervisor.queryset = team_practitioners(patient, EDITING_DISCIPLINES)
        problems = self.fields["problems"]
        assert isinstance(problems, forms.ModelMultipleChoiceField)
        problems.queryset = Condition.objects.filter(patient=patient).order_by("code")
        problems.label_from_instance = lambda c: f"{c.code} {c.text}"
        referral = self.fields["based_on_referral"]
        assert isinstance(referral, forms.ModelChoiceField)
        referral.queryset = Referral.objects.filter(patient=patient).order_by("-created_at")
        # A new plan starts as a draft; an existing one offers its status and the legal moves from it
        # (PLAN_STATUS_MOVES) except activation, which has its own button.
        choices = []
        if plan is not None:
            moves = PLAN_STATUS_MOVES[plan.status] - {CarePlanStatus.ACTIVE}
            choices = [c for c in CarePlanStatus.choices if c[0] == plan.status or c[0] in moves]
        if choices:
            self.fields["status"] = forms.ChoiceField(
                choices=choices, help_text="Activate a draft or held plan with the Activate button."
            )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["problems"] = list(data["problems"])
        if not data.get("period_start_on"):
            data.pop("period_start_on", None)
        return data


class GoalForm(ServiceForm):
    fieldsets = (
        ("Goal", ("description", "measure", "direction")),
        ("Target", ("baseline_value", "target_value", "due_on", "lifecycle_status")),
    )

    description = forms.CharField(max_length=300, help_text="e.g. “Less disability from low back pain”.")
    measure = forms.CharField(
        max_length=100,
        help_text="An instrument code ("
        + ", ".join(INSTRUMENTS)
        + ") or words for another measure. An instrument decides the direction.",
    )
    direction = forms.ChoiceField(
        choices=[("", "Set by the instrument"), *GoalDirection.choices], required=False
    )
    baseline_value = forms.DecimalField(label="Baseline", required=False, max_digits=7, decimal_places=2)
    target_value = forms.DecimalField(label="Target", required=False, max_digits=7, decimal_places=2)
    due_on = forms.DateField(label="Due", widget=DATE, required=False)
    lifecycle_status = forms.ChoiceField(
        label="Status", choices=GoalLifecycleStatus.choices, initial=GoalLifecycleStatus.PROPOSED
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].widget.attrs["list"] = "goal-measures"


def goal_initial(goal: Goal) -> dict[str, Any]:
    return {name: getattr(goal, name) for name in GoalForm.base_fields}


def _site_choices(discipline: str) -> list[tuple[str, str]]:
    if discipline == Discipline.CHIROPRACTIC:
        return [(c.code, c.label) for c in BODY_SITES if c.code in SPINAL_REGIONS_FOR_CMT]
    return [(c.code, c.label) for c in BODY_SITES]


def parse_exercises(text: str) -> list[dict[str, Any]]:
    """One exercise a line: “name; sets; repetitions; notes”."""
    exercises = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) < 3 or len(parts) > 4 or not parts[0]:
            raise ValidationError(f"Line {number}: write “name; sets; repetitions; notes”.")
        try:
            sets, repetitions = int(parts[1]), int(parts[2])
        except ValueError:
            raise ValidationError(f"Line {number}: sets and repetitions are whole numbers.") from None
        notes = parts[3] if len(parts) == 4 else ""
        exercises.append({"name": parts[0], "sets": sets, "repetitions": repetitions, "notes": notes})
    return exercises


def exercises_text(exercises: list[dict[str, Any]]) -> str:
    lines = []
    for e in exercises:
        line = f"{e['name']}; {e['sets']}; {e['repetitions']}"
        lines.append(line + (f"; {e['notes']}" if e.get("notes") else ""))
    return "\n".join(lines)


class ActivityForm(ServiceForm):
    """The discipline decides the kind, the techniques and the body sites offered; picking it reloads the
    form (htmx), and every change of technique or site asks the safety engine for findings."""

    fieldsets = (
        ("What", ("discipline", "techniques", "body_sites")),
        ("Details", ("technique_notes", "exercises", "massage_pressure")),
        ("How often", ("visits_per_week", "weeks", "visit_minutes", "preferred_practitioner", "status")),
        ("Safety", ("override_reason",)),
    )

    discipline = forms.ChoiceField(choices=[("", "Choose…"), *Discipline.choices])
    techniques = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple)
    body_sites = forms.MultipleChoiceField(
        label="Body sites", choices=[], widget=forms.CheckboxSelectMultiple
    )
    technique_notes = forms.CharField(
        label="Technique notes", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    exercises = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line: name; sets; repetitions; notes — e.g. “Bird dog; 3; 10; slow and controlled”.",
    )
    massage_pressure = forms.ChoiceField(
        label="Pressure", choices=[("", "—"), *MassagePressure.choices], required=False
    )
    visits_per_week = forms.IntegerField(label="Visits a week", min_value=1, max_value=7)
    weeks = forms.IntegerField(min_value=1, max_value=52)
    visit_minutes = forms.IntegerField(label="Minutes a visit", min_value=5, max_value=180)
    preferred_practitioner = _PractitionerChoice(
        queryset=Practitioner.objects.none(), required=False, empty_label="Anyone of the discipline"
    )
    override_reason = forms.CharField(
        label="Reason to go ahead despite a precaution",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the safety check finds a precaution; only the plan's supervisor may give it.",
    )

    def __init__(self, *args: Any, patient: Patient, activity: Activity | None = None, **kwargs: Any) -> None:
        if args and args[0] is not None:
            # The checkboxes post `technique` (the safety check's field name) for the `techniques` field.
            data = args[0].copy()
            data.setlist("techniques", data.getlist("technique"))
            args = (data, *args[1:])
        super().__init__(*args, **kwargs)
        discipline = str(self.data.get("discipline") or self.initial.get("discipline") or "")
        self.discipline_value = discipline if discipline in Discipline.values else ""
        self.fields["techniques"].choices = [(t.code, t.label) for t in techniques_of(self.discipline_value)]  # type: ignore[attr-defined]
        self.fields["body_sites"].choices = (
            _site_choices(self.discipline_value) if self.discipline_value else []
        )  # type: ignore[attr-defined]
        preferred = self.fields["preferred_practitioner"]
        assert isinstance(preferred, forms.ModelChoiceField)
        preferred.queryset = team_practitioners(patient, (self.discipline_value,))
        if self.discipline_value != Discipline.CHIROPRACTIC:
            del self.fields["technique_notes"]
        if self.discipline_value != Discipline.PHYSICAL_THERAPY:
            del self.fields["exercises"]
        if self.discipline_value != Discipline.MASSAGE_THERAPY:
            del self.fields["massage_pressure"]
        else:
            self.fields["massage_pressure"].required = True
        if activity is not None:
            self.fields["status"] = forms.ChoiceField(
                choices=[c for c in ActivityStatus.choices if c[0] not in ("cancelled", "entered-in-error")]
            )
        self.fields["discipline"].widget.attrs["class"] = "discipline-picker"

    def clean_exercises(self) -> list[dict[str, Any]]:
        return parse_exercises(self.cleaned_data.get("exercises") or "")

    def add_service_errors(self, exc: ValidationError) -> None:
        # The safety engine's findings go beside the techniques and sites they are about.
        if hasattr(exc, "error_dict") and "safety" in exc.error_dict:
            errors = dict(exc.error_dict)
            findings = errors.pop("safety")
            self.add_error("techniques", findings)
            if errors:
                super().add_service_errors(ValidationError(errors))
            return
        super().add_service_errors(exc)

    def service_data(self) -> tuple[dict[str, Any], str]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "override_reason"}
        data["kind"] = KIND_OF_DISCIPLINE.get(data.get("discipline", ""), "")
        for name, empty in (("technique_notes", ""), ("exercises", []), ("massage_pressure", "")):
            data.setdefault(name, empty)
        return data, self.cleaned_data.get("override_reason") or ""


def activity_initial(activity: Activity) -> dict[str, Any]:
    return {
        "discipline": activity.discipline,
        "techniques": list(activity.techniques),
        "body_sites": list(activity.body_sites),
        "technique_notes": activity.technique_notes,
        "exercises": exercises_text(activity.exercises),
        "massage_pressure": activity.massage_pressure,
        "visits_per_week": activity.visits_per_week,
        "weeks": activity.weeks,
        "visit_minutes": activity.visit_minutes,
        "preferred_practitioner": activity.preferred_practitioner_id,
        "status": activity.status,
        "override_reason": activity.override_reason,
    }


class SequenceRuleForm(ServiceForm):
    first_activity = forms.ChoiceField(label="First")
    relation = forms.ChoiceField(choices=SequenceRelation.choices)
    second_activity = forms.ChoiceField(label="Second")
    min_gap_minutes = forms.IntegerField(
        label="Shortest gap (minutes)", required=False, min_value=0, max_value=240
    )
    max_gap_minutes = forms.IntegerField(
        label="Longest gap (minutes)",
        required=False,
        min_value=0,
        max_value=240,
        help_text="“Immediately before”: empty means no gap. “Within … after”: the most minutes allowed.",
    )

    def __init__(self, *args: Any, activities: list[Activity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose…"), *((str(a.pk), activity_label(a)) for a in activities)]
        self.fields["first_activity"].choices = choices  # type: ignore[attr-defined]
        self.fields["second_activity"].choices = choices  # type: ignore[attr-defined]
