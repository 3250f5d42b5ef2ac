"""A visit's charges in the browser: the stored charges, post them again from the signed notes, void one with
a reason, and the visit's superbill as a PDF. For clinicians who may see the patient's clinical record
(charting's access rule); 404 for everyone else."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.audit.services import audit_read
from tandem.billing import services
from tandem.billing.exports import ExportError, superbill_for
from tandem.billing.models import Charge
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
        "total": sum((c.fee for c in charges if c.status in ("billable", "billed")), start=0),
    }
    return render(request, "billing/encounter_charges.html", context)


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
