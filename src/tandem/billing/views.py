"""Billing in the browser.

- A visit's charges: the stored charges, post them again from the signed notes, void one with a reason, and
  the visit's superbill as a PDF. For clinicians who may see the patient's clinical record (charting's
  access rule); 404 for everyone else.
- A patient's superbill of a period (from the chart): the same rule.
- The clinic's claim files (the Claims page): what a period would claim, export it as an 837P, download the
  files made earlier, and the visits signed but not charged ("Post all ready" posts them). For the clinicians
  who may export claims (tandem.billing.access); 404 for everyone else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.billing import capture, services
from tandem.billing.access import access_claim_file, access_patient_for_billing, can_export_claims
from tandem.billing.claim_files import (
    claim_file_list_for_organization,
    claim_file_make,
    claim_file_preview,
    claim_file_read,
    period_or_refusal,
)
from tandem.billing.downloads import claim_file_response, superbill_response
from tandem.billing.exports import ExportError, superbill_for
from tandem.billing.models import Charge
from tandem.billing.periods import last_week
from tandem.billing.selectors import charge_list_for_encounter
from tandem.billing.superbill import render_superbill_pdf
from tandem.charting.access import access_encounter
from tandem.charting.models import Note, NoteStatus
from tandem.core.http import request_user as _user
from tandem.core.ids import parse_id
from tandem.patients.access import refuse_access


@login_required
@require_http_methods(["GET", "POST"])
def encounter_charges(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """GET: the visit's charges. POST: (re)post them from the signed notes; a refusal changes nothing."""
    user = _user(request)
    encounter = access_encounter(user, encounter_id)
    if request.method == "POST":
        try:
            posted = services.charges_post(actor=user, encounter=encounter)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            billable = sum(1 for c in posted if c.status == "billable")
            messages.success(request, f"Posted {billable} billable charge{'s' * (billable != 1)}.")
        return redirect("encounter_charges", encounter.pk)
    audit_read(
        actor=user,
        object_type="Charge",
        object_id="*",
        patient_id=encounter.patient_id,
        detail=f"visit charges {encounter.pk}",
    )
    charges = list(charge_list_for_encounter(encounter, include_void=True))
    notes = Note.objects.filter(encounter=encounter).select_related("author").order_by("pk")
    context = {
        "encounter": encounter,
        "patient": encounter.patient,
        "charges": charges,
        "notes": notes,
        "signed": any(n.status == NoteStatus.FINAL for n in notes),
        "billable": any(c.status == "billable" for c in charges),
        "may_export": can_export_claims(user),
        # Before anyone presses "Post": whether the rules allow it (None: no note bills yet).
        "refusals": None if charges else capture.encounter_posting_refusals(encounter),
        "total": sum((c.fee for c in charges if c.status in ("billable", "billed")), start=0),
    }
    return render(request, "billing/encounter_charges.html", context)


