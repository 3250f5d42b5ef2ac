"""Forms of the calendar pages: book one visit, move one, cancel one. The services hold the rules."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from tandem.accounts.forms import ServiceForm
from tandem.accounts.models import Practitioner, Room
from tandem.careplans.models import Activity
from tandem.scheduling.selectors import practitioner_list_for_clinic, room_list_for_discipline
from tandem.scheduling.services import MAX_VISIT_MINUTES, MIN_VISIT_MINUTES, local


def _moment_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 900}, format="%Y-%m-%dT%H:%M"),
        help_text="Clinic time, on the quarter hour.",
        error_messages={"invalid": "Give a date and time, e.g. 2026-12-01 09:30."},
    )


def _minutes_field(required: bool) -> forms.IntegerField:
    return forms.IntegerField(
        required=required,
        min_value=MIN_VISIT_MINUTES,
        max_value=MAX_VISIT_MINUTES,
        widget=forms.NumberInput(attrs={"step": 5}),
    )


class PractitionerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Practitioner) -> str:  # type: ignore[override]
        return f"{obj.display_name} ({obj.get_discipline_display()})"


class RoomChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Room) -> str:  # type: ignore[override]
        equipment = ", ".join(code.replace("-", " ") for code in obj.equipment or [])
        return f"{obj.location.name} · {obj.name}" + (f" ({equipment})" if equipment else "")


class ActivityChoice(forms.ModelChoiceField):
    # Disciplines and lengths only: the front desk books plan visits too and never sees clinical content.
    def label_from_instance(self, obj: Activity) -> str:  # type: ignore[override]
        return f"{obj.get_discipline_display()}, {obj.visit_minutes} min (plan #{obj.plan_id}, item {obj.pk})"


class AppointmentBookForm(ServiceForm):
    """One visit. The room list shows the rooms with the equipment the practitioner's discipline needs."""

    fieldsets = (("Visit", ("practitioner", "room", "starts_at", "minutes", "activity", "note")),)

    def __init__(
        self,
        *args: Any,
        organization_id: int,
        activities: list[Activity],
        discipline: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"] = PractitionerChoice(
            queryset=practitioner_list_for_clinic(organization_id), empty_label="Choose…"
        )
        self.fields["room"] = RoomChoice(
            queryset=room_list_for_discipline(organization_id, discipline), empty_label="Choose…"
        )
        self.fields["room"].help_text = "Rooms with the equipment the practitioner's discipline needs."
        self.fields["starts_at"] = _moment_field("Starts")
        self.fields["minutes"] = _minutes_field(required=False)
        self.fields["minutes"].help_text = "Optional with a plan activity: its visit length is used."
        self.fields["minutes"].not_optional = True  # type: ignore[attr-defined]
        self.fields["activity"] = ActivityChoice(
            queryset=Activity.objects.filter(pk__in=[a.pk for a in activities]).select_related("plan"),
            required=False,
            empty_label="— not part of a plan",
            label="Plan of care activity",
        )
        self.fields["note"] = forms.CharField(
            max_length=300, required=False, help_text="For the front desk; no clinical content."
        )

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "practitioner": data["practitioner"],
            "room": data["room"],
            "starts_at": data["starts_at"],
            "minutes": data.get("minutes") or "",
            "activity": data["activity"].pk if data.get("activity") else "",
            "note": data.get("note") or "",
        }


class AppointmentMoveForm(ServiceForm):
    """A new time, and optionally another practitioner of the same discipline or another room."""

    def __init__(self, *args: Any, appointment: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "starts_at": local(appointment.starts_at).replace(tzinfo=None),
                "practitioner": appointment.practitioner_id,
                "room": appointment.room_id,
                "minutes": appointment.minutes,
            },
        )
        super().__init__(*args, **kwargs)
        org = appointment.organization_id
        self.fields["starts_at"] = _moment_field("New start")
        self.fields["practitioner"] = PractitionerChoice(
            queryset=practitioner_list_for_clinic(org, appointment.discipline), empty_label=None
        )
        self.fields["room"] = RoomChoice(
            queryset=room_list_for_discipline(org, appointment.discipline), empty_label=None
        )
        self.fields["minutes"] = _minutes_field(required=True)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "starts_at": data["starts_at"],
            "practitioner": data["practitioner"],
            "room": data["room"],
            "minutes": data["minutes"],
        }


class ReasonForm(ServiceForm):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text="e.g. the patient called in sick. No clinical content.",
    )


def parse_day(value: str | None) -> datetime.date | None:
    """A YYYY-MM-DD date, or None when absent or not a real date."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None
