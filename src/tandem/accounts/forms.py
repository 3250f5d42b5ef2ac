"""Forms for the web UI. They present fields and parse input; the services validate the rules and save.

`ServiceForm` is the base of every Tandem form: its fields can come from a model (types, labels, choices and
lengths stay in one place) without ModelForm's model validation, and a service's ValidationError is put
beside the fields it names, so what the person typed stays on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields import BLANK_CHOICE_DASH
from django.forms.models import fields_for_model, model_to_dict

from tandem.accounts.models import Practitioner, Role, User
from tandem.accounts.services import PRACTITIONER_FIELDS

T = TypeVar("T")


class ServiceForm(forms.Form):
    """A form whose rules live in a service. `fieldsets` groups fields under headings on the page."""

    fieldsets: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def add_model_fields(self, model: type[models.Model], names: Iterable[str]) -> None:
        for name, field in fields_for_model(model, fields=list(names)).items():
            if isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs.update({"rows": 3, "cols": 40})
            elif isinstance(field, forms.ChoiceField):
                blank = "Choose…" if field.required else "—"
                field.choices = [
                    (v, blank if (v, label) == BLANK_CHOICE_DASH[0] else label) for v, label in field.choices
                ]
            self.fields[name] = field

    def add_error(self, field: str | None, error: Any) -> None:
        if field is not None and field not in self.fields:
            field = None  # a rule about something not on this form: show it above the form
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                # Screen readers announce the field as invalid and read the message beside it.
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-errors"}
                )

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(None if field == "__all__" else field, errors)
        else:
            self.add_error(None, exc)

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Fields by fieldset, for templates; every field not in a fieldset goes under the first heading."""
        if not self.fieldsets:
            return [("", list(self))]
        placed = {name for _, names in self.fieldsets for name in names}
        rest = [self[name] for name in self.fields if name not in placed]
        groups = [(title, [self[n] for n in names if n in self.fields]) for title, names in self.fieldsets]
        groups[0][1].extend(rest)
        return [(title, fields) for title, fields in groups if fields]


def initial_from(instance: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return model_to_dict(instance, fields=list(names))


def save_with_service(
    form: ServiceForm, action: Callable[[dict[str, Any]], T], *, refresh: models.Model | None = None
) -> T | None:
    """Run `action` (a service call) on the form's cleaned data; None when the form or the service refused.

    Services change their instance in memory before they validate; `refresh` reloads it after a refusal so
    the page does not show values that were never saved.
    """
    if not form.is_bound or not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ValidationError as exc:
        form.add_service_errors(exc)
        if refresh is not None:
            refresh.refresh_from_db()
        return None


class TokenCreateForm(ServiceForm):
    name = forms.CharField(max_length=100, help_text='What uses it, e.g. "Reporting script".')


USER_FORM_FIELDS = ("first_name", "last_name", "email", "role")


class StaffCreateForm(ServiceForm):
    fieldsets = (
        ("Person", ("first_name", "last_name", "email", "username", "role", "password")),
        ("Professional record (clinicians)", PRACTITIONER_FIELDS),
    )

    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; tell the person to change it.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_model_fields(User, ("username", *USER_FORM_FIELDS))
        self.fields["username"].help_text = "Letters, digits and @ . + - _ only."
        for name in ("first_name", "last_name"):
            self.fields[name].required = True
        # The professional record is required for clinicians only; the service says so beside the fields.
        self.add_model_fields(Practitioner, PRACTITIONER_FIELDS)
        for name in PRACTITIONER_FIELDS:
            self.fields[name].required = False
        self.fields["license_state"].help_text = "Two letters, e.g. OR"

    def user_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("username", *USER_FORM_FIELDS)}

    def practitioner_data(self) -> dict[str, Any] | None:
        if self.cleaned_data.get("role") != Role.CLINICIAN:
            return None
        return {name: self.cleaned_data[name] for name in PRACTITIONER_FIELDS}


class StaffUpdateForm(ServiceForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_model_fields(User, (*USER_FORM_FIELDS, "is_active"))
        self.fields["is_active"].label = "Active (may sign in)"