@login_required
@require_POST
def encounter_claim_file(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """The 837P of one visit (the patient's billable charges of its date of service), kept and validated."""
    user = _user(request)
    encounter = access_encounter(user, encounter_id)
    try:
        claim_file = claim_file_make(
            actor=user,
            organization=encounter.organization,
            first_day=None,
            last_day=None,
            production=request.POST.get("test") != "1",
            mark_billed=request.POST.get("mark_billed") == "1",
            encounter=encounter,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("encounter_charges", encounter.pk)
    return redirect("claim_file_detail", claim_file.pk)


@login_required
@require_POST
def charge_void(request: HttpRequest, charge_id: int) -> HttpResponse:
    user = _user(request)
    try:
        charge = Charge.objects.get(pk=parse_id(charge_id))
    except (Charge.DoesNotExist, ValueError, OverflowError):
        raise refuse_access(user, "Charge", charge_id, None, "No such charge.") from None
    access_encounter(user, charge.encounter_id)
    try:
        services.charge_void(actor=user, charge=charge, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Voided {charge.code}.")
    return redirect("encounter_charges", charge.encounter_id)


@login_required
@require_GET
def encounter_superbill(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """The visit's superbill (PDF), or back to the charges with what is missing."""
    user = _user(request)
    encounter = access_encounter(user, encounter_id)
    try:
        pdf = render_superbill_pdf(superbill_for(encounter.patient, encounter=encounter))
    except ExportError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
        return redirect("encounter_charges", encounter.pk)
    audit_read(
        actor=user,
        object_type="Charge",
        object_id="*",
        patient_id=encounter.patient_id,
        detail=f"superbill visit {encounter.pk}",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    day = timezone.localdate(encounter.started_at).isoformat()
    response["Content-Disposition"] = f'attachment; filename="superbill-{encounter.patient.mrn}-{day}.pdf"'
    return response


# A patient's superbill of a period -----------------------------------------------------------------------


def _form_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A refusal's messages by field, "__all__" renamed "general" (templates cannot read "__" names)."""
    return {("general" if field == "__all__" else field): list(m) for field, m in exc.message_dict.items()}


@login_required
@require_GET
def patient_superbill(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The form of a period superbill; with ?from=&to= the PDF, or the form again with what is wrong."""
    user = _user(request)
    patient = access_patient_for_billing(user, patient_id)
    values = {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")}
    errors: dict[str, list[str]] = {}
    if "from" in request.GET or "to" in request.GET:
        try:
            period = period_or_refusal(values["from"], values["to"])
            superbill = superbill_for(patient, first_day=period.first_day, last_day=period.last_day)
        except ValidationError as exc:
            errors = _form_errors(exc)
        except ExportError as exc:
            errors = {"general": list(exc.problems)}
        else:
            audit_read(
                actor=user,
                object_type="Charge",
                object_id="*",
                patient_id=patient.pk,
                detail=f"superbill {period.first_day} to {period.last_day}",
            )
            return superbill_response(render_superbill_pdf(superbill), patient.mrn, period)
    else:
        today = timezone.localdate()
        values = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    context = {"patient": patient, "values": values, "errors": errors}
    return render(request, "billing/patient_superbill.html", context, status=422 if errors else 200)


# The clinic's claim files ---------------------------------------------------------------------------------


def _require_claims_page(user: User) -> None:
    if not can_export_claims(user):
        raise refuse_access(user, "ClaimFile", "*", None, "No such page.")


def _claims_page(
    request: HttpRequest, user: User, values: dict[str, str], errors: dict[str, list[str]], status: int = 200
) -> HttpResponse:
    preview = None
    if not errors:
        try:
            period = period_or_refusal(values["from"], values["to"])
        except ValidationError as exc:
            errors = _form_errors(exc)
            status = 422
        else:
            preview = claim_file_preview(actor=user, organization=user.organization, period=period)
    context = {
        "values": values,
        "errors": errors,
        "preview": preview,
        "claim_files": list(claim_file_list_for_organization(user.organization)[:50]),
        "worklist": capture.charge_worklist(actor=user, organization=user.organization),
    }
    return render(request, "billing/claim_files.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def claim_files(request: HttpRequest) -> HttpResponse:
    """GET: the period's claims before export (default last week) and the files made before. POST: export;
    a valid file downloads, an invalid one shows pyx12's errors (nothing marked billed), a refusal (a bad
    period, nothing to send) the form again with the reasons."""
    user = _user(request)
    _require_claims_page(user)
    if request.method == "GET":
        default = last_week(timezone.localdate())
        values = {
            "from": request.GET.get("from", default.first_day.isoformat()),
            "to": request.GET.get("to", default.last_day.isoformat()),
        }
        return _claims_page(request, user, values, {})
    values = {"from": request.POST.get("from", ""), "to": request.POST.get("to", "")}
    try:
        claim_file = claim_file_make(
            actor=user,
            organization=user.organization,
            first_day=values["from"],
            last_day=values["to"],
            production=request.POST.get("test") != "on",
            mark_billed=request.POST.get("mark_billed") == "on",
        )
    except ValidationError as exc:
        return _claims_page(request, user, values, _form_errors(exc), status=422)
    if not claim_file.valid:
        messages.error(
            request,
            f"pyx12 found {len(claim_file.errors)} error(s) in claim file {claim_file.interchange_number}: "
            "it must not be sent, and nothing was marked billed.",
        )
        return redirect("claim_file_detail", claim_file.pk)
    # A valid file downloads at once (the page stays); the list below the form shows it on the next visit.
    return claim_file_response(claim_file)


@login_required
@require_POST
def charges_capture(request: HttpRequest) -> HttpResponse:
    """Post every visit to charge that the rules allow; the refused ones stay on the worklist."""
    user = _user(request)
    _require_claims_page(user)
    result = capture.charges_capture(organization=user.organization, actor=user)
    posted = len(result.posted)
    if posted:
        messages.success(request, f"Posted the charges of {posted} visit{'s' * (posted != 1)}.")
    elif not result.refused:
        messages.info(request, "No visit was ready to post.")
    if result.refused:
        refused = len(result.refused)
        messages.error(
            request,
            f"{refused} visit{'s' * (refused != 1)} not posted: the reasons are under Visits to charge.",
        )
    return redirect(f"{reverse('claim_files')}#visits-to-charge")


@login_required
@require_GET
def claim_file_detail(request: HttpRequest, claim_file_id: int) -> HttpResponse:
    """One claim file: its period, counts, pyx12's verdict, the visits left out, the download."""
    user = _user(request)
    claim_file = access_claim_file(user, claim_file_id)
    claim_file_read(actor=user, claim_file=claim_file, detail="claim file details")
    return render(request, "billing/claim_file_detail.html", {"claim_file": claim_file})


@login_required
@require_GET
def claim_file_download(request: HttpRequest, claim_file_id: int) -> HttpResponse:
    """The 837P text of a claim file, as it was made."""
    user = _user(request)
    claim_file = access_claim_file(user, claim_file_id)
    claim_file_read(actor=user, claim_file=claim_file, detail="claim file downloaded")
    return claim_file_response(claim_file)
