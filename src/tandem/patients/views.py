"""Patient pages: list and search, registration, the chart, and the forms that change it.

Every patient object is fetched through an access function (404 for anybody who may not see it); every change
goes through a service, whose ValidationError is shown beside the fields of the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.forms import ServiceForm, initial_from, save_with_service
from tandem.accounts.models import Role, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_read, audit_record
from tandem.core.http import bound_data as _bound
from tandem.core.http import request_user as _user
from tandem.patients import icd10, services
from tandem.patients.access import (
    Purpose,
    access_allergy,
    access_care_team_member,
    access_condition,
    access_medication,
    access_patient,
    access_patient_for_break_glass,
    can_edit_demographics,
    can_manage_care_team,
    on_care_team,
)
from tandem.patients.forms import (
    AllergyForm,
    BreakGlassForm,
    CareTeamAddForm,
    CareTeamEndForm,
    ConditionForm,
    MedicationForm,
    PatientForm,
)
from tandem.patients.models import BreakGlassAccess, Patient
from tandem.patients.selectors import break_glass_for_lead, care_team_for_patient, patient_list_for_user
from tandem.patients.selectors import patient_chart as chart_for
from tandem.patients.services import ALLERGY_FIELDS, CONDITION_FIELDS, MEDICATION_FIELDS, PATIENT_FIELDS

PATIENTS_PER_PAGE = 25


def _can_register(user: User) -> bool:
    return user.role in (Role.FRONT_DESK, Role.CLINIC_ADMIN) or user.is_clinician


def _form_page(
    request: HttpRequest,
    *,
    form: ServiceForm,
    action: Callable[[dict[str, Any]], Any],
    patient: Patient,
    title: str,
    saved_message: Callable[[Any], str],
    refresh: models.Model | None = None,
    template: str = "patients/item_form.html",
) -> HttpResponse:
    """Show a form for one patient; on a valid submission run the service and go back to the chart.

    The form shows patient data (at least the name and MRN, and the record being edited), so showing it is a
    read that goes into the audit trail.
    """
    if request.method == "GET":
        subject = refresh if refresh is not None else patient
        audit_read(
            actor=request.user,
            object_type=type(subject).__name__,
            object_id=subject.pk,
            patient_id=patient.pk,
            detail="form",
        )
    saved = save_with_service(form, action, refresh=refresh)
    if saved is not None:
        messages.success(request, saved_message(saved))
        return redirect("patient_chart", patient.pk)
    return render(request, template, {"form": form, "patient": patient, "title": title})


# List and search ----------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("patient_list")


@login_required
@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(patient_list_for_user(user, query), PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    # Showing a list of patients is a read of patient data, whoever asks and whatever they typed.
    audit_record(actor=user, action=AuditAction.EXECUTE, object_type="Patient", detail=f"search: {query}")
    today = timezone.localdate()
    context = {
        "page": page,
        "rows": [(p, p.age_on(today)) for p in page],
        "q": query,
        "query": urlencode({"q": query}) if query else "",
        "can_register": _can_register(user),
        # Lazy: only the full page (not the live-search rows) shows who opened the user's patients' charts.
        "emergency_openings": break_glass_for_lead(user)[:5],
    }
    # The live search swaps in only the rows; a reload or a history restore gets the whole page.
    fragment = request.htmx and not request.htmx.history_restore_request  # type: ignore[attr-defined]
    response = render(
        request, "patients/_patient_rows.html" if fragment else "patients/patient_list.html", context
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


# Demographics -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not _can_register(user):
        raise Http404("No such page.")
    form = PatientForm(_bound(request), creating=True)

    def register(data: dict[str, Any]) -> Patient:
        fields, mrn = form.service_data()
        return services.patient_create(actor=user, data=fields, mrn=mrn)

    patient = save_with_service(form, register)
    if patient is not None:
        messages.success(request, f"{patient.full_name} is registered with MRN {patient.mrn}.")
        return redirect("patient_chart", patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@login_required
@require_http_methods(["GET", "POST"])
def patient_update(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.DEMOGRAPHICS)
    if not can_edit_demographics(user, patient):
        raise Http404("No such patient.")
    form = PatientForm(_bound(request), initial=initial_from(patient, PATIENT_FIELDS))
    return _form_page(
        request,
        form=form,
        patient=patient,
        refresh=patient,
        title="Edit demographics",
        action=lambda data: services.patient_update(actor=user, patient=patient, data=data),
        saved_message=lambda p: f"Saved {p.full_name}'s details.",
        template="patients/patient_form.html",
    )


# The chart ----------------------------------------------------------------------------------------


@login_required
@require_GET
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Clinicians see the clinical chart; front desk and administrators demographics and care team only."""
    user = _user(request)
    if not user.is_clinician:
        return _demographics_page(request, user, patient_id)
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    chart = chart_for(user=user, patient=patient)
    context = {
        "patient": patient,
        "chart": chart,
        "today": timezone.localdate(),
        "active_allergies": [a for a in chart.allergies if a.clinical_status == "active"],
        "age": patient.age_on(timezone.localdate()),
        "emergency_grant": _emergency_grant(user, patient),
        "can_edit_demographics": can_edit_demographics(user, patient),
        "can_manage_care_team": can_manage_care_team(user, patient),
    }
    return render(request, "patients/patient_chart.html", context)


