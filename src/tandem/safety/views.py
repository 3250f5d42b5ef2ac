"""Safety pages: intake screening form and detail, and the live findings fragment for the plan builder."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.forms import save_with_service
from tandem.audit.services import audit_read
from tandem.core.http import request_user as _user
from tandem.patients.access import access_patient
from tandem.patients.models import Patient
from tandem.safety import services
from tandem.safety.access import access_screening
from tandem.safety.engine import PlannedActivity, UnknownCodes
from tandem.safety.forms import ScreeningForm
from tandem.safety.models import IntakeScreening
from tandem.safety.presenters import finding_rows, screening_summary


def urgent_referral_url(patient: Patient, screening: IntakeScreening) -> str:
    """The referrals app's new-referral form, prefilled as urgent; "" until that app provides the URL."""
    try:
        base = reverse("referral_create", args=[patient.pk])
    except NoReverseMatch:
        return ""
    summary = screening_summary(screening)
    reason = "Red flags at intake screening: " + "; ".join(summary.red_flags)
    return f"{base}?{urlencode({'urgency': 'urgent', 'reason': reason[:500]})}"


@login_required
@require_http_methods(["GET", "POST"])
def screening_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id)
    form = ScreeningForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        audit_read(
            actor=user, object_type="Patient", object_id=patient.pk, patient_id=patient.pk, detail="form"
        )
    screening = save_with_service(
        form, lambda data: services.screening_record(actor=user, patient=patient, data=form.service_data())
    )
    if screening is not None:
        if screening.urgent_referral_recommended:
            messages.warning(request, "Red flags recorded: an urgent referral is recommended.")
        else:
            messages.success(request, "Screening recorded: no red flags.")
        return redirect("screening_detail", screening.pk)
    return render(request, "safety/screening_form.html", {"form": form, "patient": patient})


@login_required
@require_http_methods(["GET"])
def screening_detail(request: HttpRequest, screening_id: int) -> HttpResponse:
    user = _user(request)
    screening = access_screening(user, screening_id)
    audit_read(
        actor=user, object_type="IntakeScreening", object_id=screening.pk, patient_id=screening.patient_id
    )
    patient = screening.patient
    context = {
        "patient": patient,
        "screening": screening,
        "summary": screening_summary(screening),
        "referral_url": urgent_referral_url(patient, screening),
        "age": patient.age_on(timezone.localdate()),
    }
    return render(request, "safety/screening_detail.html", context)


@login_required
@require_POST
def safety_check_fragment(request: HttpRequest) -> HttpResponse:
    """Live findings for one technique on some body sites (form fields patient, technique, body_sites and
    optionally pressure or massage_pressure, no pressure meaning not stated, and subject, e.g.
    "careplan-activity:12", to mark the precautions already overridden for it)."""
    user = _user(request)
    patient = access_patient(user, request.POST.get("patient", ""))
    technique = request.POST.get("technique", "").strip()
    sites = tuple(site for site in request.POST.getlist("body_sites") if site)
    pressure = (request.POST.get("pressure") or request.POST.get("massage_pressure") or "").strip()
    context: dict[str, Any] = {"patient": patient, "technique": technique, "rows": [], "error": ""}
    if technique:
        try:
            findings = services.safety_check(
                patient=patient, activities=[PlannedActivity(technique, sites, pressure)]
            )
        except UnknownCodes as exc:
            context["error"] = (
                "Unknown code: " + ", ".join(exc.techniques + exc.body_sites + exc.pressures) + "."
            )
        else:
            subject = request.POST.get("subject", "").strip()
            context["rows"] = finding_rows(findings, patient, subject)
            audit_read(
                actor=user,
                object_type="SafetyCheck",
                object_id=patient.pk,
                patient_id=patient.pk,
                detail=f"{technique}@{'+'.join(sites) or '*'}" + (f"/{pressure}" if pressure else ""),
            )
    return render(request, "safety/_findings.html", context)
