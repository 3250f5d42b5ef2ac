"""Outcome measures in the browser: the patient's form behind a single-use link (no sign-in), and the
clinician's actions from the chart (send a link, hand over the tablet, type in a paper form)."""

from __future__ import annotations

import re
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.careplans.models import CarePlan
from tandem.outcomes.access import access_patient_for_links, access_patient_measures, access_plan_measures
from tandem.outcomes.forms import LinkForm, MeasureForm, PaperForm, ScheduleForm
from tandem.outcomes.models import LinkChannel, Timepoint
from tandem.outcomes.report import render_report_pdf
from tandem.outcomes.scoring import INSTRUMENTS
from tandem.outcomes.services import (
    MEASURABLE_PLAN_STATUSES,
    LinkUnavailable,
    measure_link_create,
    measure_link_find,
    measure_link_use,
    response_record,
    schedule_set,
)
from tandem.patients.models import Patient


def _errors_into(form: MeasureForm, exc: ValidationError) -> None:
    for field, problems in exc.message_dict.items():
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


def _unavailable(request: HttpRequest, problem: LinkUnavailable) -> HttpResponse:
    return render(
        request, "outcomes/link_unavailable.html", {"message": problem.message}, status=problem.status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def measure_fill(request: HttpRequest, token: str) -> HttpResponse:
    """The patient form: no sign-in, the link is the key. Shows nothing of the patient but the first name."""
    try:
        link = measure_link_find(token)
    except LinkUnavailable as problem:
        return _unavailable(request, problem)
    form = MeasureForm(link.instrument, request.POST if request.method == "POST" else None)
    if request.method == "GET":
        audit_read(
            actor=request.user if request.user.is_authenticated else None,
            object_type="MeasureRequest",
            object_id=link.pk,
            patient_id=link.patient_id,
            detail=f"{link.instrument} form opened ({link.channel})",
        )
    elif form.is_valid():
        try:
            measure_link_use(token=token, answers=form.answers(), activity_names=form.activity_names())
        except LinkUnavailable as problem:
            return _unavailable(request, problem)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            return render(request, "outcomes/thanks.html", {"first_name": _first_name(link.patient)})
    status = 422 if form.is_bound else 200
    context = {"form": form, "first_name": _first_name(link.patient), "expires_at": link.expires_at}
    return render(request, "outcomes/fill.html", context, status=status)


def _first_name(patient: Patient) -> str:
    return patient.preferred_name or patient.given_name


def _plan_of(patient: Patient, plan_id: int | None) -> CarePlan | None:
    if plan_id is None:
        return None
    return CarePlan.objects.filter(pk=plan_id, patient=patient).first()


def _link_from_post(request: HttpRequest, patient: Patient, channel: str) -> tuple[object, str] | None:
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an instrument to send.")
        return None
    plan_id = form.cleaned_data.get("plan")
    plan = _plan_of(patient, plan_id)
    if plan_id is not None and plan is None:
        messages.error(request, "That plan of care is not this patient's.")
        return None
    try:
        return measure_link_create(
            actor=cast(User, request.user),
            patient=patient,
            instrument_code=form.cleaned_data["instrument"],
            plan=plan,
            timepoint=form.cleaned_data["timepoint"],
            channel=channel,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return None


@login_required
@require_POST
def measure_link_send(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Make a single-use link and show it once, to copy into a message to the patient."""
    patient = access_patient_for_links(cast(User, request.user), patient_id)
    made = _link_from_post(request, patient, LinkChannel.LINK)
    if made is None:
        return redirect(reverse("patient_chart", args=[patient.pk]) + "#outcomes")
    link, token = made
    url = request.build_absolute_uri(reverse("measure_fill", args=[token]))
    return render(request, "outcomes/link_created.html", {"patient": patient, "link": link, "url": url})


@login_required
@require_POST
def measure_tablet_start(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Open the patient's form on this device (a short-lived link), to hand the tablet over."""
    patient = access_patient_for_links(cast(User, request.user), patient_id)
    made = _link_from_post(request, patient, LinkChannel.TABLET)
    if made is None:
        return redirect(reverse("patient_chart", args=[patient.pk]) + "#outcomes")
    return redirect("measure_fill", token=made[1])


@login_required
@require_http_methods(["GET", "POST"])
def measure_paper_entry(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Type in a paper form (?instrument=odi): stored and scored like any other response."""
    user = cast(User, request.user)
    patient = access_patient_measures(user, patient_id)
    code = request.GET.get("instrument", "")
    if code not in INSTRUMENTS:
        return render(
            request,
            "outcomes/paper_choose.html",
            {"patient": patient, "instruments": INSTRUMENTS},
            status=200,
        )
    plans = list(CarePlan.objects.filter(patient=patient, status__in=MEASURABLE_PLAN_STATUSES))
    form = PaperForm(code, request.POST if request.method == "POST" else None, plans=plans)
    if request.method == "GET":
        audit_read(
            actor=user, object_type="Patient", object_id=patient.pk, patient_id=patient.pk, detail="paper"
        )
    elif form.is_valid():
        try:
            response_record(
                actor=user,
                patient=patient,
                instrument_code=code,
                source="paper",
                answers=form.answers(),
                activity_names=form.activity_names(),
                plan=form.plan(),
                timepoint=form.cleaned_data["timepoint"] or Timepoint.FOLLOW_UP,
                authored_at=form.authored_at(),
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, f"Recorded the paper {INSTRUMENTS[code].name}.")
            return redirect(reverse("patient_chart", args=[patient.pk]) + "#outcomes")
    context = {"patient": patient, "form": form, "code": code}
    return render(request, "outcomes/paper_form.html", context, status=422 if form.is_bound else 200)


@login_required
@require_POST
def measure_schedule_set(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Set which measures a plan takes and when (from the chart's outcome panel)."""
    user = cast(User, request.user)
    patient = access_patient_measures(user, patient_id)
    form = ScheduleForm(request.POST)
    plan = _plan_of(patient, form.cleaned_data["plan"]) if form.is_valid() else None
    if plan is None:
        problems = [str(e) for errors in form.errors.values() for e in errors] or ["Choose a plan of care."]
        messages.error(request, "The schedule was not saved: " + " ".join(problems))
        return redirect(reverse("patient_chart", args=[patient.pk]) + "#outcomes")
    try:
        schedule_set(
            actor=user,
            plan=plan,
            instruments=form.cleaned_data["instruments"],
            at_baseline=form.cleaned_data["at_baseline"],
            at_discharge=form.cleaned_data["at_discharge"],
            **form.intervals(),
        )
    except ValidationError as exc:
        messages.error(request, "The schedule was not saved: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Saved the measures of “{plan.title}”.")
    return redirect(reverse("patient_chart", args=[patient.pk]) + "#outcomes")


@login_required
@require_GET
def progress_report(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan's progress report to the referrer (PDF), for the clinicians who may see the patient's chart;
    audited."""
    user = cast(User, request.user)
    plan = access_plan_measures(user, plan_id)
    now = timezone.now()
    pdf = render_report_pdf(plan=plan, author=user, written_at=now)
    audit_read(
        actor=user,
        object_type="CarePlan",
        object_id=plan.pk,
        patient_id=plan.patient_id,
        detail="progress report PDF",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    mrn = re.sub(r"[^A-Za-z0-9-]", "", plan.patient.mrn) or "patient"
    name = f"progress-report-{mrn}-{timezone.localdate(now).isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