def _demographics_page(request: HttpRequest, user: User, patient_id: int) -> HttpResponse:
    patient = access_patient(user, patient_id, Purpose.DEMOGRAPHICS)
    audit_read(
        actor=user, object_type="Patient", object_id=patient.pk, patient_id=patient.pk, detail="demographics"
    )
    context = {
        "patient": patient,
        "care_team": care_team_for_patient(patient),
        "today": timezone.localdate(),
        "age": patient.age_on(timezone.localdate()),
        "can_edit_demographics": can_edit_demographics(user, patient),
        "can_manage_care_team": can_manage_care_team(user, patient),
    }
    return render(request, "patients/patient_detail.html", context)


def _emergency_grant(user: User, patient: Patient) -> BreakGlassAccess | None:
    """The break-the-glass grant this chart is open under, if the user is not on the care team."""
    if on_care_team(user, patient):
        return None
    grants = BreakGlassAccess.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now())
    return grants.order_by("-expires_at").first()


# Conditions, medications, allergies ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def condition_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    return _form_page(
        request,
        form=ConditionForm(_bound(request)),
        patient=patient,
        title="Add a condition",
        action=lambda data: services.condition_create(actor=user, patient=patient, data=data),
        saved_message=lambda c: f"Added {c.code} {c.text}.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def condition_update(request: HttpRequest, condition_id: int) -> HttpResponse:
    user = _user(request)
    condition = access_condition(user, condition_id)
    form = ConditionForm(_bound(request), initial=initial_from(condition, CONDITION_FIELDS))
    return _form_page(
        request,
        form=form,
        patient=condition.patient,
        refresh=condition,
        title=f"Edit {condition.code}",
        action=lambda data: services.condition_update(actor=user, condition=condition, data=data),
        saved_message=lambda c: f"Saved {c.code} {c.text}.",
    )


def _medication_saved(medication: Any) -> str:
    flags = ", ".join(medication.risk_flags)
    return f"Saved {medication.medication}" + (f" — risk flags: {flags}." if flags else ".")


@login_required
@require_http_methods(["GET", "POST"])
def medication_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    return _form_page(
        request,
        form=MedicationForm(_bound(request)),
        patient=patient,
        title="Add a medication",
        action=lambda data: services.medication_create(actor=user, patient=patient, data=data),
        saved_message=_medication_saved,
    )


@login_required
@require_http_methods(["GET", "POST"])
def medication_update(request: HttpRequest, medication_id: int) -> HttpResponse:
    user = _user(request)
    medication = access_medication(user, medication_id)
    form = MedicationForm(_bound(request), initial=initial_from(medication, MEDICATION_FIELDS))
    return _form_page(
        request,
        form=form,
        patient=medication.patient,
        refresh=medication,
        title=f"Edit {medication.medication}",
        action=lambda data: services.medication_update(actor=user, medication=medication, data=data),
        saved_message=_medication_saved,
    )


