"""The instrument forms: one question per row, built from the instrument's Questionnaire JSON (labels and
answer options come from the JSON, never from code), for the patient's link, the tablet and paper entry."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone

from tandem.careplans.models import CarePlan
from tandem.outcomes.models import Timepoint
from tandem.outcomes.questionnaires import questionnaire
from tandem.outcomes.scoring import INSTRUMENTS

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
CHOOSE = "Please choose an answer."


@dataclass(frozen=True)
class Question:
    number: int
    name: str  # the field name; a PSFS activity also has a `<name>_name` field
    text: str
    required: bool


def _extension(element: dict[str, Any], url: str) -> Any:
    for extension in element.get("extension", []):
        if extension.get("url") == url:
            return next(v for k, v in extension.items() if k.startswith("value"))
    return None


def _options(item: dict[str, Any]) -> list[tuple[str, str]]:
    if item["type"] == "integer":
        low, high = int(_extension(item, MIN_VALUE)), int(_extension(item, MAX_VALUE))
        return [(str(v), str(v)) for v in range(low, high + 1)]
    return [
        (str(int(_extension(o, ORDINAL))), o["valueCoding"].get("display", o["valueCoding"]["code"]))
        for o in item["answerOption"]
    ]


def _leaves(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if item.get("type") == "group":
            found += _leaves(item.get("item", []))
        elif item.get("type") in ("choice", "integer"):
            found.append(item)
    return found


class MeasureForm(forms.Form):
    """The items of one instrument. `answers()` gives the item values in order (None when unanswered) and
    `activity_names()` the PSFS activities in the patient's words."""

    def __init__(self, code: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code = code
        self.definition = INSTRUMENTS[code]
        self.form_json = questionnaire(code)
        self.questions: list[Question] = []
        self.repeating = self.definition.min_items != self.definition.max_items
        if self.repeating:
            group = self.form_json["item"][0]
            rating = _leaves(group["item"])[0]
            name_text = next(i["text"] for i in group["item"] if i["type"] == "string")
            for number in range(1, self.definition.max_items + 1):
                required = number <= self.definition.min_items
                name = f"activity_{number}"
                self.fields[f"{name}_name"] = forms.CharField(
                    label=f"{name_text} {number}", max_length=200, required=False
                )
                self.fields[name] = forms.ChoiceField(
                    label=rating["text"], choices=_options(rating), widget=forms.RadioSelect, required=False
                )
                self.questions.append(Question(number, name, group["text"], required))
        else:
            for number, item in enumerate(_leaves(self.form_json["item"]), start=1):
                name = f"item_{item['linkId']}"
                self.fields[name] = forms.ChoiceField(
                    label=item.get("text", item["linkId"]),
                    choices=_options(item),
                    widget=forms.RadioSelect,
                    required=bool(item.get("required")),
                    error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
                )
                self.questions.append(
                    Question(number, name, item.get("text", ""), bool(item.get("required")))
                )

    @property
    def title(self) -> str:
        return str(self.form_json.get("title", self.definition.name))

    @property
    def licence_note(self) -> str:
        return str(self.form_json.get("copyright", ""))

    @property
    def rows(self) -> list[dict[str, Any]]:
        """What the template draws: per question its bound field (and PSFS name field), number and total."""
        total = len(self.questions)
        return [
            {
                "question": q,
                "field": self[q.name],
                "name_field": self[f"{q.name}_name"] if self.repeating else None,
                "total": total,
            }
            for q in self.questions
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.repeating:
            filled = 0
            for q in self.questions:
                name, rating = (data.get(f"{q.name}_name") or "").strip(), data.get(q.name)
                if name and not rating:
                    self.add_error(q.name, "Please rate this activity.")
                elif rating and not name:
                    self.add_error(f"{q.name}_name", "Please name the activity you rated.")
                elif name and rating:
                    filled += 1
            if filled < self.definition.min_items and not self.errors:
                raise forms.ValidationError(
                    f"Please name and rate at least {self.definition.min_items} activities."
                )
        return data

    def answers(self) -> list[int | None]:
        data = self.cleaned_data
        if self.repeating:
            return [int(data[q.name]) for q in self.questions if data.get(q.name)]
        return [int(data[q.name]) if data.get(q.name) not in (None, "") else None for q in self.questions]

    def activity_names(self) -> list[str]:
        if not self.repeating:
            return []
        data = self.cleaned_data
        return [data[f"{q.name}_name"].strip() for q in self.questions if data.get(q.name)]


class PaperForm(MeasureForm):
    """A paper form typed in by a clinician: the items plus when it was filled and for which plan."""

    def __init__(self, code: str, *args: Any, plans: list[CarePlan], **kwargs: Any) -> None:
        super().__init__(code, *args, **kwargs)
        self.fields["authored_on"] = forms.DateField(
            label="Filled in on",
            initial=timezone.localdate,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["timepoint"] = forms.ChoiceField(
            label="Timepoint", choices=Timepoint.choices, initial=Timepoint.FOLLOW_UP
        )
        self.fields["plan"] = forms.TypedChoiceField(
            label="Plan of care",
            choices=[("", "No plan")] + [(str(p.pk), p.title) for p in plans],
            coerce=int,
            required=False,
            empty_value=None,
        )
        self.plans = {p.pk: p for p in plans}

    def clean_authored_on(self) -> datetime.date:
        on: datetime.date = self.cleaned_data["authored_on"]
        if on > timezone.localdate():
            raise forms.ValidationError("The form cannot have been filled in the future.")
        return on

    def authored_at(self) -> datetime.datetime:
        on: datetime.date = self.cleaned_data["authored_on"]
        if on == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(datetime.datetime.combine(on, datetime.time(12, 0)))

    def plan(self) -> CarePlan | None:
        chosen = self.cleaned_data.get("plan")
        return self.plans.get(chosen) if chosen else None


class LinkForm(forms.Form):
    """Send a link or open the tablet form: which instrument, and optionally for which plan and timepoint."""

    instrument = forms.ChoiceField(choices=[(c, d.name) for c, d in INSTRUMENTS.items()])
    timepoint = forms.ChoiceField(choices=Timepoint.choices, initial=Timepoint.FOLLOW_UP)
    plan = forms.IntegerField(required=False, min_value=1)


class ScheduleForm(forms.Form):
    """A plan's measures: which instruments, and when (baseline, every N visits or weeks, discharge)."""

    plan = forms.IntegerField(min_value=1)
    instruments = forms.MultipleChoiceField(
        choices=[(c, d.name) for c, d in INSTRUMENTS.items()], widget=forms.CheckboxSelectMultiple
    )
    at_baseline = forms.BooleanField(required=False, initial=True)
    repeat = forms.ChoiceField(
        choices=[("", "No follow-ups"), ("visits", "every N visits"), ("weeks", "every N weeks")],
        required=False,
    )
    every = forms.IntegerField(required=False, min_value=1, max_value=52)
    at_discharge = forms.BooleanField(required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("repeat") and not data.get("every"):
            self.add_error("every", "How many visits or weeks apart?")
        return data

    def intervals(self) -> dict[str, int | None]:
        data = self.cleaned_data
        every = data.get("every") if data.get("repeat") else None
        return {
            "every_visits": every if data.get("repeat") == "visits" else None,
            "every_weeks": every if data.get("repeat") == "weeks" else None,
        }
