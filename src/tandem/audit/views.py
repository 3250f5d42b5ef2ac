"""Browsing and exporting the audit trail: clinic administrators only; 404 for everybody else."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tandem.accounts.forms import ServiceForm
from tandem.accounts.models import User
from tandem.audit.models import AuditAction
from tandem.audit.selectors import audit_export_rows, audit_list_for_admin, patients_by_id
from tandem.audit.services import audit_record
from tandem.patients.models import Patient

EVENTS_PER_PAGE = 50


class AuditFilterForm(ServiceForm):
    patient = forms.CharField(label="Patient", required=False, help_text="MRN or patient id")
    user = forms.CharField(label="User", required=False, help_text="User name, e.g. alice")

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id

    def clean_patient(self) -> Patient | None:
        raw = self.cleaned_data["patient"].strip()
        if not raw:
            return None
        patients = Patient.objects.filter(organization_id=self.organization_id)
        found = patients.filter(mrn__iexact=raw).first() or (
            patients.filter(pk=raw).first() if raw.isdigit() else None
        )
        if found is None:
            raise forms.ValidationError(f"No patient of this clinic has MRN or id {raw}.")
        return found

    def clean_user(self) -> User | None:
        raw = self.cleaned_data["user"].strip()
        if not raw:
            return None
        found = User.objects.filter(organization_id=self.organization_id, username__iexact=raw).first()
        if found is None:
            raise forms.ValidationError(f"No user of this clinic is called {raw}.")
        return found


def _filtered(request: HttpRequest, purpose: str) -> tuple[User, AuditFilterForm, Any]:
    """The administrator, the filter form and the matching entries; the look itself goes into the trail."""
    admin = request.user
    if not isinstance(admin, User) or not admin.is_clinic_admin or admin.organization_id is None:
        raise Http404("No such page.")
    form = AuditFilterForm(request.GET, organization_id=admin.organization_id)
    if not form.is_valid():
        return admin, form, audit_list_for_admin(admin).none()
    patient, actor = form.cleaned_data["patient"], form.cleaned_data["user"]
    # Who looked at whose trail is itself a read of patient data.
    audit_record(
        actor=admin,
        action=AuditAction.EXECUTE,
        object_type="AuditEvent",
        patient_id=patient.pk if patient else None,
        detail=f"{purpose}: patient={patient.pk if patient else '*'} user={actor.username if actor else '*'}",
    )
    return admin, form, audit_list_for_admin(admin, patient=patient, actor=actor)


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    admin, form, events = _filtered(request, "audit trail")
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    patients = patients_by_id(admin, (event.patient_id for event in page))
    context = {
        "form": form,
        "page": page,
        "rows": [(event, patients.get(event.patient_id or 0)) for event in page],
        "query": query.urlencode(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "audit/audit_list.html", context)


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    _, form, events = _filtered(request, "audit export")
    if form.errors:
        return render(request, "audit/audit_list.html", {"form": form, "page": None}, status=400)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in audit_export_rows(events)), content_type="text/csv"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="tandem-audit-{stamp}.csv"'
    return response