@login_required
@require_http_methods(["GET", "POST"])
def allergy_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    return _form_page(
        request,
        form=AllergyForm(_bound(request)),
        patient=patient,
        title="Add an allergy or intolerance",
        action=lambda data: services.allergy_create(actor=user, patient=patient, data=data),
        saved_message=lambda a: f"Saved allergy to {a.substance}.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def allergy_update(request: HttpRequest, allergy_id: int) -> HttpResponse:
    user = _user(request)
    allergy = access_allergy(user, allergy_id)
    form = AllergyForm(_bound(request), initial=initial_from(allergy, ALLERGY_FIELDS))
    return _form_page(
        request,
        form=form,
        patient=allergy.patient,
        refresh=allergy,
        title=f"Edit allergy to {allergy.substance}",
        action=lambda data: services.allergy_update(actor=user, allergy=allergy, data=data),
        saved_message=lambda a: f"Saved allergy to {a.substance}.",
    )


@login_required
@require_GET
def icd10_search(request: HttpRequest) -> HttpResponse:
    """Suggestions for the ICD-10-CM picker: billable codes matching what was typed into the code field."""
    query = (request.GET.get("q") or request.GET.get("code") or "").strip()[:80]
    codes = icd10.search(query, limit=12) if len(query) >= 2 else []
    return render(request, "patients/_icd10_suggestions.html", {"codes": codes, "query": query})


# Care team ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def care_team_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.DEMOGRAPHICS)
    if not can_manage_care_team(user, patient):
        raise Http404("No such patient.")
    return _form_page(
        request,
        form=CareTeamAddForm(_bound(request), patient=patient),
        patient=patient,
        title="Add to the care team",
        action=lambda data: services.care_team_add(actor=user, patient=patient, **data),
        saved_message=lambda m: (
            f"{m.practitioner.display_name} joined the care team ({m.get_role_display()})."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_team_end(request: HttpRequest, member_id: int) -> HttpResponse:
    user = _user(request)
    member = access_care_team_member(user, member_id)
    if not can_manage_care_team(user, member.patient) or member.ended_on is not None:
        raise Http404("No such membership.")
    return _form_page(
        request,
        form=CareTeamEndForm(_bound(request)),
        patient=member.patient,
        refresh=member,
        title=f"End {member.practitioner.display_name}'s membership",
        action=lambda data: services.care_team_end(actor=user, member=member, ended_on=data["ended_on"]),
        saved_message=lambda m: (
            f"{m.practitioner.display_name}'s membership ends on {formats.date_format(m.ended_on)}."
        ),
    )


# Break the glass ----------------------------------------------------------------------------------


def _open_emergency_access(user: User, mrn: str, reason: str) -> BreakGlassAccess:
    patient_id = (
        Patient.objects.filter(organization_id=user.organization_id, mrn__iexact=mrn.strip())
        .values_list("pk", flat=True)
        .first()
    )
    try:
        # Audits the refusal when there is no such patient in the user's clinic.
        patient = access_patient_for_break_glass(user, patient_id if patient_id else f"mrn:{mrn}")
    except Http404:
        raise ValidationError({"mrn": f"No patient of this clinic has MRN {mrn}."}) from None
    return services.break_glass_open(actor=user, patient=patient, reason=reason)


@login_required
@require_http_methods(["GET", "POST"])
def break_glass_open(request: HttpRequest) -> HttpResponse:
    """Emergency access: a clinician opens a chart outside their care teams, stating why. Audited."""
    user = _user(request)
    if not user.is_clinician:
        raise Http404("No such page.")
    form = BreakGlassForm(_bound(request))
    grant = save_with_service(form, lambda data: _open_emergency_access(user, data["mrn"], data["reason"]))
    if grant is not None:
        until = formats.time_format(timezone.localtime(grant.expires_at), "H:i")
        messages.warning(
            request, f"Emergency access to {grant.patient.full_name} until {until}; it is audited."
        )
        return redirect("patient_chart", grant.patient_id)
    return render(request, "patients/break_glass.html", {"form": form})
