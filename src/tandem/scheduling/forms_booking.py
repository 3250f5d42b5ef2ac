"""Forms of the plan-booking, waitlist, availability and calendar-feed pages.

They present fields and parse input; the services (services.py, booking.py) validate the rules and save, and
their refusals are put beside the fields they name (ServiceForm).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from tandem.accounts.forms import ServiceForm
from tandem.accounts.models import Location, Practitioner
from tandem.core.vocabularies import DISCIPLINES
from tandem.scheduling.models import Weekday

METHOD_CHOICES = [
    ("cp-sat", "Best plan (CP-SAT optimizer, a few seconds)"),
    ("greedy", "Quick plan (greedy, instant)"),
]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
WINDOWS_PER_DAY = 2
MAX_WEEKS = 26  # booking.MAX_WEEKS; booking.py loads the optimizer, which a form does not need
WEEKDAYS = list(Weekday)


def _locations(organization_id: int | None) -> Any:
    return Location.objects.filter(organization_id=organization_id).order_by("name")


class PlanBookingForm(ServiceForm):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), empty_label=None)
    starts_on = forms.DateField(
        label="Start on", widget=DATE, help_text="Nothing is proposed before this day."
    )
    method = forms.ChoiceField(label="Optimizer", choices=METHOD_CHOICES, initial="cp-sat")

    def __init__(self, *args: Any, organization_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations(organization_id)  # type: ignore[attr-defined]


class LocationOptimiseForm(ServiceForm):
    starts_on = forms.DateField(label="Start on", widget=DATE)
    weeks = forms.IntegerField(min_value=1, max_value=MAX_WEEKS, initial=6)
    method = forms.ChoiceField(label="Optimizer", choices=METHOD_CHOICES, initial="cp-sat")


class WaitlistForm(ServiceForm):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), empty_label=None)
    discipline = forms.ChoiceField(choices=[("", "Choose…"), *[(d.code, d.label) for d in DISCIPLINES]])
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, empty_label="Anyone", label="With"
    )
    minutes = forms.IntegerField(label="Length (minutes)", min_value=10, max_value=240, initial=30)
    earliest_on = forms.DateField(label="From", widget=DATE)
    latest_on = forms.DateField(label="Until", widget=DATE)
    note = forms.CharField(
        max_length=300,
        required=False,
        help_text="For the front desk, e.g. “mornings only”. No clinical content.",
    )

    def __init__(self, *args: Any, organization_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations(organization_id)  # type: ignore[attr-defined]
        self.fields["practitioner"].queryset = (  # type: ignore[attr-defined]
            Practitioner.objects.filter(user__organization_id=organization_id, user__is_active=True)
            .select_related("user")
            .order_by("discipline", "user__last_name")
        )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["location"] = data["location"].pk
        data["practitioner"] = data["practitioner"].pk if data.get("practitioner") else ""
        return data


class WorkingWeekForm(ServiceForm):
    """A practitioner's week: per weekday a location, a start and end, and an optional break."""

    PARTS = ("starts_at", "ends_at", "break_starts_at", "break_ends_at")

    def __init__(self, *args: Any, organization_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in WEEKDAYS:
            self.fields[f"{day.value}-location"] = forms.ModelChoiceField(
                queryset=_locations(organization_id), required=False, empty_label="—", label="Location"
            )
            for part in self.PARTS:
                self.fields[f"{day.value}-{part}"] = forms.TimeField(
                    required=False, widget=TIME, label=part.replace("_", " ").replace(" at", "")
                )

    def rows(self) -> list[dict[str, Any]]:
        """One row per weekday for the grid: its label and bound fields."""
        return [
            {
                "weekday": day,
                "location": self[f"{day.value}-location"],
                **{part: self[f"{day.value}-{part}"] for part in self.PARTS},
            }
            for day in WEEKDAYS
        ]

    def day_data(self, weekday: int) -> dict[str, Any]:
        cleaned = self.cleaned_data
        return {
            "location": cleaned.get(f"{weekday}-location"),
            **{part: cleaned.get(f"{weekday}-{part}") for part in self.PARTS},
        }


class TimeOffForm(ServiceForm):
    starts_at = forms.DateTimeField(label="Away from", widget=MOMENT)
    ends_at = forms.DateTimeField(label="Back at", widget=MOMENT)
    reason = forms.CharField(max_length=200, required=False, help_text="e.g. Holiday, course.")


class PatientAvailabilityForm(ServiceForm):
    """Up to two windows per weekday; all empty means any time the clinic is open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in WEEKDAYS:
            for n in range(WINDOWS_PER_DAY):
                for part in ("starts_at", "ends_at"):
                    self.fields[f"{day.value}-{n}-{part}"] = forms.TimeField(
                        required=False, widget=TIME, label=f"{day.label} {part.replace('_at', '')}"
                    )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "weekday": day,
                "windows": [
                    (self[f"{day.value}-{n}-starts_at"], self[f"{day.value}-{n}-ends_at"])
                    for n in range(WINDOWS_PER_DAY)
                ],
            }
            for day in WEEKDAYS
        ]

    def windows(self) -> list[dict[str, object]]:
        """The windows filled in, for patient_availability_set (a half-filled one: the service refuses it)."""
        out: list[dict[str, object]] = []
        for day in WEEKDAYS:
            for n in range(WINDOWS_PER_DAY):
                starts = self.cleaned_data.get(f"{day.value}-{n}-starts_at")
                ends = self.cleaned_data.get(f"{day.value}-{n}-ends_at")
                if starts or ends:
                    out.append({"weekday": day.value, "starts_at": starts, "ends_at": ends, "slot": n})
        return out

    def add_service_errors(self, exc: Any) -> None:
        """The service names windows by their position in the list (windows.3.ends_at): map back to fields."""
        if not hasattr(exc, "error_dict"):
            return super().add_service_errors(exc)
        filled = self.windows()
        for key, errors in exc.error_dict.items():
            parts = key.split(".")
            if (
                len(parts) == 3
                and parts[0] == "windows"
                and parts[1].isdigit()
                and int(parts[1]) < len(filled)
            ):
                window = filled[int(parts[1])]
                self.add_error(f"{window['weekday']}-{window['slot']}-{parts[2]}", errors)
            else:
                self.add_error(None, errors)
        return None


def availability_initial(rows: Any) -> dict[str, datetime.time]:
    initial: dict[str, datetime.time] = {}
    used: dict[int, int] = {}
    for row in rows:
        n = used.get(row.weekday, 0)
        if n >= WINDOWS_PER_DAY:
            continue
        used[row.weekday] = n + 1
        initial[f"{row.weekday}-{n}-starts_at"] = row.starts_at
        initial[f"{row.weekday}-{n}-ends_at"] = row.ends_at
    return initial


class CalendarFeedForm(ServiceForm):
    subject = forms.ChoiceField(label="Calendar of", choices=[])
    mrn = forms.CharField(
        label="Patient MRN",
        max_length=20,
        required=False,
        help_text="For a patient's calendar, e.g. D0000001.",
    )

    def __init__(self, *args: Any, is_practitioner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("patient", "A patient (by MRN)")]
        if is_practitioner:
            choices.insert(0, ("practitioner", "Me (my appointments)"))
        self.fields["subject"].choices = choices  # type: ignore[attr-defined]
