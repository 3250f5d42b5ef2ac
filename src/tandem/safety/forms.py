"""Forms for the safety pages. They parse input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.accounts.forms import ServiceForm
from tandem.core.vocabularies import BODY_SITES
from tandem.safety.vocabulary import PATIENT_FACTORS, RED_FLAG_GROUPS, RED_FLAGS

SITE_CHOICES = [("", "Whole body / not sited"), *((c.code, c.label) for c in BODY_SITES)]


def _red_flag_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (title, [(flag.code, flag.label) for flag in RED_FLAGS if flag.suspect == group])
        for group, title in RED_FLAG_GROUPS
    ]


def site_field_name(factor: str) -> str:
    return f"site__{factor}"


class ScreeningForm(ServiceForm):
    """Red flags (grouped by what they suggest) and patient factors, each factor with an optional site."""

    red_flags = forms.MultipleChoiceField(
        choices=_red_flag_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Red flags present",
        help_text="Tick every red flag the patient reports or shows; any one recommends urgent referral.",
    )
    factors = forms.MultipleChoiceField(
        choices=[(f.code, f.label) for f in PATIENT_FACTORS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Patient factors",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 40}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for factor in PATIENT_FACTORS:
            field = forms.ChoiceField(choices=SITE_CHOICES, required=False, label=f"Site of {factor.label}")
            self.fields[site_field_name(factor.code)] = field

    def factor_rows(self) -> list[tuple[str, str, bool, forms.BoundField]]:
        """(code, label, ticked, site field) per factor, for the factor table."""
        ticked = set(self["factors"].value() or [])
        return [(f.code, f.label, f.code in ticked, self[site_field_name(f.code)]) for f in PATIENT_FACTORS]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "red_flags": list(data["red_flags"]),
            "factors": [
                {"factor": code, "body_site": data.get(site_field_name(code)) or ""}
                for code in data["factors"]
            ],
            "notes": data["notes"],
        }
