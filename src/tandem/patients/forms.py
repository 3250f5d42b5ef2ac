"""Forms of the patient pages. Field types and labels come from the models; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.forms import ServiceForm
from tandem.accounts.models import Practitioner
from tandem.patients.models import (
    AllergyIntolerance,
    CareTeamRole,
    Condition,
    MedicationStatement,
    Patient,
)
from tandem.patients.services import ALLERGY_FIELDS, CONDITION_FIELDS, MEDICATION_FIELDS, PATIENT_FIELDS


class PatientForm(ServiceForm):
    fieldsets = (
        ("Name", ("given_name", "family_name", "preferred_name")),
        ("Birth and language", ("birth_date", "sex", "preferred_language")),
        ("Contact", ("phone", "email", "address_line", "city", "state", "postal_code")),
        (
            "Emergency contact",
            ("emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone"),
        ),
        ("Record", ("mrn", "active")),
    )

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = [name for name in PATIENT_FIELDS if not (creating and name == "active")]
        self.add_model_fields(Patient, ["mrn", *names] if creating else names)
        if creating:
            self.fields["mrn"].required = False
            self.fields["mrn"].help_text = "Leave empty and Tandem assigns the next number."
        self.fields["birth_date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["state"].help_text = "Two letters, e.g. OR"
        self.fields["emergency_contact_name"].label = "Name"
        self.fields["emergency_contact_relationship"].label = "Relationship"
        self.fields["emergency_contact_phone"].label = "Phone"
        for name in ("phone", "emergency_contact_phone"):
            self.fields[name].widget.input_type = "tel"

    def service_data(self) -> tuple[dict[str, Any], str]:
        """The patient's fields and, on registration, the MRN typed (or "")."""
        data = dict(self.cleaned_data)
        return data, data.pop("mrn", "") or ""


class ConditionForm(ServiceForm):
    fieldsets = (
        ("Diagnosis", ("code", "text", "category")),
        ("Where", ("body_site", "laterality")),
        ("Status", ("clinical_status", "verification_status", "onset_on")),
        ("Evidence and notes", ("evidence", "note")),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_model_fields(Condition, CONDITION_FIELDS)
        # Longer than a code, so that words can be typed to search; the service checks the code itself.
        code = self.fields["code"] = forms.CharField(
            label="ICD-10-CM code",
            max_length=80,
            help_text="Type a code or words (e.g. “lumbar disc”) and pick a billable code.",
        )
        suggestions = "id_code-suggestions"
        # Typing asks the server for matching billable codes (htmx); a click on one fills the field
        # (static/js/tandem.js). The service checks the code again on save, whatever was typed.
        code.suggest_id = suggestions  # type: ignore[attr-defined]
        code.widget.attrs.update(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "code-input",
                "hx-get": reverse("icd10_search"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{suggestions}",
                "hx-sync": "this:replace",
                "aria-controls": suggestions,
            }
        )
        self.fields["text"].required = False
        self.fields["text"].label = "Description"
        self.fields["text"].help_text = "Leave empty to use the code's ICD-10-CM description."
        self.fields["body_site"].help_text = "Spine, head and trunk take no side; limbs need one."
        self.fields["onset_on"].label = "Onset"


class MedicationForm(ServiceForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_model_fields(MedicationStatement, MEDICATION_FIELDS)
        self.fields["started_on"].label = "Started"
        self.fields[
            "medication"
        ].help_text = (
            "Generic or brand name, e.g. warfarin. Risk flags (anticoagulant …) follow from the name."
        )


class AllergyForm(ServiceForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_model_fields(AllergyIntolerance, ALLERGY_FIELDS)


class CareTeamAddForm(ServiceForm):
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), empty_label="Choose a practitioner"
    )
    role = forms.ChoiceField(choices=CareTeamRole.choices, initial=CareTeamRole.MEMBER)
    started_on = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty means today.",
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["practitioner"]
        assert isinstance(field, forms.ModelChoiceField)
        # Only this clinic's active practitioners; the service checks again when saving.
        field.queryset = (
            Practitioner.objects.filter(user__organization_id=patient.organization_id, user__is_active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        field.label_from_instance = lambda p: f"{p.display_name} · {p.get_discipline_display()}"


class CareTeamEndForm(ServiceForm):
    ended_on = forms.DateField(
        label="Last day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty means today.",
    )


class BreakGlassForm(ServiceForm):
    mrn = forms.CharField(label="MRN", max_length=20, help_text="The patient's medical record number.")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=10,
        error_messages={"min_length": "State the reason for emergency access (at least 10 characters)."},
        help_text="Why you need this chart now. It is recorded and shown to the patient's lead clinician.",
    )
